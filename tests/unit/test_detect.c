// SPDX-License-Identifier: BSD-3-Clause
/*
 * The core's monitoring rules driven with a fake clock: probe cadence, SDOWN, link health,
 * replica discovery, role changes, reboots and admin changes (sentinel-protocol.md §1.3, §1.6, §3, §9).
 */
#include <string.h>

#include "fixture_core.h"
#include "unit.h"

/* A primary's INFO with run id "1111...": the first one seen is no reboot. */
static struct qu_info primary_info(int replicas)
{
	struct qu_info i = fx_primary_info(replicas);
	i.has_run_id = true;
	memset(i.run_id, '1', QU_RUNID_LEN);
	return i;
}

static void test_monitor_adds_primary_and_announces_it(void)
{
	uint32_t g = fx_given_default_core();
	/* fx_given_core drained the outbox: re-run a second monitor to inspect actions */
	struct qu_group_conf c = fx_group_conf("other", 7000);
	struct qu_input in = fx_admin(QU_ADMIN_MONITOR, 0);
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_ADD), 1);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	const struct qu_action *ev = fx_find_event(QU_EV_MONITOR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master other 127.0.0.1 7000 quorum 2");
	CU_ASSERT_NOT_EQUAL(g, QU_NONE);
}

static void test_monitor_refuses_duplicate_name_without_side_effects(void)
{
	fx_given_default_core();
	struct qu_group_conf c = fx_group_conf("mymaster", 7000);
	struct qu_input in = fx_admin(QU_ADMIN_MONITOR, 0);
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL(fx_step(&in), QU_EEXIST);
	CU_ASSERT_EQUAL(fx.count, 0);
	c.quorum = 0;
	strcpy(c.name, "fresh");
	CU_ASSERT_EQUAL(fx_step(&in), QU_EINVAL);
	CU_ASSERT_EQUAL(qu_group_find(fx.core, "fresh"), QU_NONE);
}

static void test_connected_node_gets_ping_info_and_hello_once_per_period(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx_tick();
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_PING), 0); /* not connected: nothing to send */
	fx_link_up(p);
	fx_tick();
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_PING), 1);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_INFO), 1);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_HELLO), 1);
	fx_pong(p, true);
	fx.now_ms += 100;
	fx_tick();
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_PING), 0);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_INFO), 0); /* one INFO in flight */
	fx.now_ms += 1000;
	fx_tick();
	/* the ping period is min(down-after, 1 s) */
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_PING), 1);
}

static void test_unreachable_node_is_sdown_after_down_after(void)
{
	uint32_t g = fx_given_default_core();
	fx.now_ms += 5000;
	fx_tick();
	CU_ASSERT_PTR_NULL(fx_find_event(QU_EV_SDOWN)); /* not yet: strictly more than down-after */
	fx.now_ms += 1;
	fx_tick();
	const struct qu_action *ev = fx_find_event(QU_EV_SDOWN);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379");
	CU_ASSERT_TRUE(qu_node_at(fx.core, qu_group_at(fx.core, g)->primary)->probe.sdown);
	fx_tick();
	CU_ASSERT_PTR_NULL(fx_find_event(QU_EV_SDOWN)); /* a transition is reported once */
}

static void test_invalid_replies_do_not_prevent_sdown_but_pong_clears_it(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx_link_up(p);
	for (int i = 0; i < 7; i++) {
		fx_tick();
		fx_pong(p, false); /* e.g. -NOAUTH: a reply, but not a valid one */
		fx.now_ms += 1000;
	}
	fx_tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
	fx_pong(p, true);
	fx_tick();
	CU_ASSERT_PTR_NOT_NULL(fx_find_event(QU_EV_SDOWN_CLEARED));
	CU_ASSERT_FALSE(qu_node_at(fx.core, p)->probe.sdown);
}

static void test_primary_info_discovers_replicas_once(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_info i = primary_info(2);
	fx_info(p, &i);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_ADD), 2);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	const struct qu_action *ev = fx_find_event(QU_EV_REPLICA_ADDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text,
			       "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379");
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->replica_count, 2);
	fx_info(p, &i);
	CU_ASSERT_EQUAL(fx.count, 0);
}

static void test_changed_run_id_is_a_reboot(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_info i = primary_info(0);
	fx_info(p, &i);
	CU_ASSERT_PTR_NULL(fx_find_event(QU_EV_REBOOT)); /* first run id seen: no reboot */
	memset(i.run_id, '2', QU_RUNID_LEN);
	fx_info(p, &i);
	CU_ASSERT_PTR_NOT_NULL(fx_find_event(QU_EV_REBOOT));
}

/* With a peer that has not confirmed our config since the claim, Sentinel's grace applies:
 * down-after + 2 INFO periods, time for gossip of a newer config to arrive. */
static void test_primary_reporting_replica_role_goes_sdown_later(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx_learn('b', 26380, "mymaster"); /* its hello predates the claim: confirms nothing */
	fx_link_up(p);
	struct qu_info i = primary_info(0);
	i.role = QU_ROLE_REPLICA;
	fx_info(p, &i);
	const struct qu_action *ev = fx_find_event(QU_EV_ROLE_CHANGE_BAD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379 new reported role is slave");
	int64_t start = fx.now_ms;
	while (fx.now_ms - start <= 5000 + 20000) {
		fx.now_ms += 500;
		fx_tick();
		fx_pong(p, true);
		if (fx.now_ms - start <= 5000 + 20000)
			CU_ASSERT_FALSE(qu_node_at(fx.core, p)->probe.sdown);
	}
	fx.now_ms += 500;
	fx_tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
}

/* A lone watcher has no gossip to wait for: the claim is wrong once it outlasts down-after. */
static void test_lone_watcher_declares_a_replica_claiming_primary_down_at_down_after(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx_link_up(p);
	struct qu_info i = primary_info(0);
	i.role = QU_ROLE_REPLICA;
	fx_info(p, &i);
	int64_t start = fx.now_ms;
	while (fx.now_ms - start <= 5000) {
		CU_ASSERT_FALSE(qu_node_at(fx.core, p)->probe.sdown);
		fx.now_ms += 500;
		fx_tick();
		fx_pong(p, true);
	}
	fx.now_ms += 500;
	fx_tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
}

/* §9.1: a stall enters TILT; flags freeze, nothing acts, is-master-down says 0, and 30 s without
 * another stall end it. */
static void test_stall_enters_tilt_and_freezes_decisions(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_input stall = {.kind = QU_IN_STALL};
	CU_ASSERT_EQUAL(fx_step(&stall), QU_OK);
	const struct qu_action *ev = fx_find_event(QU_EV_TILT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "#tilt mode entered");
	CU_ASSERT_TRUE(qu_in_tilt(fx.core, NULL));
	fx.now_ms += 20000; /* far past down-after: the primary never answered */
	fx_tick();
	CU_ASSERT_FALSE(qu_node_at(fx.core, p)->probe.sdown); /* flags freeze */
	struct qu_input stall2 = {.kind = QU_IN_STALL};
	CU_ASSERT_EQUAL(fx_step(&stall2), QU_OK); /* restarts the TILT clock */
	CU_ASSERT_PTR_NULL(fx_find_event(QU_EV_TILT));
	fx.now_ms += QU_TILT_PERIOD_MS - 1;
	fx_tick();
	CU_ASSERT_TRUE(qu_in_tilt(fx.core, NULL));
	fx.now_ms += 1;
	fx_tick();
	ev = fx_find_event(QU_EV_TILT_CLEARED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "#tilt mode exited");
	CU_ASSERT_FALSE(qu_in_tilt(fx.core, NULL));
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown); /* judged again once TILT ends */
}

static void test_silent_pubsub_link_is_closed_after_grace(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx_link_up(p);
	int relinks = 0;
	for (int i = 0; i < 200; i++) {
		fx.now_ms += 100;
		fx_tick();
		for (int a = 0; a < fx.count; a++)
			if (fx.acts[a].kind == QU_ACT_RELINK) {
				CU_ASSERT_EQUAL(fx.acts[a].link, QU_LINK_PUBSUB);
				relinks++;
			}
		fx_pong(p, true);
	}
	/* up for > 15 s and silent for > 6 s: closed exactly once (until it reconnects) */
	CU_ASSERT_EQUAL(relinks, 1);
	CU_ASSERT_FALSE(qu_node_at(fx.core, p)->pubsub_up);
}

static void test_set_auth_pass_hides_secret_and_relinks(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_info i = primary_info(1);
	fx_info(qu_group_at(fx.core, g)->primary, &i);
	struct qu_input in = fx_admin(QU_ADMIN_SET, g);
	in.u.admin.setting = QU_SET_AUTH_PASS;
	in.u.admin.str = "s3cret";
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
	const struct qu_action *ev = fx_find_event(QU_EV_SET);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379 auth-pass ******");
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_ADD), 2);
	CU_ASSERT_STRING_EQUAL(qu_group_at(fx.core, g)->conf.auth_pass, "s3cret");
	in.u.admin.setting = QU_SET_QUORUM;
	in.u.admin.num = 0;
	CU_ASSERT_EQUAL(fx_step(&in), QU_EINVAL);
	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->conf.quorum, 2);
}

static void test_remove_forgets_every_node(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_info i = primary_info(2);
	fx_info(qu_group_at(fx.core, g)->primary, &i);
	struct qu_input in = fx_admin(QU_ADMIN_REMOVE, g);
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_DEL), 3);
	CU_ASSERT_PTR_NOT_NULL(fx_find_event(QU_EV_UNMONITOR));
	CU_ASSERT_PTR_NULL(qu_group_at(fx.core, g));
	for (uint32_t n = 0; n < qu_nodes_max(fx.core); n++)
		CU_ASSERT_PTR_NULL(qu_node_at(fx.core, n));
	CU_ASSERT_EQUAL(fx_step(&in), QU_ENOENT);
}

static void test_reset_forgets_replicas(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_info i = primary_info(2);
	fx_info(qu_group_at(fx.core, g)->primary, &i);
	struct qu_input in = fx_admin(QU_ADMIN_RESET, g);
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_DEL), 2);
	CU_ASSERT_PTR_NOT_NULL(fx_find_event(QU_EV_RESET_MASTER));
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->replica_count, 0);
}

static void test_replica_is_polled_fast_while_primary_is_down(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	struct qu_info i = primary_info(1);
	fx_info(p, &i);
	uint32_t r = qu_group_at(fx.core, g)->replicas[0];
	fx_link_up(r);
	fx_tick();
	struct qu_info ri;
	memset(&ri, 0, sizeof(ri));
	ri.role = QU_ROLE_REPLICA;
	ri.has_primary = true;
	ri.primary_link_up = true;
	strcpy(ri.primary.host, "127.0.0.1");
	ri.primary.port = 6379;
	fx_info(r, &ri);
	fx.now_ms += 1500;
	fx_tick();
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_INFO), 0); /* healthy: 10 s period */
	fx.now_ms += 5000;                                   /* primary never answered: SDOWN */
	fx_tick();
	fx.now_ms += 1100;
	fx_tick();
	int infos = 0;
	for (int a = 0; a < fx.count; a++)
		infos += fx.acts[a].kind == QU_ACT_SEND_INFO && fx.acts[a].node == r;
	CU_ASSERT_EQUAL(infos, 1);
}

static void test_time_going_backwards_is_ignored(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx.now_ms -= 100000;
	fx_tick();
	fx.now_ms += 100000 + 5001;
	fx_tick();
	CU_ASSERT_TRUE(qu_node_at(fx.core, p)->probe.sdown);
	fx_release();
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
	{"lone watcher: replica claim is down at down-after",
	 test_lone_watcher_declares_a_replica_claiming_primary_down_at_down_after},
	{"stall enters tilt and freezes decisions", test_stall_enters_tilt_and_freezes_decisions},
	{"silent pubsub link is closed after grace", test_silent_pubsub_link_is_closed_after_grace},
	{"set auth-pass hides secret and relinks", test_set_auth_pass_hides_secret_and_relinks},
	{"remove forgets every node", test_remove_forgets_every_node},
	{"reset forgets replicas", test_reset_forgets_replicas},
	{"replica is polled fast while primary is down",
	 test_replica_is_polled_fast_while_primary_is_down},
	{"time going backwards is ignored", test_time_going_backwards_is_ignored},
	CU_TEST_INFO_NULL,
};
