// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the state codec: any bytes must decode without crashing or over-reading
 * (an exact-size heap copy), and whatever decodes must satisfy the struct's invariants, encode,
 * and survive encode -> decode -> encode unchanged (the canonical form is a fixed point). It also
 * applies each decoded state to a small config (groups and the announce globals) and captures the
 * resulting live globals back against that config. Violations abort; nothing is masked.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quorum.h"

#include "conf.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_addr(const struct qu_addr *a)
{
	size_t n = strnlen(a->host, sizeof(a->host));
	check(n > 0 && n < sizeof(a->host));
	check(a->port != 0);
}

static void check_group(const struct sn_state_group *g)
{
	size_t n = strnlen(g->name, sizeof(g->name));
	check(n > 0 && n < sizeof(g->name));
	check(!(g->monitor && g->remove));
	check(!g->remove || (g->set_mask == 0 && !g->has_address && !g->has_config_epoch &&
	                     g->replica_count == 0));
	check(g->set_mask < (1u << QU_SET_COUNT));
	if (g->monitor) {
		check_addr(&g->monitor_addr);
		check(g->monitor_quorum >= 1);
	}
	if (g->has_address)
		check_addr(&g->address);
	check(g->replica_count <= QU_REPLICAS_MAX);
	check(g->replica_count == 0 || g->replicas != NULL);
	for (size_t i = 0; i < g->replica_count; i++)
		check_addr(&g->replicas[i]);
}

static void check_state(const struct sn_state *st)
{
	check(st->group_count <= SN_STATE_GROUPS_MAX);
	check(!st->has_myid || strlen(st->myid) == QU_RUNID_LEN);
	check(strnlen(st->announce_ip, sizeof(st->announce_ip)) < sizeof(st->announce_ip));
	check(sn_state_is_announce_ip(st->announce_ip));
	check(st->has_announce_ip || st->announce_ip[0] == '\0');
	check(st->has_announce_port || st->announce_port == 0);
	for (size_t i = 0; i < st->group_count; i++)
		check_group(&st->groups[i]);
}

/* An empty core: enough for capture to diff the globals (it only reads groups otherwise). */
static const struct qu_core *empty_core(void)
{
	static struct qu_core *core;
	struct qu_params p = {.limits = {.groups_max = 2, .nodes_max = 8}, .seed = 1};
	if (core == NULL) {
		void *mem = calloc(1, qu_core_size(&p.limits));
		check(mem != NULL);
		core = qu_core_init(mem, &p);
		check(core != NULL);
	}
	return core;
}

/* boot conf = file + state globals; capturing boot against file gives back exactly the diff. */
static void check_globals(const struct sn_state *st, const struct sn_conf *file)
{
	struct sn_conf live = *file;
	struct sn_state back;

	sn_state_apply_globals(st, &live);
	check(!st->has_announce_ip || strcmp(live.announce_ip, st->announce_ip) == 0);
	check(!st->has_announce_port || live.announce_port == st->announce_port);
	check(st->has_announce_ip || strcmp(live.announce_ip, file->announce_ip) == 0);
	check(st->has_announce_port || live.announce_port == file->announce_port);
	check(sn_state_capture_live(empty_core(), file, &live, &back) == 0);
	check(back.has_announce_ip ==
	      (st->has_announce_ip && strcmp(st->announce_ip, file->announce_ip) != 0));
	check(back.has_announce_port ==
	      (st->has_announce_port && st->announce_port != file->announce_port));
	check(!back.has_announce_ip || strcmp(back.announce_ip, st->announce_ip) == 0);
	check(!back.has_announce_port || back.announce_port == st->announce_port);
	sn_state_free(&back);
}

static void check_apply(const struct sn_state *st)
{
	static const char conf_text[] = "announce-ip = \"10.0.0.9\"\n"
	                                "announce-port = 26380\n"
	                                "primary \"a\" { host = \"10.0.0.1\" }\n"
	                                "primary \"b\" { host = \"::1\" quorum = 1 }\n";
	struct sn_conf conf;
	struct sn_effective eff;
	struct sn_err err;

	check(sn_conf_load_buf(conf_text, "fuzz.conf", &conf, &err) == 0);
	check_globals(st, &conf);
	int rc = sn_state_apply(&conf, st, &eff, &err);
	check(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		check(eff.group_count <= conf.group_count + st->group_count);
		for (size_t i = 0; i < eff.group_count; i++)
			check(eff.groups[i].replica_count <= QU_REPLICAS_MAX);
	}
	sn_effective_free(&eff);
	sn_conf_free(&conf);
}

/* encode(decode(encode(st))) == encode(st). */
static void check_round_trip(const struct sn_state *st)
{
	char *text = NULL;
	char *again = NULL;
	size_t len = 0;
	size_t again_len = 0;
	struct sn_state back;
	struct sn_err err;

	check(sn_state_encode(st, &text, &len) == 0);
	check(sn_state_decode(text, len, &back, &err) == 0);
	check(sn_state_encode(&back, &again, &again_len) == 0);
	check(len == again_len && memcmp(text, again, len) == 0);
	free(text);
	free(again);
	sn_state_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);
	struct sn_state st;
	struct sn_err err = {{0}};

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	int rc = sn_state_decode(copy, size, &st, &err);
	free(copy);

	check(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	check(rc == 0 || (err.msg[0] != '\0' && st.groups == NULL && st.group_count == 0));
	if (rc == 0) {
		check_state(&st);
		check_round_trip(&st);
		check_apply(&st);
	}
	sn_state_free(&st);
	return 0;
}
