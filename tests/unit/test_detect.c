// SPDX-License-Identifier: BSD-3-Clause
/*
 * The core's monitoring rules driven with a fake clock: probe cadence, SDOWN, link health,
 * replica discovery, role changes, reboots and admin changes (sentinel-protocol.md §1.3, §1.6, §3, §9).
 */
#include <stdlib.h>
#include <string.h>

#include "quorum.h"
#include "unit.h"

struct fixture {
	void *mem;
	struct qu_core *core;
	int64_t now_ms;
	struct qu_action acts[256];
	int count;
};

static struct fixture fx;

static void drain(void)
{
	fx.count = 0;
	for (const struct qu_action *a; (a = qu_action_next(fx.core)) != NULL;)
		if (fx.count < 256)
			fx.acts[fx.count++] = *a;
}

static int step(struct qu_input *in)
{
	in->now_ms = fx.now_ms;
	int rc = qu_step(fx.core, in);
	drain();
	return rc;
}

static struct qu_group_conf group_conf(const char *name, int port)
{
	struct qu_group_conf c;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	strcpy(c.addr.host, "127.0.0.1");
	c.addr.port = (uint16_t)port;
	c.quorum = 2;
	c.down_after_ms = 5000;
	c.failover_timeout_ms = 180000;
	c.parallel_syncs = 1;
	return c;
}

static uint32_t given_core_with_group(void)
{
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	p.limits.groups_max = 4;
	p.limits.nodes_max = 16;
	p.seed = 42;
	memset(p.myid, 'a', QU_RUNID_LEN);
	free(fx.mem);
	memset(&fx, 0, sizeof(fx));
	fx.mem = calloc(1, qu_core_size(&p.limits));
	fx.core = qu_core_init(fx.mem, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.core);
	fx.now_ms = 1000000;
	struct qu_group_conf c = group_conf("mymaster", 6379);
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_MONITOR;
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL_FATAL(step(&in), QU_OK);
	return qu_group_find(fx.core, "mymaster");
}

static int count_kind(enum qu_action_kind kind)
{
	int n = 0;
	for (int i = 0; i < fx.count; i++)
		n += fx.acts[i].kind == kind;
	return n;
}

static const struct qu_action *find_event(enum qu_event ev)
{
	for (int i = 0; i < fx.count; i++)
		if (fx.acts[i].kind == QU_ACT_EVENT && fx.acts[i].event == ev)
			return &fx.acts[i];
	return NULL;
}

static void tick(void)
{
	struct qu_input in = {.kind = QU_IN_TICK};
	CU_ASSERT_EQUAL(step(&in), QU_OK);
}

static void link_up(uint32_t node)
{
	struct qu_input in = {.kind = QU_IN_LINK, .node = node};
	in.u.link.which = QU_LINK_CMD;
	in.u.link.up = true;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
	in.u.link.which = QU_LINK_PUBSUB;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
}

static void pong(uint32_t node, bool valid)
{
	struct qu_input in = {.kind = QU_IN_PING_REPLY, .node = node};
	in.u.ping.valid = valid;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
}

static void info(uint32_t node, const struct qu_info *i)
{
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .node = node};
	in.u.info = i;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
}

static struct qu_info primary_info(int replicas)
{
	struct qu_info i;
	memset(&i, 0, sizeof(i));
	i.role = QU_ROLE_PRIMARY;
	i.has_run_id = true;
	memset(i.run_id, '1', QU_RUNID_LEN);
	for (int r = 0; r < replicas; r++) {
		strcpy(i.replicas[r].host, "127.0.0.1");
		i.replicas[r].port = (uint16_t)(6380 + r);
	}
	i.replica_count = (uint32_t)replicas;
	return i;
}

static void test_monitor_adds_primary_and_announces_it(void)
{
	uint32_t g = given_core_with_group();
	/* given_core drained the outbox: re-run a second monitor to inspect actions */
	struct qu_group_conf c = group_conf("other", 7000);
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_MONITOR;
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_NODE_ADD), 1);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_PERSIST), 1);
	const struct qu_action *ev = find_event(QU_EV_MONITOR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master other 127.0.0.1 7000 quorum 2");
	CU_ASSERT_NOT_EQUAL(g, QU_NONE);
}

static void test_monitor_refuses_duplicate_name_without_side_effects(void)
{
	given_core_with_group();
	struct qu_group_conf c = group_conf("mymaster", 7000);
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_MONITOR;
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL(step(&in), QU_EEXIST);
	CU_ASSERT_EQUAL(fx.count, 0);
	c.quorum = 0;
	strcpy(c.name, "fresh");
	CU_ASSERT_EQUAL(step(&in), QU_EINVAL);
	CU_ASSERT_EQUAL(qu_group_find(fx.core, "fresh"), QU_NONE);
}

static void test_connected_node_gets_ping_info_and_hello_once_per_period(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	tick();
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_PING), 0); /* not connected: nothing to send */
	link_up(p);
	tick();
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_PING), 1);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_INFO), 1);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_HELLO), 1);
	pong(p, true);
	fx.now_ms += 100;
	tick();
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_PING), 0);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_INFO), 0); /* one INFO in flight */
	fx.now_ms += 1000;
	tick();
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_PING), 1); /* ping period is min(down-after, 1 s) */
}

static void test_unreachable_node_is_sdown_after_down_after(void)
{
	uint32_t g = given_core_with_group();
	fx.now_ms += 5000;
	tick();
	CU_ASSERT_PTR_NULL(find_event(QU_EV_SDOWN)); /* not yet: strictly more than down-after */
	fx.now_ms += 1;
	tick();
	const struct qu_action *ev = find_event(QU_EV_SDOWN);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379");
	CU_ASSERT_TRUE(qu_node_at(fx.core, qu_group_at(fx.core, g)->primary)->probe.sdown);
	tick();
	CU_ASSERT_PTR_NULL(find_event(QU_EV_SDOWN)); /* a transition is reported once */
}

static void test_invalid_replies_do_not_prevent_sdown_but_pong_clears_it(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	link_up(p);
	for (int i = 0; i < 7; i++) {
		tick();
		pong(p, false); /* e.g. -NOAUTH: a reply, but not a valid one */
		fx.now_ms += 1000;
	}
	tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
	pong(p, true);
	tick();
	CU_ASSERT_PTR_NOT_NULL(find_event(QU_EV_SDOWN_CLEARED));
	CU_ASSERT_FALSE(qu_node_at(fx.core, p)->probe.sdown);
}

static void test_primary_info_discovers_replicas_once(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_info i = primary_info(2);
	info(p, &i);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_NODE_ADD), 2);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_PERSIST), 1);
	const struct qu_action *ev = find_event(QU_EV_REPLICA_ADDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text,
			       "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379");
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->replica_count, 2);
	info(p, &i);
	CU_ASSERT_EQUAL(fx.count, 0);
}

static void test_changed_run_id_is_a_reboot(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_info i = primary_info(0);
	info(p, &i);
	CU_ASSERT_PTR_NULL(find_event(QU_EV_REBOOT)); /* first run id seen: no reboot */
	memset(i.run_id, '2', QU_RUNID_LEN);
	info(p, &i);
	CU_ASSERT_PTR_NOT_NULL(find_event(QU_EV_REBOOT));
}

static void test_primary_reporting_replica_role_goes_sdown_later(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	link_up(p);
	struct qu_info i = primary_info(0);
	i.role = QU_ROLE_REPLICA;
	info(p, &i);
	const struct qu_action *ev = find_event(QU_EV_ROLE_CHANGE_BAD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379 new reported role is slave");
	int64_t start = fx.now_ms;
	while (fx.now_ms - start <= 5000 + 20000) {
		fx.now_ms += 500;
		tick();
		pong(p, true);
		if (fx.now_ms - start <= 5000 + 20000)
			CU_ASSERT_FALSE(qu_node_at(fx.core, p)->probe.sdown);
	}
	fx.now_ms += 500;
	tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
}

static void test_silent_pubsub_link_is_closed_after_grace(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	link_up(p);
	int relinks = 0;
	for (int i = 0; i < 200; i++) {
		fx.now_ms += 100;
		tick();
		for (int a = 0; a < fx.count; a++)
			if (fx.acts[a].kind == QU_ACT_RELINK) {
				CU_ASSERT_EQUAL(fx.acts[a].link, QU_LINK_PUBSUB);
				relinks++;
			}
		pong(p, true);
	}
	/* up for > 15 s and silent for > 6 s: closed exactly once (until it reconnects) */
	CU_ASSERT_EQUAL(relinks, 1);
	CU_ASSERT_FALSE(qu_node_at(fx.core, p)->pubsub_up);
}

static void test_set_auth_pass_hides_secret_and_relinks(void)
{
	uint32_t g = given_core_with_group();
	struct qu_info i = primary_info(1);
	info(qu_group_at(fx.core, g)->primary, &i);
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_SET;
	in.u.admin.group = g;
	in.u.admin.setting = QU_SET_AUTH_PASS;
	in.u.admin.str = "s3cret";
	CU_ASSERT_EQUAL(step(&in), QU_OK);
	const struct qu_action *ev = find_event(QU_EV_SET);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379 auth-pass ******");
	CU_ASSERT_EQUAL(count_kind(QU_ACT_NODE_ADD), 2);
	CU_ASSERT_STRING_EQUAL(qu_group_at(fx.core, g)->conf.auth_pass, "s3cret");
	in.u.admin.setting = QU_SET_QUORUM;
	in.u.admin.num = 0;
	CU_ASSERT_EQUAL(step(&in), QU_EINVAL);
	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->conf.quorum, 2);
}

static void test_remove_forgets_every_node(void)
{
	uint32_t g = given_core_with_group();
	struct qu_info i = primary_info(2);
	info(qu_group_at(fx.core, g)->primary, &i);
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_REMOVE;
	in.u.admin.group = g;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_NODE_DEL), 3);
	CU_ASSERT_PTR_NOT_NULL(find_event(QU_EV_UNMONITOR));
	CU_ASSERT_PTR_NULL(qu_group_at(fx.core, g));
	for (uint32_t n = 0; n < qu_nodes_max(fx.core); n++)
		CU_ASSERT_PTR_NULL(qu_node_at(fx.core, n));
	CU_ASSERT_EQUAL(step(&in), QU_ENOENT);
}

static void test_reset_forgets_replicas(void)
{
	uint32_t g = given_core_with_group();
	struct qu_info i = primary_info(2);
	info(qu_group_at(fx.core, g)->primary, &i);
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_RESET;
	in.u.admin.group = g;
	CU_ASSERT_EQUAL(step(&in), QU_OK);
	CU_ASSERT_EQUAL(count_kind(QU_ACT_NODE_DEL), 2);
	CU_ASSERT_PTR_NOT_NULL(find_event(QU_EV_RESET_MASTER));
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->replica_count, 0);
}

static void test_replica_is_polled_fast_while_primary_is_down(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_info i = primary_info(1);
	info(p, &i);
	uint32_t r = qu_group_at(fx.core, g)->replicas[0];
	link_up(r);
	tick();
	struct qu_info ri;
	memset(&ri, 0, sizeof(ri));
	ri.role = QU_ROLE_REPLICA;
	ri.has_primary = true;
	ri.primary_link_up = true;
	strcpy(ri.primary.host, "127.0.0.1");
	ri.primary.port = 6379;
	info(r, &ri);
	fx.now_ms += 1500;
	tick();
	CU_ASSERT_EQUAL(count_kind(QU_ACT_SEND_INFO), 0); /* healthy: 10 s period */
	fx.now_ms += 5000;                                 /* primary never answered: SDOWN */
	tick();
	fx.now_ms += 1100;
	tick();
	int infos = 0;
	for (int a = 0; a < fx.count; a++)
		infos += fx.acts[a].kind == QU_ACT_SEND_INFO && fx.acts[a].node == r;
	CU_ASSERT_EQUAL(infos, 1);
}

static void test_time_going_backwards_is_ignored(void)
{
	uint32_t g = given_core_with_group();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx.now_ms -= 100000;
	tick();
	fx.now_ms += 100000 + 5001;
	tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
	free(fx.mem);
	fx.mem = NULL;
}

CU_TestInfo detect_tests[] = {
	{"monitor adds primary and announces it", test_monitor_adds_primary_and_announces_it},
	{"monitor refuses duplicate name without side effects",
	 test_monitor_refuses_duplicate_name_without_side_effects},
	{"connected node gets ping, info and hello once per period",
	 test_connected_node_gets_ping_info_and_hello_once_per_period},
	{"unreachable node is sdown after down-after", test_unreachable_node_is_sdown_after_down_after},
	{"invalid replies do not prevent sdown, pong clears it",
	 test_invalid_replies_do_not_prevent_sdown_but_pong_clears_it},
	{"primary INFO discovers replicas once", test_primary_info_discovers_replicas_once},
	{"changed run id is a reboot", test_changed_run_id_is_a_reboot},
	{"primary reporting replica role goes sdown later",
	 test_primary_reporting_replica_role_goes_sdown_later},
	{"silent pubsub link is closed after grace", test_silent_pubsub_link_is_closed_after_grace},
	{"set auth-pass hides secret and relinks", test_set_auth_pass_hides_secret_and_relinks},
	{"remove forgets every node", test_remove_forgets_every_node},
	{"reset forgets replicas", test_reset_forgets_replicas},
	{"replica is polled fast while primary is down",
	 test_replica_is_polled_fast_while_primary_is_down},
	{"time going backwards is ignored", test_time_going_backwards_is_ignored},
	CU_TEST_INFO_NULL,
};
