// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the hello path: each input line is a payload for qu_wire_hello_parse()
 * (on an exact-size heap copy, so ASan sees over-reads); what parses must survive format -> parse
 * unchanged and is then fed to a small core as QU_IN_HELLO. An empty line advances the clock 1 s
 * and ticks, a line "!" brings every watcher link up. After every step the harness checks the
 * core: epochs never decrease, tables stay bounded and consistent, a refused hello changes
 * nothing, NODE_ADD/NODE_DEL track the live endpoints exactly, and every hello we publish parses.
 * Violations abort.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quorum.h"
#include "quorum_wire.h"

#define MYID "0123456789abcdef0123456789abcdef01234567"
#define GROUPS_MAX 3
#define NODES_MAX 12
#define WATCHERS_MAX 3
#define LINES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

struct harness {
	void *mem;
	struct qu_core *core;
	int64_t now_ms;
	bool live[NODES_MAX + WATCHERS_MAX]; /* endpoints the shell would have links for */
	uint64_t current_epoch;
	uint64_t config_epoch[GROUPS_MAX];
};

/* What a refused input must leave untouched. */
struct snapshot {
	uint64_t current_epoch;
	uint32_t peer_count[GROUPS_MAX];
	uint64_t config_epoch[GROUPS_MAX];
	struct qu_addr primary[GROUPS_MAX];
	bool watcher_used[WATCHERS_MAX];
};

static void take_snapshot(const struct qu_core *core, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->current_epoch = qu_current_epoch(core);
	for (uint32_t g = 0; g < GROUPS_MAX; g++) {
		const struct qu_group *grp = qu_group_at(core, g);
		if (grp == NULL)
			continue;
		s->peer_count[g] = grp->peer_count;
		s->config_epoch[g] = grp->config_epoch;
		s->primary[g] = grp->conf.addr;
	}
	for (uint32_t w = 0; w < WATCHERS_MAX; w++)
		s->watcher_used[w] = qu_watcher_at(core, w) != NULL;
}

/* What we publish must parse as a hello (epochs past INT64_MAX aside: see test_vote.c). */
static void check_sent_hello(const struct qu_action *a)
{
	char payload[QU_TEXT_MAX + 32];
	int n = snprintf(payload, sizeof(payload), "127.0.0.1,26379,%s", a->text);
	check(n > 0 && (size_t)n < sizeof(payload));
	struct qu_hello hello;
	int rc = qu_wire_hello_parse(payload, (size_t)n, &hello);
	if (rc == QU_WIRE_EEPOCH && a->epoch > INT64_MAX)
		return;
	check(rc == 0);
	check(strcmp(hello.runid, MYID) == 0 && hello.current_epoch == a->epoch);
}

/* Execute the outbox as a shell would, keeping the set of live endpoints. */
static int drain(struct harness *h)
{
	int n = 0;
	for (const struct qu_action *a; (a = qu_action_next(h->core)) != NULL; n++) {
		if (a->kind == QU_ACT_NODE_ADD) {
			check(a->node < NODES_MAX + WATCHERS_MAX);
			check(!h->live[a->node]);
			h->live[a->node] = true;
		} else if (a->kind == QU_ACT_NODE_DEL) {
			check(a->node < NODES_MAX + WATCHERS_MAX);
			check(h->live[a->node]);
			h->live[a->node] = false;
		} else if (a->kind == QU_ACT_SEND_HELLO) {
			check_sent_hello(a);
		} else if (a->kind == QU_ACT_EVENT) {
			check((unsigned)a->event < QU_EV_COUNT);
			size_t len = strnlen(a->text, sizeof(a->text));
			check(len > 0 && len < sizeof(a->text));
		}
	}
	return n;
}

static int feed(struct harness *h, struct qu_input *in)
{
	in->now_ms = h->now_ms;
	return qu_step(h->core, in);
}

static void check_peers(const struct qu_core *core, const struct qu_group *g, uint32_t *refs)
{
	check(g->peer_count <= QU_PEERS_MAX);
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_watcher *x = qu_watcher_at(core, g->peers[i].watcher);
		check(x != NULL);
		refs[g->peers[i].watcher]++;
		check(strcmp(x->runid, MYID) != 0);
		for (uint32_t j = 0; j < i; j++) /* one entry per runid (§2.3) */
			check(strcmp(qu_watcher_at(core, g->peers[j].watcher)->runid, x->runid) !=
			      0);
	}
}

static void check_group(struct harness *h, uint32_t gi, uint32_t *refs)
{
	const struct qu_group *g = qu_group_at(h->core, gi);
	check(g != NULL); /* hellos never remove a group */
	check(g->config_epoch >= h->config_epoch[gi]);
	h->config_epoch[gi] = g->config_epoch;
	const struct qu_node *p = qu_node_at(h->core, g->primary);
	check(p != NULL && p->kind == QU_ROLE_PRIMARY && p->group == gi);
	check(p->addr.port == g->conf.addr.port && strcmp(p->addr.host, g->conf.addr.host) == 0);
	check(g->replica_count <= QU_REPLICAS_MAX);
	for (uint32_t i = 0; i < g->replica_count; i++) {
		const struct qu_node *r = qu_node_at(h->core, g->replicas[i]);
		check(r != NULL && r->kind == QU_ROLE_REPLICA && r->group == gi);
	}
	check_peers(h->core, g, refs);
}

static void check_core(struct harness *h)
{
	uint32_t refs[WATCHERS_MAX] = {0};
	check(qu_current_epoch(h->core) >= h->current_epoch); /* epochs never go backwards */
	h->current_epoch = qu_current_epoch(h->core);
	for (uint32_t g = 0; g < GROUPS_MAX; g++)
		if (qu_group_at(h->core, g) != NULL)
			check_group(h, g, refs);
	for (uint32_t w = 0; w < WATCHERS_MAX; w++) {
		const struct qu_watcher *x = qu_watcher_at(h->core, w);
		check(h->live[NODES_MAX + w] == (x != NULL));
		if (x == NULL)
			continue;
		check(x->refs == refs[w] && x->refs > 0);
		check(strnlen(x->runid, sizeof(x->runid)) == QU_RUNID_LEN);
		for (uint32_t v = 0; v < w; v++) {
			const struct qu_watcher *y = qu_watcher_at(h->core, v);
			check(y == NULL || strcmp(y->runid, x->runid) != 0 ||
			      y->addr.port != x->addr.port ||
			      strcmp(y->addr.host, x->addr.host) != 0);
		}
	}
	for (uint32_t n = 0; n < NODES_MAX; n++)
		check(h->live[n] == (qu_node_at(h->core, n) != NULL));
}

static void monitor(struct harness *h, const char *name, uint16_t port, uint32_t quorum)
{
	struct qu_group_conf c;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	strcpy(c.addr.host, "127.0.0.1");
	c.addr.port = port;
	c.quorum = quorum;
	c.down_after_ms = 5000;
	c.failover_timeout_ms = 60000;
	c.parallel_syncs = 1;
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_MONITOR;
	in.u.admin.conf = &c;
	check(feed(h, &in) == QU_OK);
	drain(h);
}

/* "mymaster" 127.0.0.1:6379 with replicas 6380 and 6381, and "other" 127.0.0.1:7000. */
static bool setup(struct harness *h)
{
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	memset(h, 0, sizeof(*h));
	p.limits.groups_max = GROUPS_MAX;
	p.limits.nodes_max = NODES_MAX;
	p.limits.watchers_max = WATCHERS_MAX;
	p.seed = 1;
	memcpy(p.myid, MYID, QU_RUNID_LEN);
	h->mem = calloc(1, qu_core_size(&p.limits));
	if (h->mem == NULL)
		return false;
	h->core = qu_core_init(h->mem, &p);
	check(h->core != NULL);
	h->now_ms = 1000000;
	monitor(h, "mymaster", 6379, 2);
	monitor(h, "other", 7000, 1);
	struct qu_info info;
	memset(&info, 0, sizeof(info));
	info.role = QU_ROLE_PRIMARY;
	info.replica_count = 2;
	for (int r = 0; r < 2; r++) {
		strcpy(info.replicas[r].host, "127.0.0.1");
		info.replicas[r].port = (uint16_t)(6380 + r);
	}
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .node = qu_group_at(h->core, 0)->primary};
	in.u.info = &info;
	check(feed(h, &in) == QU_OK);
	drain(h);
	check_core(h);
	return true;
}

static void check_parsed(const struct qu_hello *hello)
{
	check(strnlen(hello->watcher.host, QU_HOST_MAX) < QU_HOST_MAX && hello->watcher.host[0]);
	check(strnlen(hello->primary.host, QU_HOST_MAX) < QU_HOST_MAX && hello->primary.host[0]);
	check(strnlen(hello->name, QU_NAME_MAX) < QU_NAME_MAX && hello->name[0]);
	check(strlen(hello->runid) == QU_RUNID_LEN);
	check(hello->watcher.port != 0 && hello->primary.port != 0);
	check(hello->current_epoch <= INT64_MAX && hello->config_epoch <= INT64_MAX);
	/* format -> parse is the identity on parsed hellos */
	char buf[QU_TEXT_MAX];
	int n = qu_wire_hello_format(hello, buf, sizeof(buf));
	check(n > 0);
	struct qu_hello again;
	check(qu_wire_hello_parse(buf, (size_t)n, &again) == 0);
	check(memcmp(&again, hello, sizeof(again)) == 0);
}

static void one_hello(struct harness *h, const uint8_t *line, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		return;
	memcpy(copy, line, len);
	struct qu_hello hello;
	int rc = qu_wire_hello_parse(copy, len, &hello);
	free(copy);
	check(rc <= 0 && rc >= QU_WIRE_ENAME);
	if (rc != 0)
		return;
	check_parsed(&hello);
	struct snapshot before, after;
	take_snapshot(h->core, &before);
	struct qu_input in = {.kind = QU_IN_HELLO};
	in.u.hello = &hello;
	rc = feed(h, &in);
	int actions = drain(h);
	check(rc == QU_OK || rc == QU_ENOENT || rc == QU_EFULL);
	if (rc != QU_OK) { /* refused: nothing happened */
		check(actions == 0);
		take_snapshot(h->core, &after);
		check(memcmp(&before, &after, sizeof(before)) == 0);
	}
}

static void links_up(struct harness *h)
{
	for (uint32_t w = 0; w < WATCHERS_MAX; w++) {
		if (qu_watcher_at(h->core, w) == NULL)
			continue;
		struct qu_input in = {.kind = QU_IN_LINK, .node = qu_watcher_endpoint(h->core, w)};
		in.u.link.which = QU_LINK_CMD;
		in.u.link.up = true;
		check(feed(h, &in) == QU_OK);
		drain(h);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness h;
	if (!setup(&h))
		return 0;
	size_t start = 0;
	for (int lines = 0; start <= size && lines < LINES_MAX; lines++) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl != NULL ? (size_t)(nl - data) : size;
		if (end == start) {
			h.now_ms += 1000;
			struct qu_input in = {.kind = QU_IN_TICK};
			check(feed(&h, &in) == QU_OK);
			drain(&h);
		} else if (end - start == 1 && data[start] == '!') {
			links_up(&h);
		} else {
			one_hello(&h, data + start, end - start);
		}
		check_core(&h);
		if (nl == NULL)
			break;
		start = end + 1;
	}
	free(h.mem);
	return 0;
}
