// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for votes and elections: the input bytes drive one small core (one group,
 * 2-4 connected peers) through vote requests, peer replies, hellos, ticks, primary up/down, failed
 * PERSISTs and crash-restarts from what was last persisted. The harness plays the shell: it
 * executes actions in order, snapshots the durable state at each successful PERSIST, drops the
 * rest of a batch after a failed one and feeds PERSIST_FAILED. It checks one vote per epoch
 * (across restarts), persist before reveal (VOTE_REPLY, SEND_ASK, SEND_HELLO, ELECTED), epochs
 * never going backwards, and one election win per epoch. Violations abort.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quorum.h"
#include "quorum_wire.h"

#define MYID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OPS_MAX 600
#define VOTES_MAX 256
#define PEERS_MAX 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* What the state file holds after the last successful PERSIST. */
struct durable {
	uint64_t current_epoch;
	uint64_t config_epoch;
	char leader[QU_RUNID_LEN + 1];
	uint64_t leader_epoch;
};

/* A vote we made visible to the world: epoch -> candidate, for good. */
struct revealed {
	uint64_t epoch;
	char runid[QU_RUNID_LEN + 1];
};

struct harness {
	const uint8_t *data;
	size_t size, pos;
	void *mem;
	struct qu_core *core;
	struct qu_group_conf conf;
	int peers;
	int64_t now_ms;
	bool fail_next_persist;
	struct durable disk;
	struct revealed votes[VOTES_MAX];
	uint32_t vote_count;
	uint64_t elected[VOTES_MAX];
	uint32_t elected_count;
	uint64_t revealed_epoch; /* the highest epoch anything we sent carried */
	uint64_t last_epoch;     /* current epoch after the previous step (same life) */
	uint64_t last_leader_epoch;
	char last_leader[QU_RUNID_LEN + 1];
};

static uint8_t next(struct harness *h)
{
	return h->pos < h->size ? h->data[h->pos++] : 0;
}

static void runid_of(char c, char out[QU_RUNID_LEN + 1])
{
	memset(out, c, QU_RUNID_LEN);
	out[QU_RUNID_LEN] = '\0';
}

static const struct qu_group *group(const struct harness *h)
{
	const struct qu_group *g = qu_group_at(h->core, 0);
	check(g != NULL);
	return g;
}

static void save(struct harness *h)
{
	const struct qu_group *g = group(h);
	h->disk.current_epoch = qu_current_epoch(h->core);
	h->disk.config_epoch = g->config_epoch;
	memcpy(h->disk.leader, g->leader, sizeof(h->disk.leader));
	h->disk.leader_epoch = g->leader_epoch;
}

/* The current epoch a restart restores: the restore raises it to any persisted epoch. */
static uint64_t disk_epoch(const struct harness *h)
{
	uint64_t e = h->disk.current_epoch;
	e = h->disk.config_epoch > e ? h->disk.config_epoch : e;
	return h->disk.leader_epoch > e ? h->disk.leader_epoch : e;
}

static void note_reveal(struct harness *h, uint64_t epoch)
{
	check(epoch <= disk_epoch(h)); /* never show an epoch we could forget */
	if (epoch > h->revealed_epoch)
		h->revealed_epoch = epoch;
}

/* One vote per epoch, ever: a candidate revealed for an epoch never changes. */
static void note_vote(struct harness *h, const char *runid, uint64_t epoch)
{
	check(strcmp(h->disk.leader, runid) == 0 && h->disk.leader_epoch == epoch);
	note_reveal(h, epoch);
	for (uint32_t i = 0; i < h->vote_count; i++)
		if (h->votes[i].epoch == epoch) {
			check(strcmp(h->votes[i].runid, runid) == 0);
			return;
		}
	if (h->vote_count == VOTES_MAX)
		return;
	h->votes[h->vote_count].epoch = epoch;
	memcpy(h->votes[h->vote_count].runid, runid, QU_RUNID_LEN + 1);
	h->vote_count++;
}

static void note_elected(struct harness *h, uint64_t epoch)
{
	check(strcmp(h->disk.leader, MYID) == 0 && h->disk.leader_epoch == epoch);
	for (uint32_t i = 0; i < h->elected_count; i++)
		check(h->elected[i] != epoch);
	if (h->elected_count < VOTES_MAX)
		h->elected[h->elected_count++] = epoch;
}

/* The hello as the shell publishes it (our address + the text rendered at emission). */
static void note_hello(struct harness *h, const struct qu_action *a)
{
	char payload[QU_TEXT_MAX + 32];
	int n = snprintf(payload, sizeof(payload), "127.0.0.1,26379,%s", a->text);
	check(n > 0 && (size_t)n < sizeof(payload));
	struct qu_hello hello;
	check(qu_wire_hello_parse(payload, (size_t)n, &hello) == 0);
	check(strcmp(hello.runid, MYID) == 0 && strcmp(hello.name, "mymaster") == 0);
	check(hello.current_epoch == a->epoch);
	check(hello.config_epoch <= h->disk.config_epoch);
	note_reveal(h, hello.current_epoch);
}

static void execute(struct harness *h, const struct qu_action *a)
{
	switch (a->kind) {
	case QU_ACT_VOTE_REPLY:
		if (strcmp(a->runid, "*") != 0)
			note_vote(h, a->runid, a->epoch);
		break;
	case QU_ACT_SEND_ASK:
		note_reveal(h, a->epoch);
		if (strcmp(a->runid, "*") != 0) {
			check(strcmp(a->runid, MYID) == 0);
			note_vote(h, a->runid, a->epoch);
		}
		break;
	case QU_ACT_SEND_HELLO:
		note_hello(h, a);
		break;
	case QU_ACT_ELECTED:
		note_elected(h, a->epoch);
		break;
	default:
		break;
	}
}

/* Execute the outbox in order, as sentinel/daemon.c does; returns the number of actions. */
static int drain(struct harness *h)
{
	bool failed = false, persisted = false;
	bool new_vote = group(h)->leader_epoch != h->last_leader_epoch;
	int n = 0;
	for (const struct qu_action *a; (a = qu_action_next(h->core)) != NULL; n++) {
		persisted |= a->kind == QU_ACT_PERSIST;
		if (a->kind == QU_ACT_VOTE_REPLY && new_vote) /* in the outbox itself, too */
			check(persisted);
		if (failed)
			continue; /* dropped unexecuted */
		if (a->kind != QU_ACT_PERSIST) {
			execute(h, a);
			continue;
		}
		if (h->fail_next_persist) {
			h->fail_next_persist = false;
			failed = true;
			continue;
		}
		save(h);
	}
	if (failed) {
		struct qu_input in = {.kind = QU_IN_PERSIST_FAILED, .now_ms = h->now_ms};
		check(qu_step(h->core, &in) == QU_OK);
		check(qu_action_next(h->core) == NULL);
	}
	return n;
}

/* Invariants of the live core after every step. */
static void check_core(struct harness *h)
{
	const struct qu_group *g = group(h);
	check(qu_current_epoch(h->core) >= h->last_epoch);
	check(g->leader_epoch >= h->last_leader_epoch);
	if (g->leader_epoch == h->last_leader_epoch) /* one vote per epoch in memory too */
		check(strcmp(g->leader, h->last_leader) == 0);
	check(g->leader_epoch <= qu_current_epoch(h->core));
	h->last_epoch = qu_current_epoch(h->core);
	h->last_leader_epoch = g->leader_epoch;
	memcpy(h->last_leader, g->leader, sizeof(h->last_leader));
	check(g->peer_count == (uint32_t)h->peers);
}

static int step(struct harness *h, struct qu_input *in)
{
	in->now_ms = h->now_ms;
	int rc = qu_step(h->core, in);
	drain(h);
	check_core(h);
	return rc;
}

static void admin(struct harness *h, struct qu_admin *a)
{
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin = *a;
	check(step(h, &in) == QU_OK);
}

static void peer_addr(int i, struct qu_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	strcpy(addr->host, "127.0.0.1");
	addr->port = (uint16_t)(26380 + i);
}

static void links_up(struct harness *h)
{
	for (uint32_t w = 0; w < qu_watchers_max(h->core); w++) {
		if (qu_watcher_at(h->core, w) == NULL)
			continue;
		struct qu_input in = {.kind = QU_IN_LINK, .node = qu_watcher_endpoint(h->core, w)};
		in.u.link.which = QU_LINK_CMD;
		in.u.link.up = true;
		check(step(h, &in) == QU_OK);
	}
}

/* A fresh process: the core is rebuilt from the durable state only (quiet restore). */
static void boot(struct harness *h)
{
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	p.limits.groups_max = 1;
	p.limits.nodes_max = 4;
	p.limits.watchers_max = PEERS_MAX;
	p.seed = h->now_ms;
	memcpy(p.myid, MYID, QU_RUNID_LEN);
	p.current_epoch = h->disk.current_epoch;
	memset(h->mem, 0, qu_core_size(&p.limits));
	h->core = qu_core_init(h->mem, &p);
	check(h->core != NULL);
	h->last_epoch = p.current_epoch;
	h->last_leader_epoch = 0;
	h->last_leader[0] = '\0';
	int peers = h->peers;
	h->peers = 0; /* not yet restored */
	struct qu_admin a = {.op = QU_ADMIN_MONITOR, .quiet = true, .conf = &h->conf};
	admin(h, &a);
	/* sentinel/daemon.c clamps these the same way (state_diff.c capture_vote) */
	check(h->disk.config_epoch <= INT64_MAX && h->disk.leader_epoch <= INT64_MAX);
	a = (struct qu_admin){.op = QU_ADMIN_EPOCHS, .quiet = true};
	a.num = (int64_t)h->disk.config_epoch;
	admin(h, &a);
	if (h->disk.leader[0] != '\0') {
		a = (struct qu_admin){.op = QU_ADMIN_VOTE, .quiet = true, .str = h->disk.leader};
		a.num = (int64_t)h->disk.leader_epoch;
		admin(h, &a);
	}
	char runid[QU_RUNID_LEN + 1];
	for (int i = 0; i < peers; i++) {
		runid_of((char)('b' + i), runid);
		a = (struct qu_admin){.op = QU_ADMIN_KNOWN_PEER, .quiet = true, .str = runid};
		peer_addr(i, &a.addr);
		h->peers = i + 1;
		admin(h, &a);
	}
	links_up(h);
	check(qu_current_epoch(h->core) == disk_epoch(h)); /* and nothing we showed is lost */
	check(qu_current_epoch(h->core) >= h->revealed_epoch);
}

static bool setup(struct harness *h, const uint8_t *data, size_t size)
{
	memset(h, 0, sizeof(*h));
	h->data = data;
	h->size = size;
	struct qu_limits limits = {.groups_max = 1, .nodes_max = 4, .watchers_max = PEERS_MAX};
	h->mem = calloc(1, qu_core_size(&limits));
	if (h->mem == NULL)
		return false;
	uint8_t shape = next(h);
	h->peers = 2 + shape % 3;
	strcpy(h->conf.name, "mymaster");
	strcpy(h->conf.addr.host, "127.0.0.1");
	h->conf.addr.port = 6379;
	h->conf.quorum = 1 + (uint32_t)(shape / 3 % 3);
	h->conf.down_after_ms = 5000;
	h->conf.failover_timeout_ms = 1000 + 1000 * (int64_t)(shape / 9 % 30);
	h->conf.parallel_syncs = 1;
	h->now_ms = 1000000;
	boot(h); /* an empty disk: the peers are "known" from the start */
	return true;
}

static uint64_t pick_epoch(struct harness *h)
{
	uint8_t b = next(h);
	uint64_t cur = qu_current_epoch(h->core);
	if (b == 0xff) /* near the wire's INT64_MAX; OPS_MAX elections cannot cross it */
		return (uint64_t)INT64_MAX - 4096 - next(h) % 4;
	uint64_t delta = b % 6;
	return delta >= 3 ? cur + (delta - 3) : (cur > delta ? cur - delta : 0);
}

/* "*", ourselves, a peer, or a stranger. */
static void pick_runid(struct harness *h, char out[QU_RUNID_LEN + 1])
{
	uint8_t b = next(h) % 7;
	if (b == 0)
		strcpy(out, "*");
	else
		runid_of((char)('a' + b - 1), out); /* a = us, b..e peers, f stranger */
}

static void op_vote_request(struct harness *h)
{
	struct qu_input in = {.kind = QU_IN_VOTE_REQUEST};
	in.u.vote_request.primary = group(h)->conf.addr;
	if (next(h) % 8 == 0)
		in.u.vote_request.primary.port = 6390; /* not ours */
	in.u.vote_request.epoch = pick_epoch(h);
	pick_runid(h, in.u.vote_request.runid);
	check(step(h, &in) == QU_OK);
}

static void op_vote_reply(struct harness *h)
{
	int peer = next(h) % h->peers;
	struct qu_input in = {.kind = QU_IN_VOTE_REPLY};
	for (uint32_t w = 0; w < qu_watchers_max(h->core); w++) {
		const struct qu_watcher *x = qu_watcher_at(h->core, w);
		if (x != NULL && x->addr.port == 26380 + peer)
			in.node = qu_watcher_endpoint(h->core, w);
	}
	uint8_t b = next(h);
	in.u.vote_reply.group = 0;
	in.u.vote_reply.down = b & 1;
	pick_runid(h, in.u.vote_reply.leader);
	in.u.vote_reply.leader_epoch = strcmp(in.u.vote_reply.leader, "*") == 0 ? 0 : pick_epoch(h);
	check(step(h, &in) == QU_OK);
}

static void op_hello(struct harness *h)
{
	int peer = next(h) % h->peers;
	struct qu_hello hello;
	memset(&hello, 0, sizeof(hello));
	peer_addr(peer, &hello.watcher);
	runid_of((char)('b' + peer), hello.runid);
	hello.current_epoch = pick_epoch(h);
	strcpy(hello.name, "mymaster");
	hello.primary = group(h)->conf.addr; /* same primary: no switch, only epochs move */
	hello.config_epoch = group(h)->config_epoch + next(h) % 2;
	struct qu_input in = {.kind = QU_IN_HELLO};
	in.u.hello = &hello;
	check(step(h, &in) == QU_OK);
}

/* The primary answers again (link up, PONG) or goes silent (links down). */
static void op_primary(struct harness *h, bool up)
{
	uint32_t p = group(h)->primary;
	struct qu_input in = {.kind = QU_IN_LINK, .node = p};
	in.u.link.up = up;
	in.u.link.which = QU_LINK_CMD;
	check(step(h, &in) == QU_OK);
	in.u.link.which = QU_LINK_PUBSUB;
	check(step(h, &in) == QU_OK);
	if (!up)
		return;
	in = (struct qu_input){.kind = QU_IN_PING_REPLY, .node = p};
	in.u.ping.valid = true;
	check(step(h, &in) == QU_OK);
}

static void one_op(struct harness *h)
{
	uint8_t op = next(h);
	switch (op % 9) {
	case 0:
	case 1: {
		h->now_ms += 50 * (int64_t)(next(h) % 40);
		struct qu_input in = {.kind = QU_IN_TICK};
		check(step(h, &in) == QU_OK);
		break;
	}
	case 2:
		op_vote_request(h);
		break;
	case 3:
		op_vote_reply(h);
		break;
	case 4:
		op_hello(h);
		break;
	case 5:
		h->fail_next_persist = true;
		break;
	case 6:
		boot(h); /* crash: everything not persisted is lost */
		break;
	case 7:
	case 8:
		op_primary(h, op % 9 == 7);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return 0;
	if (setup(h, data, size))
		for (int i = 0; i < OPS_MAX && h->pos < h->size; i++)
			one_op(h);
	free(h->mem);
	free(h);
	return 0;
}
