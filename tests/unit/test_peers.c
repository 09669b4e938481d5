// SPDX-License-Identifier: BSD-3-Clause
/*
 * The core's gossip rules driven with a fake clock: watchers learned from hellos, address
 * changes, newer epochs and configs adopted from peers, the shared watcher table, and objective
 * down from peer opinions (sentinel-protocol.md §2.3, §3.3, §7). Black box through qu_step().
 */
#include <stdio.h>
#include <string.h>

#include "fixture_core.h"
#include "unit.h"

static uint32_t used_watchers(void)
{
	uint32_t n = 0;
	for (uint32_t w = 0; w < qu_watchers_max(fx.core); w++)
		n += qu_watcher_at(fx.core, w) != NULL;
	return n;
}

static uint32_t peer_count(uint32_t g)
{
	return qu_group_at(fx.core, g)->peer_count;
}

/* Does group g list watcher "<c>..."? */
static bool lists(uint32_t g, char c)
{
	uint32_t w = fx_watcher_of(c);
	const struct qu_group *grp = qu_group_at(fx.core, g);
	for (uint32_t i = 0; w != QU_NONE && i < grp->peer_count; i++)
		if (grp->peers[i].watcher == w)
			return true;
	return false;
}

static void vote_reply(char c, uint32_t g, bool down)
{
	fx_vote_reply(qu_watcher_endpoint(fx.core, fx_watcher_of(c)), g, down, '*', 0);
}

/* ---- learning watchers -------------------------------------------------------------------------
 */

static void test_hello_for_unknown_group_is_refused_without_change(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_hello h = fx_hello('b', 26380, "nosuchgroup");
	h.current_epoch = 9;
	h.config_epoch = 9;

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_ENOENT);

	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(peer_count(g), 0);
	CU_ASSERT_EQUAL(used_watchers(), 0);
	CU_ASSERT_EQUAL(qu_current_epoch(fx.core), 0); /* not even the epoch is adopted */
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->config_epoch, 0);
}

static void test_null_hello_is_invalid(void)
{
	fx_given_default_core();
	struct qu_input in = {.kind = QU_IN_HELLO};
	in.u.hello = NULL;

	CU_ASSERT_EQUAL(fx_step(&in), QU_EINVAL);
	CU_ASSERT_EQUAL(fx.count, 0);
}

static void test_our_own_hello_is_ignored(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_hello h = fx_hello('a', 26379, "mymaster"); /* our id, echoed by a node */
	h.current_epoch = 5;

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(peer_count(g), 0);
	CU_ASSERT_EQUAL(qu_current_epoch(fx.core), 0);
}

static void test_new_watcher_is_announced_linked_and_persisted(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_hello h = fx_hello('b', 26380, "mymaster");

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	uint32_t w = fx_watcher_of('b');
	CU_ASSERT_NOT_EQUAL_FATAL(w, QU_NONE);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_ADD), 1);
	CU_ASSERT_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_NODE_ADD)].node,
	                qu_watcher_endpoint(fx.core, w));
	CU_ASSERT_EQUAL(qu_watcher_endpoint(fx.core, w), qu_nodes_max(fx.core) + w);
	const struct qu_action *ev = fx_find_event(QU_EV_SENTINEL_ADDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text,
	                       "sentinel bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1 "
	                       "26380 @ mymaster 127.0.0.1 6379");
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	CU_ASSERT_EQUAL(peer_count(g), 1);
	const struct qu_watcher *x = qu_watcher_at(fx.core, w);
	CU_ASSERT_EQUAL(x->refs, 1);
	CU_ASSERT_EQUAL(x->addr.port, 26380);
}

static void test_duplicate_hello_changes_nothing(void)
{
	uint32_t g = fx_given_default_core();
	fx_learn('b', 26380, "mymaster");
	fx.now_ms += 2000;

	fx_learn('b', 26380, "mymaster");

	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(peer_count(g), 1);
	CU_ASSERT_EQUAL(used_watchers(), 1);
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->peers[0].hello_at_ms, fx.now_ms);
}

static void test_same_runid_at_new_address_is_an_address_switch(void)
{
	uint32_t g = fx_given_default_core();
	fx_learn('b', 26380, "mymaster");
	uint32_t old = fx_watcher_of('b');

	fx_learn('b', 26390, "mymaster");

	const struct qu_action *ev = fx_find_event(QU_EV_SENTINEL_ADDRESS_SWITCH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379 ip 127.0.0.1 port 26390 "
	                                 "for bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_SENTINEL_ADDED), 0); /* a switch, not a new watcher */
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_DEL), 1);
	CU_ASSERT_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_NODE_DEL)].node,
	                qu_watcher_endpoint(fx.core, old));
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_ADD), 1);
	CU_ASSERT_TRUE(fx_index_of_kind(QU_ACT_NODE_DEL) < fx_index_of_kind(QU_ACT_NODE_ADD));
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	CU_ASSERT_EQUAL(peer_count(g), 1);
	CU_ASSERT_EQUAL(used_watchers(), 1);
	CU_ASSERT_EQUAL(qu_watcher_at(fx.core, fx_watcher_of('b'))->addr.port, 26390);
}

static void test_other_runid_at_known_address_evicts_the_old_one_everywhere(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t g2 = fx_monitor("other", 7000, 2, 180000);
	fx_learn('b', 26380, "mymaster");
	fx_learn('b', 26380, "other");
	uint32_t old = fx_watcher_of('b');

	fx_learn('c', 26380, "mymaster"); /* 'b' restarted with a new id, 'c' */

	const struct qu_action *ev = fx_find_event(QU_EV_SENTINEL_INVALID_ADDR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text,
	                       "sentinel bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1 "
	                       "26380 @ mymaster 127.0.0.1 6379");
	CU_ASSERT_EQUAL(fx_watcher_of('b'), QU_NONE);
	CU_ASSERT_FALSE(lists(g2, 'b')); /* removed from every group, not just this one */
	CU_ASSERT_EQUAL(peer_count(g2), 0);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_DEL), 1);
	CU_ASSERT_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_NODE_DEL)].node,
	                qu_watcher_endpoint(fx.core, old));
	CU_ASSERT_TRUE(lists(g, 'c'));
	CU_ASSERT_EQUAL(peer_count(g), 1);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_SENTINEL_ADDED), 1);
	CU_ASSERT_TRUE(fx_index_of_kind(QU_ACT_NODE_DEL) < fx_index_of_kind(QU_ACT_NODE_ADD));
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
}

/* ---- epochs and configs from gossip ------------------------------------------------------------
 */

static void test_higher_current_epoch_is_adopted_and_persisted_first(void)
{
	fx_given_default_core();
	fx_learn('b', 26380, "mymaster");
	struct qu_hello h = fx_hello('b', 26380, "mymaster");
	h.current_epoch = 7;

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	CU_ASSERT_EQUAL(qu_current_epoch(fx.core), 7);
	const struct qu_action *ev = fx_find_event(QU_EV_NEW_EPOCH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "7");
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	CU_ASSERT_EQUAL(fx_index_of_kind(QU_ACT_PERSIST), 0); /* before anything else */
}

static void test_new_watcher_with_higher_epoch_is_persisted_once_before_events(void)
{
	fx_given_default_core();
	struct qu_hello h = fx_hello('b', 26380, "mymaster");
	h.current_epoch = 3;

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	CU_ASSERT_EQUAL(qu_current_epoch(fx.core), 3);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1); /* one write covers both changes */
	CU_ASSERT_TRUE(fx_index_of_kind(QU_ACT_PERSIST) < fx_index_of_event(QU_EV_NEW_EPOCH));
}

static void test_lower_or_equal_epochs_are_not_adopted(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_hello h = fx_hello('b', 26380, "mymaster");
	h.current_epoch = 5;
	h.config_epoch = 4;
	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);
	h.current_epoch = 4;
	h.config_epoch = 4;
	h.primary.port = 6390; /* same config epoch, other address: not newer, no switch */

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(qu_current_epoch(fx.core), 5);
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->config_epoch, 4);
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->conf.addr.port, 6379);
}

static void test_higher_config_epoch_same_address_only_adopts_the_epoch(void)
{
	uint32_t g = fx_given_default_core();
	fx_learn('b', 26380, "mymaster");
	struct qu_hello h = fx_hello('b', 26380, "mymaster");
	h.config_epoch = 2;

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->config_epoch, 2);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_SWITCH_MASTER), 0);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
}

static void test_newer_config_switches_primary_and_rebuilds_group(void)
{
	uint32_t g = fx_given_default_core();
	struct qu_info i = fx_primary_info(2); /* replicas 6380 and 6381 */
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .node = qu_group_at(fx.core, g)->primary};
	in.u.info = &i;
	CU_ASSERT_EQUAL_FATAL(fx_step(&in), QU_OK);
	fx_learn('b', 26380, "mymaster");
	struct qu_hello h = fx_hello('b', 26380, "mymaster");
	h.current_epoch = 1;
	h.config_epoch = 1;
	h.primary.port = 6380; /* 'b' saw the replica 6380 promoted */

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_OK);

	const struct qu_action *from = fx_find_event(QU_EV_CONFIG_UPDATE_FROM);
	CU_ASSERT_PTR_NOT_NULL_FATAL(from);
	CU_ASSERT_STRING_EQUAL(from->text, "sentinel bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb "
	                                   "127.0.0.1 26380 @ mymaster 127.0.0.1 6379");
	const struct qu_action *sw = fx_find_event(QU_EV_SWITCH_MASTER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sw);
	CU_ASSERT_STRING_EQUAL(sw->text, "mymaster 127.0.0.1 6379 127.0.0.1 6380");
	CU_ASSERT_TRUE(fx_index_of_event(QU_EV_CONFIG_UPDATE_FROM) <
	               fx_index_of_event(QU_EV_SWITCH_MASTER));
	const struct qu_group *grp = qu_group_at(fx.core, g);
	CU_ASSERT_EQUAL(grp->config_epoch, 1);
	CU_ASSERT_EQUAL(grp->conf.addr.port, 6380);
	CU_ASSERT_EQUAL(qu_node_at(fx.core, grp->primary)->addr.port, 6380);
	CU_ASSERT_EQUAL(qu_node_at(fx.core, grp->primary)->kind, QU_ROLE_PRIMARY);
	/* replicas: the previous ones minus the new primary, plus the old primary (§2.3 step 5) */
	CU_ASSERT_EQUAL_FATAL(grp->replica_count, 2);
	struct qu_addr a6379 = {.host = "127.0.0.1", .port = 6379};
	struct qu_addr a6381 = {.host = "127.0.0.1", .port = 6381};
	uint32_t old = qu_node_find(fx.core, g, &a6379);
	CU_ASSERT_NOT_EQUAL_FATAL(old, QU_NONE);
	CU_ASSERT_EQUAL(qu_node_at(fx.core, old)->kind, QU_ROLE_REPLICA);
	CU_ASSERT_NOT_EQUAL(qu_node_find(fx.core, g, &a6381), QU_NONE);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_REPLICA_ADDED), 2);
	int found_old = 0;
	for (int k = 0; k < fx.count; k++)
		found_old +=
		    fx.acts[k].kind == QU_ACT_EVENT && fx.acts[k].event == QU_EV_REPLICA_ADDED &&
		    strcmp(fx.acts[k].text, "slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster "
		                            "127.0.0.1 6380") == 0;
	CU_ASSERT_EQUAL(found_old, 1);
	CU_ASSERT_EQUAL(peer_count(g), 1); /* watchers are kept across the switch */
	CU_ASSERT_TRUE(fx_count_kind(QU_ACT_PERSIST) >= 1);
}

/* ---- the shared watcher table ------------------------------------------------------------------
 */

static void test_watcher_shared_by_two_groups_has_one_link(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t g2 = fx_monitor("other", 7000, 2, 180000);
	fx_learn('b', 26380, "mymaster");

	fx_learn('b', 26380, "other");

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_NODE_ADD), 0); /* the link exists already */
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_SENTINEL_ADDED), 1);
	CU_ASSERT_EQUAL(used_watchers(), 1);
	CU_ASSERT_EQUAL(qu_watcher_at(fx.core, fx_watcher_of('b'))->refs, 2);
	CU_ASSERT_TRUE(lists(g, 'b'));
	CU_ASSERT_TRUE(lists(g2, 'b'));
}

static void reset_group(uint32_t g)
{
	struct qu_input in = fx_admin(QU_ADMIN_RESET, g);
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

static int node_dels_of(uint32_t endpoint)
{
	int n = 0;
	for (int i = 0; i < fx.count; i++)
		n += fx.acts[i].kind == QU_ACT_NODE_DEL && fx.acts[i].node == endpoint;
	return n;
}

static void test_shared_watcher_link_closes_when_both_groups_forget_it(void)
{
	uint32_t g = fx_given_default_core();
	uint32_t g2 = fx_monitor("other", 7000, 2, 180000);
	fx_learn('b', 26380, "mymaster");
	fx_learn('b', 26380, "other");
	uint32_t w = fx_watcher_of('b');
	uint32_t endpoint = qu_watcher_endpoint(fx.core, w);

	reset_group(g);
	CU_ASSERT_EQUAL(node_dels_of(endpoint), 0);
	CU_ASSERT_EQUAL(qu_watcher_at(fx.core, w)->refs, 1);

	reset_group(g2);
	CU_ASSERT_EQUAL(node_dels_of(endpoint), 1);
	CU_ASSERT_PTR_NULL(qu_watcher_at(fx.core, w));
}

static void test_peer_list_is_bounded_by_peers_max(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.watchers_max = QU_PEERS_MAX + 8});
	for (int i = 0; i < QU_PEERS_MAX; i++) {
		struct qu_hello h = fx_hello('b', 20000 + i, "mymaster");
		snprintf(h.runid + QU_RUNID_LEN - 4, 5, "%04x", (unsigned)i); /* distinct ids */
		CU_ASSERT_EQUAL_FATAL(fx_feed_hello(&h), QU_OK);
	}
	CU_ASSERT_EQUAL(peer_count(g), QU_PEERS_MAX);
	struct qu_hello h = fx_hello('c', 30000, "mymaster");

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_EFULL);

	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(peer_count(g), QU_PEERS_MAX);
	CU_ASSERT_EQUAL(used_watchers(), QU_PEERS_MAX);
}

static void test_full_watcher_table_refuses_a_new_watcher(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.watchers_max = 2});
	fx_learn('b', 26380, "mymaster");
	fx_learn('c', 26381, "mymaster");
	struct qu_hello h = fx_hello('d', 26382, "mymaster");

	CU_ASSERT_EQUAL(fx_feed_hello(&h), QU_EFULL);

	CU_ASSERT_EQUAL(fx.count, 0);
	CU_ASSERT_EQUAL(peer_count(g), 2);
}

/*
 * Regression (failed on f9c15ba): qu_step() promises "on error no state changed and the outbox
 * is empty", but an address switch that could not get a watcher slot had already removed the old
 * entry and emitted +sentinel-address-switch when peer_add() failed.
 */
static void test_refused_address_switch_leaves_state_unchanged(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.watchers_max = 1});
	uint32_t g2 = fx_monitor("other", 7000, 2, 180000);
	fx_learn('b', 26380, "mymaster");
	fx_learn('b', 26380, "other"); /* one slot, shared: the table is full */

	struct qu_hello h = fx_hello('b', 26390, "mymaster");

	int rc = fx_feed_hello(&h);

	if (rc != QU_OK) { /* refusing is fine, half-applying is not */
		CU_ASSERT_EQUAL(fx.count, 0);
		CU_ASSERT_TRUE(lists(g, 'b'));
		CU_ASSERT_EQUAL(peer_count(g), 1);
	}
	CU_ASSERT_TRUE(lists(g2, 'b'));
}

/* ---- objective down ------------------------------------------------------------------------- */

static void test_odown_needs_quorum_counting_ourselves(void)
{
	static const struct {
		const char *name;
		uint32_t quorum;
		int peers, down_replies;
		const char *odown; /* expected +odown payload, NULL: none */
	} cases[] = {
	    {"quorum 1 alone", 1, 0, 0, "master mymaster 127.0.0.1 6379 #quorum 1/1"},
	    {"quorum 2 alone", 2, 2, 0, NULL},
	    {"quorum 2 one peer", 2, 2, 1, "master mymaster 127.0.0.1 6379 #quorum 2/2"},
	    {"quorum 3 one peer", 3, 3, 1, NULL},
	    {"quorum 3 two peers", 3, 3, 2, "master mymaster 127.0.0.1 6379 #quorum 3/3"},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t g = fx_given_core((struct fx_setup){.quorum = cases[k].quorum});
		for (int p = 0; p < cases[k].peers; p++)
			fx_learn((char)('b' + p), 26380 + p, "mymaster");
		fx_primary_goes_sdown();
		const struct qu_action *ev = fx_find_event(QU_EV_ODOWN);
		for (int p = 0; p < cases[k].down_replies; p++) {
			vote_reply((char)('b' + p), g, true);
			if (ev == NULL && fx_find_event(QU_EV_ODOWN) != NULL)
				ev = fx_find_event(QU_EV_ODOWN);
		}

		CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->odown, cases[k].odown != NULL);
		if (cases[k].odown != NULL) {
			CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
			if (strcmp(ev->text, cases[k].odown) != 0)
				CU_FAIL(cases[k].name);
		}
	}
}

static void test_peers_alone_cannot_make_odown(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.quorum = 2});
	fx_learn('b', 26380, "mymaster");
	fx_learn('c', 26381, "mymaster");
	fx.now_ms += 100; /* the primary is not SDOWN here */

	vote_reply('b', g, true);
	vote_reply('c', g, true);

	CU_ASSERT_FALSE(qu_group_at(fx.core, g)->odown);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ODOWN), 0);
}

static void test_stale_peer_opinion_expires_after_five_seconds(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.quorum = 2});
	fx_learn('b', 26380, "mymaster"); /* link never up: no asks refresh its opinion */
	fx_primary_goes_sdown();
	vote_reply('b', g, true);
	CU_ASSERT_TRUE_FATAL(qu_group_at(fx.core, g)->odown);

	fx.now_ms += 5000;
	fx_tick();
	CU_ASSERT_TRUE(qu_group_at(fx.core, g)->odown); /* exactly 5 s old: still valid */

	fx.now_ms += 1;
	fx_tick();
	CU_ASSERT_FALSE(qu_group_at(fx.core, g)->odown);
	const struct qu_action *ev = fx_find_event(QU_EV_ODOWN_CLEARED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379");
}

static void test_peer_saying_up_clears_odown(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.quorum = 2});
	fx_learn('b', 26380, "mymaster");
	fx_primary_goes_sdown();
	vote_reply('b', g, true);
	CU_ASSERT_TRUE_FATAL(qu_group_at(fx.core, g)->odown);

	vote_reply('b', g, false);

	CU_ASSERT_FALSE(qu_group_at(fx.core, g)->odown);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ODOWN_CLEARED), 1);
}

static void test_primary_back_up_clears_odown(void)
{
	uint32_t g = fx_given_core((struct fx_setup){.quorum = 1});
	uint32_t p = qu_group_at(fx.core, g)->primary;
	fx_primary_goes_sdown();
	CU_ASSERT_TRUE_FATAL(qu_group_at(fx.core, g)->odown);
	fx_link_up(p);
	fx_pong(p, true);

	fx_tick();

	CU_ASSERT_EQUAL(fx_count_event(QU_EV_SDOWN_CLEARED), 1);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ODOWN_CLEARED), 1);
	CU_ASSERT_TRUE(fx_index_of_event(QU_EV_SDOWN_CLEARED) <
	               fx_index_of_event(QU_EV_ODOWN_CLEARED));
	CU_ASSERT_FALSE(qu_group_at(fx.core, g)->odown);
}

static void test_reply_from_unknown_watcher_or_group_is_refused(void)
{
	uint32_t g = fx_given_default_core();
	fx_learn('b', 26380, "mymaster");
	struct qu_input in = {.kind = QU_IN_VOTE_REPLY};
	in.node = qu_watcher_endpoint(fx.core, fx_watcher_of('b'));
	in.u.vote_reply.group = g + 1; /* not monitored */
	strcpy(in.u.vote_reply.leader, "*");
	CU_ASSERT_EQUAL(fx_step(&in), QU_ENOENT);
	in.u.vote_reply.group = QU_NONE;
	CU_ASSERT_EQUAL(fx_step(&in), QU_ENOENT);
	in.u.vote_reply.group = g;
	in.node = qu_watcher_endpoint(fx.core, qu_watchers_max(fx.core) - 1); /* unused slot */
	CU_ASSERT_EQUAL(fx_step(&in), QU_ENOENT);
	in.node = qu_group_at(fx.core, g)->primary; /* a cache node, not a watcher */
	CU_ASSERT_EQUAL(fx_step(&in), QU_ENOENT);
	CU_ASSERT_EQUAL(fx.count, 0);
	fx_release();
}

CU_TestInfo peers_tests[] = {
    {"hello for unknown group is refused without change",
     test_hello_for_unknown_group_is_refused_without_change},
    {"null hello is invalid", test_null_hello_is_invalid},
    {"our own hello is ignored", test_our_own_hello_is_ignored},
    {"new watcher is announced, linked and persisted",
     test_new_watcher_is_announced_linked_and_persisted},
    {"duplicate hello changes nothing", test_duplicate_hello_changes_nothing},
    {"same runid at new address is an address switch",
     test_same_runid_at_new_address_is_an_address_switch},
    {"other runid at known address evicts the old one everywhere",
     test_other_runid_at_known_address_evicts_the_old_one_everywhere},
    {"higher current epoch is adopted and persisted first",
     test_higher_current_epoch_is_adopted_and_persisted_first},
    {"new watcher with higher epoch is persisted once before events",
     test_new_watcher_with_higher_epoch_is_persisted_once_before_events},
    {"lower or equal epochs are not adopted", test_lower_or_equal_epochs_are_not_adopted},
    {"higher config epoch at same address only adopts the epoch",
     test_higher_config_epoch_same_address_only_adopts_the_epoch},
    {"newer config switches primary and rebuilds group",
     test_newer_config_switches_primary_and_rebuilds_group},
    {"watcher shared by two groups has one link", test_watcher_shared_by_two_groups_has_one_link},
    {"shared watcher link closes when both groups forget it",
     test_shared_watcher_link_closes_when_both_groups_forget_it},
    {"peer list is bounded by QU_PEERS_MAX", test_peer_list_is_bounded_by_peers_max},
    {"full watcher table refuses a new watcher", test_full_watcher_table_refuses_a_new_watcher},
    {"refused address switch leaves state unchanged",
     test_refused_address_switch_leaves_state_unchanged},
    {"odown needs quorum counting ourselves", test_odown_needs_quorum_counting_ourselves},
    {"peers alone cannot make odown", test_peers_alone_cannot_make_odown},
    {"stale peer opinion expires after five seconds",
     test_stale_peer_opinion_expires_after_five_seconds},
    {"peer saying up clears odown", test_peer_saying_up_clears_odown},
    {"primary back up clears odown", test_primary_back_up_clears_odown},
    {"reply from unknown watcher or group is refused",
     test_reply_from_unknown_watcher_or_group_is_refused},
    CU_TEST_INFO_NULL,
};
