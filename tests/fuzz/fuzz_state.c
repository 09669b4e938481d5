// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the state codec: any bytes must decode without crashing or over-reading
 * (an exact-size heap copy), and whatever decodes must satisfy the struct's invariants, encode,
 * and survive encode -> decode -> encode unchanged (the canonical form is a fixed point). It also
 * applies each decoded state to a small config (groups and the announce globals) and captures the
 * resulting live globals back against that config, then restores the effective groups into a
 * fresh core the way the daemon boots (epochs, votes, peers) and checks that capture gives the
 * votes and peers back and that the result encodes. Violations abort; nothing is masked.
 */
#include <errno.h>
#include <stdbool.h>
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

static void check_peers(const struct sn_state_peer *peers, size_t count)
{
	check(count <= QU_PEERS_MAX);
	check(count == 0 || peers != NULL);
	for (size_t i = 0; i < count; i++) {
		check_addr(&peers[i].addr);
		check(sn_state_is_runid(peers[i].runid));
		for (size_t k = 0; k < i; k++) {
			check(strcmp(peers[k].runid, peers[i].runid) != 0);
			check(peers[k].addr.port != peers[i].addr.port ||
			      strcmp(peers[k].addr.host, peers[i].addr.host) != 0);
		}
	}
}

static void check_group(const struct sn_state_group *g)
{
	size_t n = strnlen(g->name, sizeof(g->name));
	check(n > 0 && n < sizeof(g->name));
	check(!(g->monitor && g->remove));
	check(!g->remove || (g->set_mask == 0 && !g->has_address && !g->has_config_epoch &&
	                     g->replica_count == 0 && !g->has_leader && g->peer_count == 0));
	if (g->has_leader)
		check((strcmp(g->leader, "*") == 0 || sn_state_is_runid(g->leader)) &&
		      g->leader_epoch <= INT64_MAX);
	else
		check(g->leader[0] == '\0' && g->leader_epoch == 0);
	check_peers(g->peers, g->peer_count);
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

static const struct sn_state_group *find_group(const struct sn_state *st, const char *name)
{
	for (size_t i = 0; i < st->group_count; i++)
		if (strcmp(st->groups[i].name, name) == 0)
			return &st->groups[i];
	return NULL;
}

/* The effective groups carry the vote and the peers, and the epoch is behind none of them. */
static void check_effective(const struct sn_state *st, const struct sn_effective *eff)
{
	check(eff->current_epoch >= st->current_epoch);
	for (size_t i = 0; i < st->group_count; i++) {
		const struct sn_state_group *g = &st->groups[i];
		check(!g->has_config_epoch || eff->current_epoch >= g->config_epoch);
		check(!g->has_leader || eff->current_epoch >= g->leader_epoch);
	}
	for (size_t i = 0; i < eff->group_count; i++) {
		const struct sn_eff_group *e = &eff->groups[i];
		const struct sn_state_group *g = find_group(st, e->conf.name);
		check(e->replica_count <= QU_REPLICAS_MAX);
		check_peers(e->peers, e->peer_count);
		if (g == NULL) {
			check(e->leader[0] == '\0' && e->leader_epoch == 0 && e->peer_count == 0);
			continue;
		}
		check(strcmp(e->leader, g->leader) == 0 && e->leader_epoch == g->leader_epoch);
		check(e->peer_count == g->peer_count);
		check(e->peer_count == 0 ||
		      memcmp(e->peers, g->peers, e->peer_count * sizeof(*e->peers)) == 0);
	}
}

#define RESTORE_GROUPS_MAX 8
#define RESTORE_NODES_MAX 64
#define RESTORE_WATCHERS_MAX 128

/* A fresh core in reused memory: what the daemon starts with. */
static struct qu_core *fresh_core(uint64_t current_epoch)
{
	static void *mem;
	static size_t size;
	struct qu_params p = {.limits = {.groups_max = RESTORE_GROUPS_MAX,
	                                 .nodes_max = RESTORE_NODES_MAX,
	                                 .watchers_max = RESTORE_WATCHERS_MAX},
	                      .seed = 1,
	                      .current_epoch = current_epoch};
	memset(p.myid, 'f', QU_RUNID_LEN);
	if (mem == NULL) {
		size = qu_core_size(&p.limits);
		mem = calloc(1, size);
		check(mem != NULL);
	}
	memset(mem, 0, size);
	struct qu_core *core = qu_core_init(mem, &p);
	check(core != NULL);
	return core;
}

static int admin(struct qu_core *core, const struct qu_admin *a)
{
	struct qu_input in = {.kind = QU_IN_ADMIN, .now_ms = 1000, .u.admin = *a};
	in.u.admin.quiet = true;
	int rc = qu_step(core, &in);
	while (qu_action_next(core) != NULL)
		;
	return rc;
}

/* Which peers of one effective group the core took (KNOWN_PEER may find the table full). */
struct restored {
	bool monitored;
	bool peer_ok[QU_PEERS_MAX];
};

/* The daemon's boot order (sn_state_apply's contract) for one effective group. */
static void restore_group(struct qu_core *core, const struct sn_eff_group *e, struct restored *r)
{
	struct qu_admin mon = {.op = QU_ADMIN_MONITOR, .conf = &e->conf};
	r->monitored = admin(core, &mon) == QU_OK;
	if (!r->monitored)
		return;
	uint32_t g = qu_group_find(core, e->conf.name);
	struct qu_admin ep = {.op = QU_ADMIN_EPOCHS, .group = g};
	ep.num = e->config_epoch > INT64_MAX ? INT64_MAX : (int64_t)e->config_epoch;
	check(admin(core, &ep) == QU_OK);
	if (e->leader[0] != '\0') {
		struct qu_admin v = {.op = QU_ADMIN_VOTE, .group = g, .str = e->leader};
		v.num = (int64_t)e->leader_epoch;
		check(admin(core, &v) == QU_OK);
	}
	for (size_t i = 0; i < e->peer_count; i++) {
		struct qu_admin kp = {.op = QU_ADMIN_KNOWN_PEER, .group = g};
		kp.addr = e->peers[i].addr;
		kp.str = e->peers[i].runid;
		int rc = admin(core, &kp);
		check(rc == QU_OK || rc == QU_EFULL);
		r->peer_ok[i] = rc == QU_OK;
	}
}

/* What a restart keeps: captured back from the restored core, votes and peers are the same. */
static void check_restore(const struct sn_effective *eff, const struct sn_conf *conf)
{
	static struct restored r[RESTORE_GROUPS_MAX];
	size_t n = eff->group_count < RESTORE_GROUPS_MAX ? eff->group_count : RESTORE_GROUPS_MAX;
	struct qu_core *core = fresh_core(eff->current_epoch);
	struct sn_state back;
	char *text = NULL;
	size_t len = 0;

	memset(r, 0, sizeof(r));
	for (size_t i = 0; i < n; i++)
		restore_group(core, &eff->groups[i], &r[i]);
	check(sn_state_capture(core, conf, &back) == 0);
	check(sn_state_encode(&back, &text, &len) == 0);
	free(text);
	check(n < eff->group_count || back.current_epoch == eff->current_epoch);
	for (size_t i = 0; i < n; i++) {
		const struct sn_eff_group *e = &eff->groups[i];
		const struct sn_state_group *g = find_group(&back, e->conf.name);
		check(!r[i].monitored || g != NULL);
		if (!r[i].monitored)
			continue;
		check(g->has_leader == (e->leader[0] != '\0'));
		check(strcmp(g->leader, e->leader) == 0 && g->leader_epoch == e->leader_epoch);
		size_t k = 0;
		for (size_t p = 0; p < e->peer_count; p++) {
			if (!r[i].peer_ok[p])
				continue;
			check(k < g->peer_count);
			check(strcmp(g->peers[k].runid, e->peers[p].runid) == 0);
			check(strcmp(g->peers[k].addr.host, e->peers[p].addr.host) == 0);
			check(g->peers[k].addr.port == e->peers[p].addr.port);
			k++;
		}
		check(k == g->peer_count);
	}
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
		check_effective(st, &eff);
		check_restore(&eff, &conf);
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
