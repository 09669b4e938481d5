// SPDX-License-Identifier: BSD-3-Clause
/*
 * Votes and leader election driven with a fake clock: answering IS-MASTER-DOWN-BY-ADDR (one vote
 * per group and epoch, persisted before the reply), starting an election on ODOWN, counting
 * majority and quorum, split votes, timeouts and back-off (sentinel-protocol.md §4, §5.1).
 * "Regression" tests failed on an earlier core; the bugs they exposed are fixed in quorum/ (see
 * each test's comment for the input and the expected behaviour).
 */
#include <stdio.h>
#include <string.h>

#include "fixture_core.h"
#include "unit.h"

struct setup {
	uint32_t quorum;
	int64_t failover_timeout_ms;
	int peers; /* connected watchers 'b', 'c', ... at 127.0.0.1:26380 + i */
	uint64_t seed;
};

/* Peer c's hello about "mymaster", at 127.0.0.1:26380 + (c - 'b'), in current_epoch. */
static void hello_in_epoch(char c, uint64_t current_epoch)
{
	struct qu_hello h = fx_hello(c, 26380 + (c - 'b'), "mymaster");
	h.current_epoch = current_epoch;
	CU_ASSERT_EQUAL_FATAL(fx_feed_hello(&h), QU_OK);
}

static uint32_t endpoint_of(char c)
{
	uint32_t w = fx_watcher_of(c);
	CU_ASSERT_NOT_EQUAL_FATAL(w, QU_NONE);
	return qu_watcher_endpoint(fx.core, w);
}

static void peer_link_up(char c)
{
	struct qu_input in = {.kind = QU_IN_LINK, .node = endpoint_of(c)};
	in.u.link.which = QU_LINK_CMD;
	in.u.link.up = true;
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

/* A core "aaaa..." monitoring "mymaster" at 127.0.0.1:6379, with s.peers connected peers. */
static uint32_t given_core(struct setup s)
{
	uint32_t g = fx_given_core((struct fx_setup){
	    .quorum = s.quorum, .failover_timeout_ms = s.failover_timeout_ms, .seed = s.seed});
	for (int i = 0; i < s.peers; i++) {
		fx_learn((char)('b' + i), 26380 + i, "mymaster");
		peer_link_up((char)('b' + i));
	}
	return g;
}

/* IS-MASTER-DOWN-BY-ADDR 127.0.0.1 <port> <epoch> <runid>; candidate '*' is the literal "*". */
static void vote_request(int port, uint64_t epoch, char candidate)
{
	struct qu_input in = {.kind = QU_IN_VOTE_REQUEST};
	strcpy(in.u.vote_request.primary.host, "127.0.0.1");
	in.u.vote_request.primary.port = (uint16_t)port;
	in.u.vote_request.epoch = epoch;
	if (candidate == '*')
		strcpy(in.u.vote_request.runid, "*");
	else
		fx_runid_of(candidate, in.u.vote_request.runid);
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

/* Peer c answers our ask: down flag, and its vote (leader '*': none). */
static void peer_reply(char c, uint32_t g, bool down, char leader, uint64_t epoch)
{
	fx_vote_reply(endpoint_of(c), g, down, leader, epoch);
}

static void persist_failed(void)
{
	struct qu_input in = {.kind = QU_IN_PERSIST_FAILED};
	CU_ASSERT_EQUAL(fx_step(&in), QU_OK);
}

/* SEND_ASK actions to peer c carrying runid. */
static int asks_to(char c, const char *runid)
{
	uint32_t e = endpoint_of(c);
	int n = 0;
	for (int i = 0; i < fx.count; i++)
		n += fx.acts[i].kind == QU_ACT_SEND_ASK && fx.acts[i].node == e &&
		     strcmp(fx.acts[i].runid, runid) == 0;
	return n;
}

/* A PERSIST comes before the first action of this kind (which must be present). */
static bool persisted_before(enum qu_action_kind kind)
{
	int reveal = fx_index_of_kind(kind);
	int persist = fx_index_of_kind(QU_ACT_PERSIST);
	return reveal >= 0 && persist >= 0 && persist < reveal;
}

/* Tick every period_ms until event ev shows up or limit_ms passes; time it took, or -1. */
static int64_t tick_until(enum qu_event ev, int64_t period_ms, int64_t limit_ms)
{
	int64_t start = fx.now_ms;
	while (fx.now_ms - start < limit_ms) {
		fx.now_ms += period_ms;
		fx_tick();
		if (fx_find_event(ev) != NULL)
			return fx.now_ms - start;
	}
	return -1;
}

/* ---- answering vote requests ------------------------------------------------------------ */

static void test_star_request_never_votes(void)
{
	uint32_t g = given_core((struct setup){0});

	vote_request(6379, 5, '*');

	CU_ASSERT_EQUAL_FATAL(fx.count, 1);
	const struct qu_action *a = &fx.acts[0];
	CU_ASSERT_EQUAL(a->kind, QU_ACT_VOTE_REPLY);
	CU_ASSERT_FALSE(a->flag);
	CU_ASSERT_STRING_EQUAL(a->runid, "*");
	CU_ASSERT_EQUAL(a->epoch, 0);
	CU_ASSERT_EQUAL(qu_current_epoch(fx.core), 0); /* "*" does not even move the epoch */
	CU_ASSERT_STRING_EQUAL(qu_group_at(fx.core, g)->leader, "");
}

/* One scenario, row after row: a vote is granted once per epoch and reported back after. */
static void test_vote_requests_follow_one_vote_per_epoch(void)
{
	static const struct {
		const char *name;
		int port; /* 6379 is ours */
		uint64_t epoch;
		char candidate; /* '*' or the runid letter */
		char leader;    /* in the reply */
		uint64_t leader_epoch;
		int persists; /* 1: a new vote, persisted before the reply */
		uint64_t current_epoch;
	} rows[] = {
	    {"star never votes", 6379, 5, '*', '*', 0, 0, 0},
	    {"first request in a new epoch gets the vote", 6379, 5, 'b', 'b', 5, 1, 5},
	    {"another candidate in the same epoch gets the first vote", 6379, 5, 'c', 'b', 5, 0, 5},
	    {"a lower epoch gets the stored vote", 6379, 4, 'c', 'b', 5, 0, 5},
	    {"star after a vote reports no vote", 6379, 5, '*', '*', 0, 0, 5},
	    {"unknown primary: no vote, no epoch", 6390, 9, 'c', '*', 0, 0, 5},
	    {"the next epoch votes again", 6379, 6, 'c', 'c', 6, 1, 6},
	    {"the same candidate again gets the same answer", 6379, 6, 'c', 'c', 6, 0, 6},
	};
	uint32_t g = given_core((struct setup){0});
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char want[QU_RUNID_LEN + 1] = "*";
		if (rows[i].leader != '*')
			fx_runid_of(rows[i].leader, want);

		vote_request(rows[i].port, rows[i].epoch, rows[i].candidate);

		int r = fx_index_of_kind(QU_ACT_VOTE_REPLY);
		bool ok = r == fx.count - 1 && fx_count_kind(QU_ACT_VOTE_REPLY) == 1 &&
		          strcmp(fx.acts[r].runid, want) == 0 &&
		          fx.acts[r].epoch == rows[i].leader_epoch && !fx.acts[r].flag &&
		          fx_count_kind(QU_ACT_PERSIST) == rows[i].persists &&
		          fx_count_event(QU_EV_VOTE_FOR_LEADER) == rows[i].persists &&
		          (rows[i].persists == 0 || persisted_before(QU_ACT_VOTE_REPLY)) &&
		          qu_current_epoch(fx.core) == rows[i].current_epoch;
		CU_ASSERT_TRUE(ok);
		if (!ok)
			fprintf(stderr, "\n    row failed: %s\n", rows[i].name);
	}
	CU_ASSERT_STRING_EQUAL(qu_group_at(fx.core, g)->leader,
	                       "cccccccccccccccccccccccccccccccccccccccc");
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->leader_epoch, 6);
}

static void test_new_vote_is_announced_and_persisted_before_the_reply(void)
{
	given_core((struct setup){0});

	vote_request(6379, 5, 'b');

	const struct qu_action *ev = fx_find_event(QU_EV_VOTE_FOR_LEADER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 5");
	ev = fx_find_event(QU_EV_NEW_EPOCH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "5");
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	CU_ASSERT_TRUE(persisted_before(QU_ACT_VOTE_REPLY));
}

static void test_reply_says_down_only_for_our_sdown_primary(void)
{
	given_core((struct setup){0});
	fx_primary_goes_sdown();

	vote_request(6379, 0, '*');
	CU_ASSERT_EQUAL_FATAL(fx_count_kind(QU_ACT_VOTE_REPLY), 1);
	CU_ASSERT_TRUE(fx.acts[fx_index_of_kind(QU_ACT_VOTE_REPLY)].flag);

	vote_request(6390, 0, '*');
	CU_ASSERT_EQUAL_FATAL(fx_count_kind(QU_ACT_VOTE_REPLY), 1);
	CU_ASSERT_FALSE(fx.acts[fx_index_of_kind(QU_ACT_VOTE_REPLY)].flag);
}

static void test_request_below_current_epoch_gets_no_vote(void)
{
	uint32_t g = given_core((struct setup){.peers = 1});
	hello_in_epoch('b', 7);
	CU_ASSERT_EQUAL_FATAL(qu_current_epoch(fx.core), 7);

	vote_request(6379, 6, 'c');

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 0);
	CU_ASSERT_STRING_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_VOTE_REPLY)].runid, "*");
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->leader_epoch, 0);

	vote_request(6379, 7, 'c'); /* the current epoch itself is still open */

	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->leader_epoch, 7);
	CU_ASSERT_TRUE(persisted_before(QU_ACT_VOTE_REPLY));
}

static void test_restored_vote_binds_after_restart(void)
{
	uint32_t g = given_core((struct setup){0});
	struct qu_input in = fx_admin(QU_ADMIN_VOTE, g);
	in.u.admin.quiet = true;
	in.u.admin.str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	in.u.admin.num = 5;
	CU_ASSERT_EQUAL_FATAL(fx_step(&in), QU_OK);
	CU_ASSERT_EQUAL(fx.count, 0);

	vote_request(6379, 5, 'c');

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 0);
	const struct qu_action *a = &fx.acts[fx_index_of_kind(QU_ACT_VOTE_REPLY)];
	CU_ASSERT_STRING_EQUAL(a->runid, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	CU_ASSERT_EQUAL(a->epoch, 5);
}

/* ---- persist before reveal after a failed write -------------------------------------------- */

static void test_failed_persist_is_redone_before_the_next_reply(void)
{
	given_core((struct setup){0});
	vote_request(6379, 5, 'b'); /* the shell's PERSIST fails: the reply is never sent */
	persist_failed();
	CU_ASSERT_EQUAL(fx.count, 0);

	vote_request(6379, 5, 'c');

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 1);
	CU_ASSERT_TRUE(persisted_before(QU_ACT_VOTE_REPLY));
	CU_ASSERT_STRING_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_VOTE_REPLY)].runid,
	                       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");

	vote_request(6379, 5, 'c'); /* written now: no more extra writes */

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_PERSIST), 0);
}

static void test_failed_persist_is_redone_before_the_next_ask(void)
{
	given_core((struct setup){.peers = 2});
	vote_request(6379, 5, 'b');
	persist_failed();

	fx_primary_goes_sdown(); /* asks both peers "is it down?" */

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_ASK), 2);
	CU_ASSERT_TRUE(persisted_before(QU_ACT_SEND_ASK));
	CU_ASSERT_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_SEND_ASK)].epoch, 5);
}

/*
 * Regression (failed on f9c15ba): SEND_HELLO reveals our current epoch (the shell formats
 * qu_current_epoch() into the hello), so after PERSIST_FAILED it too must be preceded by a
 * PERSIST; detect.c send_probes() and peers.c hello_to_peers() emitted it without one.
 */
static void test_failed_persist_is_redone_before_the_next_hello(void)
{
	given_core((struct setup){.peers = 1});
	fx_tick(); /* first hellos to the connected peer */
	fx.now_ms += 100;
	vote_request(6379, 5, 'b');
	persist_failed();

	fx.now_ms += 3000; /* the next hello is due */
	fx_tick();

	CU_ASSERT_TRUE_FATAL(fx_count_kind(QU_ACT_SEND_HELLO) >= 1);
	CU_ASSERT_TRUE(persisted_before(QU_ACT_SEND_HELLO));
}

/* The hello of SEND_HELLO as the shell publishes it: our address, then the rendered .text. */
static int parse_sent_hello(const struct qu_action *a, struct qu_hello *out)
{
	char payload[QU_TEXT_MAX + 32];
	int n = snprintf(payload, sizeof(payload), "127.0.0.1,26379,%s", a->text);
	CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(payload));
	return qu_wire_hello_parse(payload, (size_t)n, out);
}

/*
 * Regression (failed on f9c15ba): a tick emits its hellos before ODOWN starts an election, and
 * the shell used to render them when executing SEND_HELLO, after the epoch bump and before the
 * PERSIST covering it. Each hello now carries its state as of emission: never an unwritten epoch.
 */
static void test_hello_in_the_step_that_bumps_the_epoch_carries_no_unwritten_epoch(void)
{
	given_core((struct setup){.quorum = 1, .peers = 2});

	fx_primary_goes_sdown(); /* hellos are due and ODOWN starts an election: epoch 0 -> 1 */

	CU_ASSERT_EQUAL_FATAL(qu_current_epoch(fx.core), 1);
	int persist = fx_index_of_kind(QU_ACT_PERSIST);
	CU_ASSERT_TRUE_FATAL(persist >= 0);
	int hellos = 0;
	for (int i = 0; i < fx.count; i++) {
		if (fx.acts[i].kind != QU_ACT_SEND_HELLO)
			continue;
		struct qu_hello h;
		hellos++;
		CU_ASSERT_EQUAL_FATAL(parse_sent_hello(&fx.acts[i], &h), 0);
		CU_ASSERT_STRING_EQUAL(h.runid, FX_MYID);
		CU_ASSERT_STRING_EQUAL(h.name, "mymaster");
		CU_ASSERT_EQUAL(h.primary.port, 6379);
		CU_ASSERT_EQUAL(h.current_epoch, fx.acts[i].epoch);
		if (i < persist) /* before the write: only what was already on disk */
			CU_ASSERT_EQUAL(h.current_epoch, 0);
	}
	CU_ASSERT_TRUE(hellos >= 2);
}

/*
 * Fixed bug (quorum/vote.c start_election, quorum/wire.c): the wire caps epochs at INT64_MAX
 * (qu_wire_hello_parse refuses more, IS-MASTER-DOWN-BY-ADDR epochs are signed in Sentinel), but a
 * hello carrying current epoch INT64_MAX is accepted and our next election goes to INT64_MAX + 1:
 * from then on every hello we publish is refused by vigil peers (and our asks by redis-sentinel).
 * Fix: never start an election from current_epoch >= INT64_MAX (or refuse to adopt INT64_MAX).
 */
static void test_epochs_stay_within_what_the_wire_carries(void)
{
	given_core((struct setup){.quorum = 1, .peers = 2});
	hello_in_epoch('b', (uint64_t)INT64_MAX);
	CU_ASSERT_EQUAL_FATAL(qu_current_epoch(fx.core), (uint64_t)INT64_MAX);
	int bad = 0;
	for (int t = 0; t < 80; t++) { /* SDOWN, ODOWN, elections, hellos */
		fx.now_ms += 250;
		fx_tick();
		for (int i = 0; i < fx.count; i++) {
			struct qu_hello sent;
			const struct qu_action *a = &fx.acts[i];
			if (a->kind == QU_ACT_SEND_HELLO)
				bad += parse_sent_hello(a, &sent) != 0;
			if (a->kind == QU_ACT_SEND_ASK || a->kind == QU_ACT_ELECTED)
				bad += a->epoch > (uint64_t)INT64_MAX;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(qu_current_epoch(fx.core) <= (uint64_t)INT64_MAX);
}

/* ---- elections ---------------------------------------------------------------------------- */

static void test_odown_starts_an_election_in_the_same_step(void)
{
	uint32_t g = given_core((struct setup){.quorum = 1, .peers = 2});

	fx_primary_goes_sdown(); /* quorum 1: ODOWN on our own */

	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ODOWN), 1);
	const struct qu_action *ev = fx_find_event(QU_EV_NEW_EPOCH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "1");
	ev = fx_find_event(QU_EV_TRY_FAILOVER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379");
	ev = fx_find_event(QU_EV_VOTE_FOR_LEADER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, FX_MYID " 1");
	CU_ASSERT_EQUAL(asks_to('b', FX_MYID), 1);
	CU_ASSERT_EQUAL(asks_to('c', FX_MYID), 1);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_SEND_ASK), 2);
	CU_ASSERT_EQUAL(fx.acts[fx_index_of_kind(QU_ACT_SEND_ASK)].epoch, 1);
	CU_ASSERT_TRUE(persisted_before(QU_ACT_SEND_ASK));
	const struct qu_group *grp = qu_group_at(fx.core, g);
	CU_ASSERT_EQUAL(grp->failover_state, QU_FO_WAIT_START);
	CU_ASSERT_EQUAL(grp->failover_epoch, 1);
	CU_ASSERT_STRING_EQUAL(grp->leader, FX_MYID);
	CU_ASSERT_EQUAL(grp->leader_epoch, 1);
}

/*
 * Regression (failed on f9c15ba): a candidacy is announced to every connected peer at once. The
 * old qu_peers_ask() skipped a peer whose reply was < 1 s old, so the peer whose "down" reply
 * completed ODOWN was asked for its vote a second later (3 watchers, one unreachable: >= 1 s).
 */
static void test_election_asks_the_peer_whose_reply_made_odown(void)
{
	uint32_t g = given_core((struct setup){.quorum = 2, .peers = 2});
	fx_primary_goes_sdown();
	CU_ASSERT_EQUAL(asks_to('b', "*"), 1);
	fx.now_ms += 2;

	peer_reply('b', g, true, '*', 0); /* completes ODOWN: the election starts here */

	CU_ASSERT_PTR_NOT_NULL_FATAL(fx_find_event(QU_EV_TRY_FAILOVER));
	CU_ASSERT_EQUAL(asks_to('c', FX_MYID), 1);
	CU_ASSERT_EQUAL(asks_to('b', FX_MYID), 1);
}

/* Start an election in epoch 1 with peers 'b'.. saying down until ODOWN. */
static void election_started(uint32_t g, uint32_t quorum)
{
	fx_primary_goes_sdown();
	for (uint32_t i = 0; i + 1 < quorum; i++)
		peer_reply((char)('b' + i), g, true, '*', 0);
	/* a lone watcher wins at once; anyone else waits for votes */
	CU_ASSERT_NOT_EQUAL_FATAL(qu_group_at(fx.core, g)->failover_state, QU_FO_NONE);
	CU_ASSERT_EQUAL_FATAL(qu_group_at(fx.core, g)->failover_epoch, 1);
}

static void test_winner_needs_majority_and_quorum(void)
{
	static const struct {
		const char *name;
		int watchers; /* us included */
		uint32_t quorum;
		int peer_votes; /* needed besides our own */
	} cases[] = {
	    {"3 watchers quorum 2", 3, 2, 1}, {"3 watchers quorum 3", 3, 3, 2},
	    {"5 watchers quorum 2", 5, 2, 2}, {"5 watchers quorum 3", 5, 3, 2},
	    {"5 watchers quorum 5", 5, 5, 4}, {"1 watcher quorum 1", 1, 1, 0},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t g = given_core(
		    (struct setup){.quorum = cases[k].quorum, .peers = cases[k].watchers - 1});
		election_started(g, cases[k].quorum);
		if (cases[k].peer_votes == 0) {
			/* Nothing to wait for, yet the count runs on the next tick (<= 100 ms). */
			fx.now_ms += 100;
			fx_tick();
		}
		int elected = fx_count_kind(QU_ACT_ELECTED);
		for (int v = 0; v < cases[k].peer_votes; v++) {
			CU_ASSERT_EQUAL(elected, 0);
			if (elected != 0)
				fprintf(stderr, "\n    %s: elected after %d votes\n", cases[k].name,
				        v);
			fx.now_ms += 1;
			peer_reply((char)('b' + v), g, true, 'a', 1);
			elected = fx_count_kind(QU_ACT_ELECTED);
		}
		CU_ASSERT_EQUAL(elected, 1);
		if (elected != 1)
			fprintf(stderr, "\n    %s: not elected\n", cases[k].name);
		/* The failover proper starts in the same step; this group has no replica to promote,
		 * so it ends there (issue 4 tests cover promotion). */
		CU_ASSERT_NOT_EQUAL(qu_group_at(fx.core, g)->failover_state, QU_FO_WAIT_START);
		CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NO_GOOD_SLAVE), 1);
	}
}

static void test_elected_once_with_events_before_the_action(void)
{
	uint32_t g = given_core((struct setup){.quorum = 1, .peers = 2});
	election_started(g, 1);

	peer_reply('b', g, true, 'a', 1);

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_ELECTED), 1);
	const struct qu_action *a = &fx.acts[fx_index_of_kind(QU_ACT_ELECTED)];
	CU_ASSERT_EQUAL(a->group, g);
	CU_ASSERT_EQUAL(a->epoch, 1);
	const struct qu_action *ev = fx_find_event(QU_EV_ELECTED_LEADER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379");
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_FAILOVER_STATE_SELECT_SLAVE), 1);
	CU_ASSERT_TRUE(ev < a);

	peer_reply('c', g, true, 'a', 1); /* a late extra vote */
	int again = fx_count_kind(QU_ACT_ELECTED) + fx_count_event(QU_EV_ELECTED_LEADER);
	for (int i = 0; i < 50; i++) {
		fx.now_ms += 100;
		fx_tick();
		again += fx_count_kind(QU_ACT_ELECTED) + fx_count_event(QU_EV_ELECTED_LEADER);
	}
	CU_ASSERT_EQUAL(again, 0);
}

static void test_split_vote_aborts_early_and_retries_after_backoff(void)
{
	int64_t shortest = 1000000, longest = 0;
	for (uint64_t seed = 1; seed <= 24; seed++) {
		uint32_t g = given_core((struct setup){.quorum = 2, .peers = 2, .seed = seed});
		election_started(g, 2);
		fx.now_ms += 5;
		peer_reply('b', g, true, 'b', 1); /* 'b' runs too and votes for itself */
		CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NOT_ELECTED), 0); /* 'c' may pick us */

		peer_reply('c', g, true, 'c', 1); /* and so does 'c': 1/1/1, nobody can win */

		const struct qu_action *ev = fx_find_event(QU_EV_ABORT_NOT_ELECTED);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		CU_ASSERT_STRING_EQUAL(ev->text, "master mymaster 127.0.0.1 6379");
		CU_ASSERT_EQUAL(fx_count_event(QU_EV_TRY_FAILOVER), 0);
		CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->failover_state, QU_FO_NONE);

		int64_t waited = tick_until(QU_EV_TRY_FAILOVER, 10, 3000);

		CU_ASSERT_TRUE(waited >= 100 &&
		               waited <= 1000); /* randomised back-off, then retry */
		if (waited < shortest)
			shortest = waited;
		if (waited > longest)
			longest = waited;
		ev = fx_find_event(QU_EV_NEW_EPOCH);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		CU_ASSERT_STRING_EQUAL(ev->text, "2");
		CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->failover_epoch, 2);
	}
	CU_ASSERT_TRUE(longest - shortest >= 300); /* the seed spreads candidates apart */
}

static void test_another_winner_makes_us_wait_failover_timeout(void)
{
	uint32_t g =
	    given_core((struct setup){.quorum = 1, .peers = 2, .failover_timeout_ms = 20000});
	election_started(g, 1);
	fx.now_ms += 5;
	peer_reply('b', g, true, 'b', 1);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NOT_ELECTED), 0);

	peer_reply('c', g, true, 'b', 1); /* 'b' has a majority: it won epoch 1 */

	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NOT_ELECTED), 1);
	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_ELECTED), 0);
	int64_t waited = tick_until(QU_EV_TRY_FAILOVER, 100, 30000);
	CU_ASSERT_TRUE(waited >= 20000 && waited <= 21000); /* it is failing over: let it */
}

static void test_election_times_out_after_min_of_10s_and_failover_timeout(void)
{
	static const struct {
		int64_t failover_timeout_ms, abort_after_ms;
	} cases[] = {
	    {180000, 10000},
	    {3000, 3000},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t g = given_core((struct setup){
		    .quorum = 1, .peers = 2, .failover_timeout_ms = cases[k].failover_timeout_ms});
		election_started(g, 1); /* nobody answers: pending */
		int64_t started = fx.now_ms;

		fx.now_ms = started + cases[k].abort_after_ms;
		fx_tick();
		CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NOT_ELECTED), 0);
		fx.now_ms += 1;
		fx_tick();
		CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NOT_ELECTED), 1);
		CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->failover_state, QU_FO_NONE);
	}
}

static void test_newer_epoch_seen_makes_us_lose(void)
{
	uint32_t g = given_core((struct setup){.quorum = 1, .peers = 2});
	election_started(g, 1);
	hello_in_epoch('b', 4); /* someone is at epoch 4 already */

	peer_reply('c', g, true, 'a', 1); /* a vote for our stale epoch arrives */

	CU_ASSERT_EQUAL(fx_count_kind(QU_ACT_ELECTED), 0);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_ABORT_NOT_ELECTED), 1);
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->failover_state, QU_FO_NONE);
}

static void test_voting_for_another_holds_back_our_own_attempt(void)
{
	uint32_t g = given_core((struct setup){.quorum = 1, .peers = 2});
	vote_request(6379, 1, 'b');
	int64_t voted_at = fx.now_ms;
	fx_primary_goes_sdown();
	CU_ASSERT_TRUE_FATAL(qu_group_at(fx.core, g)->odown);
	CU_ASSERT_EQUAL(fx_count_event(QU_EV_TRY_FAILOVER), 0);

	int64_t waited = tick_until(QU_EV_TRY_FAILOVER, 100, 20000);

	int64_t started = fx.now_ms - voted_at;
	CU_ASSERT_TRUE(waited > 0);
	CU_ASSERT_TRUE(started >= 10000 && started < 11000); /* election timeout + jitter */
	CU_ASSERT_EQUAL(qu_group_at(fx.core, g)->failover_epoch, 2);
}

/*
 * Regression (failed on f9c15ba): voting for another candidate holds our own attempts back
 * ("give the leader we chose time to finish"); if our own election was running, losing it on the
 * next tick made end_election() shorten that wait to 100..999 ms, competing with that leader.
 */
static void test_vote_for_another_during_our_election_holds_back_retry(void)
{
	uint32_t g = given_core((struct setup){.quorum = 1, .peers = 2});
	election_started(g, 1);
	fx.now_ms += 10;
	vote_request(6379, 2, 'b'); /* 'b' runs in a newer epoch: we vote for it */
	CU_ASSERT_STRING_EQUAL_FATAL(qu_group_at(fx.core, g)->leader,
	                             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");

	int64_t waited = tick_until(QU_EV_TRY_FAILOVER, 100, 5000);

	CU_ASSERT_EQUAL(waited, -1);
	fx_release();
}

CU_TestInfo vote_tests[] = {
    {"star request never votes", test_star_request_never_votes},
    {"vote requests follow one vote per epoch", test_vote_requests_follow_one_vote_per_epoch},
    {"new vote is announced and persisted before the reply",
     test_new_vote_is_announced_and_persisted_before_the_reply},
    {"reply says down only for our sdown primary", test_reply_says_down_only_for_our_sdown_primary},
    {"request below current epoch gets no vote", test_request_below_current_epoch_gets_no_vote},
    {"restored vote binds after restart", test_restored_vote_binds_after_restart},
    {"failed persist is redone before the next reply",
     test_failed_persist_is_redone_before_the_next_reply},
    {"failed persist is redone before the next ask",
     test_failed_persist_is_redone_before_the_next_ask},
    {"failed persist is redone before the next hello",
     test_failed_persist_is_redone_before_the_next_hello},
    {"hello in the step that bumps the epoch carries no unwritten epoch",
     test_hello_in_the_step_that_bumps_the_epoch_carries_no_unwritten_epoch},
    {"epochs stay within what the wire carries",
     test_epochs_stay_within_what_the_wire_carries},
    {"odown starts an election in the same step", test_odown_starts_an_election_in_the_same_step},
    {"election asks the peer whose reply made odown",
     test_election_asks_the_peer_whose_reply_made_odown},
    {"winner needs majority and quorum", test_winner_needs_majority_and_quorum},
    {"elected once, events before the action", test_elected_once_with_events_before_the_action},
    {"split vote aborts early and retries after back-off",
     test_split_vote_aborts_early_and_retries_after_backoff},
    {"another winner makes us wait failover-timeout",
     test_another_winner_makes_us_wait_failover_timeout},
    {"election times out after min(10 s, failover-timeout)",
     test_election_times_out_after_min_of_10s_and_failover_timeout},
    {"newer epoch seen makes us lose", test_newer_epoch_seen_makes_us_lose},
    {"voting for another holds back our own attempt",
     test_voting_for_another_holds_back_our_own_attempt},
    {"vote for another during our election holds back retry",
     test_vote_for_another_during_our_election_holds_back_retry},
    CU_TEST_INFO_NULL,
};
