// SPDX-License-Identifier: BSD-3-Clause
/*
 * The shared core fixture of the detect, peers and vote suites (see fixture_core.h): builds the
 * core, steps it with the fake clock and copies its outbox out. It asserts only that the inputs it
 * builds were accepted; what the core decided is for each test to check.
 */
#include "fixture_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

struct fx_core fx;

static void drain(void)
{
	fx.count = 0;
	for (const struct qu_action *a; (a = qu_action_next(fx.core)) != NULL;)
		if (fx.count < FX_ACTS_MAX)
			fx.acts[fx.count++] = *a;
}

int fx_step(struct qu_input *in)
{
	in->now_ms = fx.now_ms;
	int rc = qu_step(fx.core, in);
	drain();
	return rc;
}

void fx_release(void)
{
	free(fx.mem);
	fx.mem = NULL;
	fx.core = NULL;
}

struct qu_group_conf fx_group_conf(const char *name, int port)
{
	struct qu_group_conf c;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	strcpy(c.addr.host, "127.0.0.1");
	c.addr.port = (uint16_t)port;
	c.quorum = 2;
	c.down_after_ms = 5000;
	c.failover_timeout_ms = 180000;
	c.parallel_syncs = 1;
	return c;
}

struct qu_input fx_admin(enum qu_admin_op op, uint32_t group)
{
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = op;
	in.u.admin.group = group;
	return in;
}

uint32_t fx_monitor(const char *name, int port, uint32_t quorum, int64_t failover_timeout_ms)
{
	struct qu_group_conf c = fx_group_conf(name, port);
	c.quorum = quorum;
	c.failover_timeout_ms = failover_timeout_ms;
	struct qu_input in = fx_admin(QU_ADMIN_MONITOR, 0);
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL_FATAL(fx_step(&in), QU_OK);
	return qu_group_find(fx.core, name);
}

uint32_t fx_given_core(struct fx_setup s)
{
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	p.limits.groups_max = 4;
	p.limits.nodes_max = 16;
	p.limits.watchers_max = s.watchers_max != 0 ? s.watchers_max : 8;
	p.seed = s.seed != 0 ? s.seed : 42;
	memcpy(p.myid, FX_MYID, QU_RUNID_LEN);
	free(fx.mem);
	memset(&fx, 0, sizeof(fx));
	fx.mem = calloc(1, qu_core_size(&p.limits));
	fx.core = qu_core_init(fx.mem, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.core);
	fx.now_ms = 1000000;
	return fx_monitor("mymaster", 6379, s.quorum != 0 ? s.quorum : 2,
	                  s.failover_timeout_ms != 0 ? s.failover_timeout_ms : 180000);
}

uint32_t fx_given_default_core(void)
{
	return fx_given_core((struct fx_setup){0});
}

void fx_tick(void)
{
	struct qu_input in = {.kind = QU_IN_TICK};
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

void fx_link_up(uint32_t node)
{
	struct qu_input in = {.kind = QU_IN_LINK, .node = node};
	in.u.link.which = QU_LINK_CMD;
	in.u.link.up = true;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
	in.u.link.which = QU_LINK_PUBSUB;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

void fx_pong(uint32_t node, bool valid)
{
	struct qu_input in = {.kind = QU_IN_PING_REPLY, .node = node};
	in.u.ping.valid = valid;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

void fx_info(uint32_t node, const struct qu_info *info)
{
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .node = node};
	in.u.info = info;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

void fx_vote_reply(uint32_t node, uint32_t g, bool down, char leader, uint64_t leader_epoch)
{
	struct qu_input in = {.kind = QU_IN_VOTE_REPLY, .node = node};
	in.u.vote_reply.group = g;
	in.u.vote_reply.down = down;
	if (leader == '*')
		strcpy(in.u.vote_reply.leader, "*");
	else
		fx_runid_of(leader, in.u.vote_reply.leader);
	in.u.vote_reply.leader_epoch = leader_epoch;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

void fx_primary_goes_sdown(void)
{
	fx.now_ms += 5001;
	fx_tick();
}

struct qu_info fx_primary_info(int replicas)
{
	struct qu_info i;
	memset(&i, 0, sizeof(i));
	i.role = QU_ROLE_PRIMARY;
	for (int r = 0; r < replicas; r++) {
		strcpy(i.replicas[r].host, "127.0.0.1");
		i.replicas[r].port = (uint16_t)(6380 + r);
	}
	i.replica_count = (uint32_t)replicas;
	return i;
}

void fx_runid_of(char c, char out[QU_RUNID_LEN + 1])
{
	memset(out, c, QU_RUNID_LEN);
	out[QU_RUNID_LEN] = '\0';
}

struct qu_hello fx_hello(char c, int port, const char *name)
{
	struct qu_hello h;
	memset(&h, 0, sizeof(h));
	strcpy(h.watcher.host, "127.0.0.1");
	h.watcher.port = (uint16_t)port;
	fx_runid_of(c, h.runid);
	snprintf(h.name, sizeof(h.name), "%s", name);
	strcpy(h.primary.host, "127.0.0.1");
	h.primary.port = 6379;
	return h;
}

int fx_feed_hello(const struct qu_hello *h)
{
	struct qu_input in = {.kind = QU_IN_HELLO};
	in.u.hello = h;
	return fx_step(&in);
}

void fx_learn(char c, int port, const char *name)
{
	struct qu_hello h = fx_hello(c, port, name);
	CU_ASSERT_EQUAL_FATAL(fx_feed_hello(&h), QU_OK);
}

uint32_t fx_watcher_of(char c)
{
	char runid[QU_RUNID_LEN + 1];
	fx_runid_of(c, runid);
	for (uint32_t w = 0; w < qu_watchers_max(fx.core); w++) {
		const struct qu_watcher *x = qu_watcher_at(fx.core, w);
		if (x != NULL && strcmp(x->runid, runid) == 0)
			return w;
	}
	return QU_NONE;
}

int fx_count_kind(enum qu_action_kind kind)
{
	int n = 0;
	for (int i = 0; i < fx.count; i++)
		n += fx.acts[i].kind == kind;
	return n;
}

int fx_count_event(enum qu_event ev)
{
	int n = 0;
	for (int i = 0; i < fx.count; i++)
		n += fx.acts[i].kind == QU_ACT_EVENT && fx.acts[i].event == ev;
	return n;
}

int fx_index_of_kind(enum qu_action_kind kind)
{
	for (int i = 0; i < fx.count; i++)
		if (fx.acts[i].kind == kind)
			return i;
	return -1;
}

int fx_index_of_event(enum qu_event ev)
{
	for (int i = 0; i < fx.count; i++)
		if (fx.acts[i].kind == QU_ACT_EVENT && fx.acts[i].event == ev)
			return i;
	return -1;
}

const struct qu_action *fx_find_event(enum qu_event ev)
{
	int i = fx_index_of_event(ev);
	return i < 0 ? NULL : &fx.acts[i];
}
