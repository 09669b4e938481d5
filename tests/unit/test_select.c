// SPDX-License-Identifier: BSD-3-Clause
/*
 * Replica selection (sentinel-protocol.md §5.3) through the core's own inputs and a fake clock: a
 * table with one case per exclusion and ordering rule, and a seeded property check comparing every
 * choice with an independent statement of the rules. Tests only; never touches core internals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "quorum.h"
#include "unit.h"

#define T0_MS 1000000
#define SELECT_AT_MS (T0_MS + 40000) /* every table case is judged at this instant */
#define DOWN_AFTER_MS 1000
#define PRIMARY_DOWN_MS 30000 /* a "primary SDOWN" case: down that long at selection */
#define NEVER INT64_MAX       /* info_age_ms: the replica never answered INFO */
#define CASE_REPLICAS 3
#define RANDOM_REPLICAS_MAX 6

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_A_UPPER "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ID_B_UPPER "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define ID_C "cccccccccccccccccccccccccccccccccccccccc"
#define ID_F "ffffffffffffffffffffffffffffffffffffffff"

struct select_fixture {
	void *mem;
	struct qu_core *core;
	uint32_t group;
	int64_t now_ms;
};

static struct select_fixture sf;

/* A failing table row names itself: CUnit copies the message. */
#define EXPECT(name, cond) expect((cond), (name), #cond, __LINE__)

static void expect(bool ok, const char *name, const char *cond, unsigned int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", name, cond);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}

static int feed(struct qu_input *in)
{
	in->now_ms = sf.now_ms;
	int rc = qu_step(sf.core, in);
	while (qu_action_next(sf.core) != NULL)
		;
	return rc;
}

static void feed_ok(struct qu_input *in)
{
	CU_ASSERT_EQUAL(feed(in), QU_OK);
}

static void tick(void)
{
	struct qu_input in = {.kind = QU_IN_TICK};
	feed_ok(&in);
}

static void set_link(uint32_t node, enum qu_link_kind which, bool up)
{
	struct qu_input in = {.kind = QU_IN_LINK, .node = node};
	in.u.link.which = which;
	in.u.link.up = up;
	feed_ok(&in);
}

static void pong(uint32_t node, bool valid)
{
	struct qu_input in = {.kind = QU_IN_PING_REPLY, .node = node};
	in.u.ping.valid = valid;
	feed_ok(&in);
}

static void pubsub_activity(uint32_t node)
{
	struct qu_input in = {.kind = QU_IN_PUBSUB_ACTIVITY, .node = node};
	feed_ok(&in);
}

static void info(uint32_t node, const struct qu_info *i)
{
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .node = node};
	in.u.info = i;
	feed_ok(&in);
}

static struct qu_info replica_info(int32_t priority, int64_t offset, const char *run_id,
                                   int64_t link_down_ms)
{
	struct qu_info i;
	memset(&i, 0, sizeof(i));
	i.role = QU_ROLE_REPLICA;
	i.has_primary = true;
	strcpy(i.primary.host, "127.0.0.1");
	i.primary.port = 6379;
	i.primary_link_up = link_down_ms == 0;
	i.primary_link_down_ms = link_down_ms;
	i.priority = priority;
	i.repl_offset = offset;
	i.replica_announced = true;
	if (run_id != NULL) {
		CU_ASSERT_EQUAL_FATAL(strlen(run_id), QU_RUNID_LEN);
		memcpy(i.run_id, run_id, QU_RUNID_LEN + 1);
		i.has_run_id = true;
	}
	return i;
}

static const struct qu_group *group(void)
{
	return qu_group_at(sf.core, sf.group);
}

static const struct qu_node *node(uint32_t id)
{
	return qu_node_at(sf.core, id);
}

/* A core monitoring one primary (down-after as given) whose INFO lists `replicas` replicas, every
 * link up, at start_ms. */
static void given_group_at(int replicas, int64_t down_after_ms, int64_t start_ms)
{
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	p.limits.groups_max = 2;
	p.limits.nodes_max = 16;
	p.seed = 7;
	memset(p.myid, 'e', QU_RUNID_LEN);
	free(sf.mem);
	memset(&sf, 0, sizeof(sf));
	sf.mem = calloc(1, qu_core_size(&p.limits));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sf.mem);
	sf.core = qu_core_init(sf.mem, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sf.core);
	sf.now_ms = start_ms;
	struct qu_group_conf c;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "mymaster");
	strcpy(c.addr.host, "127.0.0.1");
	c.addr.port = 6379;
	c.quorum = 2; /* no peers: never ODOWN, so no failover reshapes the group under test */
	c.down_after_ms = down_after_ms;
	c.failover_timeout_ms = 180000;
	c.parallel_syncs = 1;
	struct qu_input in = {.kind = QU_IN_ADMIN};
	in.u.admin.op = QU_ADMIN_MONITOR;
	in.u.admin.conf = &c;
	CU_ASSERT_EQUAL_FATAL(feed(&in), QU_OK);
	sf.group = qu_group_find(sf.core, "mymaster");
	CU_ASSERT_FATAL(sf.group != QU_NONE);
	struct qu_info pi;
	memset(&pi, 0, sizeof(pi));
	pi.role = QU_ROLE_PRIMARY;
	for (int r = 0; r < replicas; r++) {
		strcpy(pi.replicas[r].host, "127.0.0.1");
		pi.replicas[r].port = (uint16_t)(6380 + r);
	}
	pi.replica_count = (uint32_t)replicas;
	info(group()->primary, &pi);
	CU_ASSERT_EQUAL_FATAL(group()->replica_count, (uint32_t)replicas);
	set_link(group()->primary, QU_LINK_CMD, true);
	set_link(group()->primary, QU_LINK_PUBSUB, true);
	for (int r = 0; r < replicas; r++) {
		set_link(group()->replicas[r], QU_LINK_CMD, true);
		set_link(group()->replicas[r], QU_LINK_PUBSUB, true);
	}
}

static void given_group(int replicas, int64_t down_after_ms)
{
	given_group_at(replicas, down_after_ms, T0_MS);
}

/* ---------------------------------------------------------------------------------------------
 * Table: each row describes the replicas as they stand at SELECT_AT_MS; the builder reaches that
 * state by feeding INFO, PING replies, link changes and TICKs in time order, then checks it did.
 */

struct replica_spec {
	int32_t priority;     /* as reported in INFO */
	int64_t offset;       /* slave_repl_offset */
	const char *run_id;   /* NULL: INFO carries no run id */
	int64_t link_down_ms; /* master_link_down_since_seconds * 1000 */
	int64_t info_age_ms;  /* 0: 1 s; NEVER: no INFO at all */
	int64_t ping_age_ms;  /* of the last valid PING reply; 0: 500 ms */
	bool cmd_down;        /* command link down (since 100 ms) */
	bool pubsub_down;     /* pub/sub link down (since 100 ms) */
	bool sdown;           /* subjectively down (a PING unanswered for 1.5 s) */
};

struct select_case {
	const char *name;
	bool primary_down; /* primary SDOWN for PRIMARY_DOWN_MS at selection */
	struct replica_spec r[CASE_REPLICAS];
	int expect; /* index into r of the replica promoted, -1 for none */
};

#define GOOD(prio, off, id)                                                                        \
	{                                                                                          \
		.priority = (prio), .offset = (off), .run_id = (id)                                \
	}

static const struct select_case select_cases[] = {
    /* ordering */
    {"lower priority number wins",
     false,
     {GOOD(100, 900, ID_A), GOOD(10, 0, ID_F), GOOD(50, 900, ID_A)},
     1},
    {"equal priority: larger offset wins",
     false,
     {GOOD(100, 10, ID_A), GOOD(100, 30, ID_F), GOOD(100, 20, ID_A)},
     1},
    {"priority outranks offset",
     false,
     {GOOD(100, 1000, ID_A), GOOD(99, 0, ID_F), GOOD(101, 5000, ID_A)},
     1},
    {"offset outranks run id",
     false,
     {GOOD(100, 5, ID_A), GOOD(100, 6, ID_F), GOOD(100, 4, ID_A)},
     1},
    /* strcmp would take "BBB.." (0x42 < 0x61): Sentinel compares ignoring case */
    {"then smaller run id, ignoring case",
     false,
     {GOOD(100, 7, ID_B_UPPER), GOOD(100, 7, ID_C), GOOD(100, 7, ID_A)},
     2},
    {"run ids equal but for case: lower node index",
     false,
     {GOOD(100, 7, ID_F), GOOD(100, 7, ID_A_UPPER), GOOD(100, 7, ID_A)},
     1},
    {"replica without run id ranks last",
     false,
     {GOOD(100, 7, NULL), GOOD(100, 7, ID_F), GOOD(100, 7, NULL)},
     1},
    {"no run ids at all: lower node index",
     false,
     {GOOD(100, 7, NULL), GOOD(100, 7, NULL), GOOD(100, 6, ID_A)},
     0},
    /* exclusions: the replica that would rank first is disqualified */
    {"subjectively down replica is skipped",
     false,
     {{.priority = 10, .run_id = ID_A, .ping_age_ms = 2000, .sdown = true},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     1},
    {"replica with its command link down is skipped",
     false,
     {{.priority = 10, .run_id = ID_A, .cmd_down = true}, GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     1},
    {"replica with its pub/sub link down is skipped",
     false,
     {{.priority = 10, .run_id = ID_A, .pubsub_down = true}, GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     1},
    {"valid PING reply older than 5 s: skipped",
     false,
     {{.priority = 10, .run_id = ID_A, .ping_age_ms = 5001}, GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     1},
    {"valid PING reply exactly 5 s old: qualifies",
     false,
     {{.priority = 10, .run_id = ID_A, .ping_age_ms = 5000}, GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     0},
    {"priority 0 is never promoted",
     false,
     {GOOD(0, 999, ID_A), GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     1},
    {"replica never seen in INFO is skipped",
     false,
     {{.priority = 100, .info_age_ms = NEVER},
      GOOD(0, 0, ID_F),
      {.priority = 100, .run_id = ID_A, .cmd_down = true}},
     -1},
    {"INFO older than 30 s, primary up: skipped",
     false,
     {{.priority = 10, .run_id = ID_A, .info_age_ms = 30001},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     1},
    {"INFO exactly 30 s old, primary up: qualifies",
     false,
     {{.priority = 10, .run_id = ID_A, .info_age_ms = 30000},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     0},
    {"INFO older than 5 s, primary SDOWN: skipped",
     true,
     {{.priority = 10, .run_id = ID_A, .info_age_ms = 5001}, GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     1},
    {"INFO exactly 5 s old, primary SDOWN: qualifies",
     true,
     {{.priority = 10, .run_id = ID_A, .info_age_ms = 5000}, GOOD(50, 0, ID_F), GOOD(100, 0, ID_A)},
     0},
    {"primary link down over 10 x down-after, primary up: skipped",
     false,
     {{.priority = 10, .run_id = ID_A, .link_down_ms = 10001},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     1},
    {"primary link down exactly 10 x down-after, primary up: qualifies",
     false,
     {{.priority = 10, .run_id = ID_A, .link_down_ms = 10000},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     0},
    {"link-down bound grows by the time the primary has been SDOWN",
     true,
     {{.priority = 10, .run_id = ID_A, .link_down_ms = 40000},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     0},
    {"link down beyond SDOWN time + 10 x down-after: skipped",
     true,
     {{.priority = 10, .run_id = ID_A, .link_down_ms = 40001},
      GOOD(50, 0, ID_F),
      GOOD(100, 0, ID_A)},
     1},
    {"no replica qualifies: none",
     false,
     {{.priority = 10, .run_id = ID_A, .ping_age_ms = 2000, .sdown = true},
      GOOD(0, 0, ID_F),
      {.priority = 100, .run_id = ID_A, .link_down_ms = 60000}},
     -1},
};

enum timed_kind {
	TIMED_INFO,
	TIMED_PONG,
	TIMED_CMD_DOWN,
	TIMED_CMD_UP,
	TIMED_PUBSUB_DOWN,
	TIMED_TICK
};

struct timed {
	int64_t at_ms;
	int seq;
	enum timed_kind kind;
	int replica;
};

static int timed_cmp(const void *pa, const void *pb)
{
	const struct timed *a = pa;
	const struct timed *b = pb;
	if (a->at_ms != b->at_ms)
		return a->at_ms < b->at_ms ? -1 : 1;
	return a->seq - b->seq;
}

static int add_timed(struct timed *ev, int n, int64_t at_ms, enum timed_kind kind, int replica)
{
	ev[n] = (struct timed){.at_ms = at_ms, .seq = n, .kind = kind, .replica = replica};
	return n + 1;
}

/* When each thing must happen so that the replicas stand as specified at SELECT_AT_MS. */
static int plan_case(const struct select_case *c, struct timed *ev)
{
	int n = 0;
	/* Primary never answers: SDOWN from this TICK on (T0 + 10 s: before any link is 15 s old,
	 * so no link gets recycled; the replicas' own transient SDOWN clears at the last TICK). */
	if (c->primary_down)
		n = add_timed(ev, n, SELECT_AT_MS - PRIMARY_DOWN_MS, TIMED_TICK, -1);
	for (int r = 0; r < CASE_REPLICAS; r++) {
		const struct replica_spec *s = &c->r[r];
		int64_t info_age = s->info_age_ms == 0 ? 1000 : s->info_age_ms;
		int64_t ping_age = s->ping_age_ms == 0 ? 500 : s->ping_age_ms;
		if (info_age != NEVER)
			n = add_timed(ev, n, SELECT_AT_MS - info_age, TIMED_INFO, r);
		n = add_timed(ev, n, SELECT_AT_MS - ping_age, TIMED_PONG, r);
		/* A lost command link is an unanswered PING: 1.5 s later it is SDOWN. */
		if (s->sdown) {
			n = add_timed(ev, n, SELECT_AT_MS - 1500, TIMED_CMD_DOWN, r);
			n = add_timed(ev, n, SELECT_AT_MS - 1400, TIMED_CMD_UP, r);
		}
		if (s->cmd_down)
			n = add_timed(ev, n, SELECT_AT_MS - 100, TIMED_CMD_DOWN, r);
		if (s->pubsub_down)
			n = add_timed(ev, n, SELECT_AT_MS - 100, TIMED_PUBSUB_DOWN, r);
	}
	qsort(ev, (size_t)n, sizeof(*ev), timed_cmp);
	return n;
}

static void run_timed(const struct select_case *c, const struct timed *e)
{
	uint32_t id = e->replica < 0 ? QU_NONE : group()->replicas[e->replica];
	sf.now_ms = e->at_ms;
	if (e->kind == TIMED_INFO) {
		const struct replica_spec *s = &c->r[e->replica];
		struct qu_info i = replica_info(s->priority, s->offset, s->run_id, s->link_down_ms);
		info(id, &i);
	} else if (e->kind == TIMED_PONG) {
		pong(id, true);
	} else if (e->kind == TIMED_CMD_DOWN || e->kind == TIMED_CMD_UP) {
		set_link(id, QU_LINK_CMD, e->kind == TIMED_CMD_UP);
	} else if (e->kind == TIMED_PUBSUB_DOWN) {
		set_link(id, QU_LINK_PUBSUB, false);
	} else {
		tick();
	}
}

/* The fixture checks itself: the views must say what the row says before selection is judged. */
static void check_stands_as_specified(const struct select_case *c)
{
	const struct qu_node *p = node(group()->primary);
	EXPECT(c->name, p->probe.sdown == c->primary_down);
	if (c->primary_down)
		EXPECT(c->name, p->probe.sdown_since_ms == SELECT_AT_MS - PRIMARY_DOWN_MS);
	for (int r = 0; r < CASE_REPLICAS; r++) {
		const struct replica_spec *s = &c->r[r];
		const struct qu_node *n = node(group()->replicas[r]);
		int64_t ping_age = s->ping_age_ms == 0 ? 500 : s->ping_age_ms;
		int64_t info_age = s->info_age_ms == 0 ? 1000 : s->info_age_ms;
		EXPECT(c->name, n->probe.sdown == s->sdown);
		EXPECT(c->name, n->cmd_up == !s->cmd_down);
		EXPECT(c->name, n->pubsub_up == !s->pubsub_down);
		EXPECT(c->name, n->probe.ping_ok_at_ms == SELECT_AT_MS - ping_age);
		EXPECT(c->name, n->info_at_ms == (info_age == NEVER ? 0 : SELECT_AT_MS - info_age));
		if (info_age == NEVER)
			continue;
		EXPECT(c->name, n->priority == s->priority);
		EXPECT(c->name, n->repl_offset == s->offset);
		EXPECT(c->name, n->has_run_id == (s->run_id != NULL));
		EXPECT(c->name, n->primary_link_down_ms == s->link_down_ms);
	}
}

static void test_select_table(void)
{
	size_t count = sizeof(select_cases) / sizeof(select_cases[0]);
	for (size_t k = 0; k < count; k++) {
		const struct select_case *c = &select_cases[k];
		given_group(CASE_REPLICAS, DOWN_AFTER_MS);
		struct timed ev[4 * CASE_REPLICAS + 4];
		int n = plan_case(c, ev);
		for (int e = 0; e < n; e++)
			run_timed(c, &ev[e]);
		sf.now_ms = SELECT_AT_MS - 1;
		pubsub_activity(
		    group()->primary); /* keep silent pub/sub links from being recycled */
		for (int r = 0; r < CASE_REPLICAS; r++)
			pubsub_activity(group()->replicas[r]);
		if (!c->primary_down)
			pong(group()->primary, true);
		sf.now_ms = SELECT_AT_MS;
		tick();
		check_stands_as_specified(c);
		uint32_t want = c->expect < 0 ? QU_NONE : group()->replicas[c->expect];
		EXPECT(c->name, qu_select_replica(sf.core, sf.group, SELECT_AT_MS) == want);
	}
}

static void test_select_without_replicas_or_group_is_none(void)
{
	given_group(0, DOWN_AFTER_MS);
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, sf.group, sf.now_ms), QU_NONE);
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, sf.group + 1, sf.now_ms), QU_NONE); /* unused */
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, 2, sf.now_ms), QU_NONE); /* out of range */
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, QU_NONE, sf.now_ms), QU_NONE);
}

/* "Never" is not "long ago": a monotonic clock may start near 0, where now - 0 is a short age. */
static void test_select_skips_replica_without_info_near_clock_start(void)
{
	given_group_at(1, DOWN_AFTER_MS, 1000);
	uint32_t r = group()->replicas[0];
	sf.now_ms = 2000;
	pong(group()->primary, true);
	pong(r, true);
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, sf.group, sf.now_ms), QU_NONE);
	struct qu_info i = replica_info(100, 0, ID_A, 0);
	info(r, &i);
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, sf.group, sf.now_ms), r);
}

static void test_select_changes_nothing(void)
{
	given_group(2, DOWN_AFTER_MS);
	sf.now_ms += 500;
	for (int r = 0; r < 2; r++) {
		struct qu_info i = replica_info(100, 10 * r, ID_A, 0);
		info(group()->replicas[r], &i);
		pong(group()->replicas[r], true);
	}
	struct qu_group before_g;
	struct qu_node before_r;
	memcpy(&before_g, group(), sizeof(before_g));
	memcpy(&before_r, node(group()->replicas[1]), sizeof(before_r));
	uint32_t first = qu_select_replica(sf.core, sf.group, sf.now_ms);
	CU_ASSERT_EQUAL(first, group()->replicas[1]);
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, sf.group, sf.now_ms), first);
	CU_ASSERT_PTR_NULL(qu_action_next(sf.core));
	CU_ASSERT_EQUAL(memcmp(&before_g, group(), sizeof(before_g)), 0);
	CU_ASSERT_EQUAL(memcmp(&before_r, node(group()->replicas[1]), sizeof(before_r)), 0);
	/* Judged at a later instant, the same views go stale: time is an argument, not state. */
	CU_ASSERT_EQUAL(qu_select_replica(sf.core, sf.group, sf.now_ms + 30001), QU_NONE);
}

/* ---------------------------------------------------------------------------------------------
 * Property: random inputs drive random replica sets; after every step the choice must be the
 * replica an independent statement of §5.3 picks (qualifying, nothing qualifying ranks better,
 * lower node index on a full tie). Coverage counters make sure every rule was exercised.
 */

enum reason { WHY_SDOWN, WHY_LINK, WHY_PING, WHY_PRIORITY, WHY_INFO, WHY_LINK_DOWN, WHY_COUNT };
enum decided { BY_PRIORITY, BY_OFFSET, BY_HAS_RUN_ID, BY_RUN_ID, BY_INDEX, BY_COUNT };

struct coverage {
	long excluded[WHY_COUNT];
	long decided[BY_COUNT];
	long chosen;
	long none;
	long primary_down;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

/* Every rule that disqualifies n, as a bit set over enum reason (0: it qualifies). */
static unsigned oracle_exclusions(const struct qu_node *n, const struct qu_node *primary,
                                  int64_t down_after_ms, int64_t now_ms)
{
	unsigned why = 0;
	int64_t info_valid_ms = primary->probe.sdown ? 5000 : 30000;
	int64_t link_down_max_ms = 10 * down_after_ms;
	if (primary->probe.sdown)
		link_down_max_ms += now_ms - primary->probe.sdown_since_ms;
	if (n->probe.sdown)
		why |= 1u << WHY_SDOWN;
	if (!(n->cmd_up && n->pubsub_up))
		why |= 1u << WHY_LINK;
	if (now_ms - n->probe.ping_ok_at_ms > 5000)
		why |= 1u << WHY_PING;
	if (n->priority == 0)
		why |= 1u << WHY_PRIORITY;
	if (n->info_at_ms == 0 || now_ms - n->info_at_ms > info_valid_ms)
		why |= 1u << WHY_INFO;
	if (n->primary_link_down_ms > link_down_max_ms)
		why |= 1u << WHY_LINK_DOWN;
	return why;
}

/* The first rule of §5.3's order on which a and b differ, and which of them it prefers
 * (*a_first); BY_INDEX when the rules cannot tell them apart. */
static enum decided oracle_order(const struct qu_node *a, const struct qu_node *b, bool *a_first)
{
	if (a->priority != b->priority) {
		*a_first = a->priority < b->priority;
		return BY_PRIORITY;
	}
	if (a->repl_offset != b->repl_offset) {
		*a_first = a->repl_offset > b->repl_offset;
		return BY_OFFSET;
	}
	if (a->has_run_id != b->has_run_id) {
		*a_first = a->has_run_id;
		return BY_HAS_RUN_ID;
	}
	if (a->has_run_id && strcasecmp(a->run_id, b->run_id) != 0) {
		*a_first = strcasecmp(a->run_id, b->run_id) < 0;
		return BY_RUN_ID;
	}
	*a_first = false;
	return BY_INDEX;
}

static bool is_replica_of_group(uint32_t id)
{
	for (uint32_t i = 0; i < group()->replica_count; i++)
		if (group()->replicas[i] == id)
			return true;
	return false;
}

/* How well chosen beats other, or BY_COUNT if other qualifies and should have been chosen. */
static enum decided beats(uint32_t chosen, uint32_t other)
{
	bool other_first;
	enum decided by = oracle_order(node(other), node(chosen), &other_first);
	if (by == BY_INDEX)
		other_first = other < chosen;
	return other_first ? BY_COUNT : by;
}

/* Returns false (after reporting) when the core's choice breaks the property. */
static bool check_choice(struct coverage *cov, uint64_t seed, int step)
{
	const struct qu_group *g = group();
	const struct qu_node *primary = node(g->primary);
	uint32_t got = qu_select_replica(sf.core, sf.group, sf.now_ms);
	const char *broken = NULL;
	int margin = -1; /* the closest call between the choice and any other qualifying replica */
	cov->primary_down += primary->probe.sdown;
	if (got != QU_NONE && !is_replica_of_group(got))
		broken = "chose a node that is no replica of the group";
	else if (got != QU_NONE &&
	         oracle_exclusions(node(got), primary, g->conf.down_after_ms, sf.now_ms) != 0)
		broken = "chose an excluded replica";
	for (uint32_t i = 0; i < g->replica_count && broken == NULL; i++) {
		uint32_t id = g->replicas[i];
		unsigned why =
		    oracle_exclusions(node(id), primary, g->conf.down_after_ms, sf.now_ms);
		for (int w = 0; w < WHY_COUNT; w++)
			cov->excluded[w] += (why >> w) & 1u;
		if (why != 0 || id == got)
			continue;
		if (got == QU_NONE) {
			broken = "chose none while a replica qualifies";
			break;
		}
		enum decided by = beats(got, id);
		if (by == BY_COUNT)
			broken = "a qualifying replica ranks better";
		else if ((int)by > margin)
			margin = (int)by;
	}
	if (broken != NULL) {
		fprintf(stderr, "\nselect property: seed %llu step %d: core chose %u: %s\n",
		        (unsigned long long)seed, step, (unsigned)got, broken);
		return false;
	}
	if (margin >= 0)
		cov->decided[margin]++;
	cov->chosen += got != QU_NONE;
	cov->none += got == QU_NONE;
	return true;
}

static struct qu_info random_replica_info(uint64_t *s)
{
	static const int32_t priorities[] = {0, 1, 1, 50, 100, 100, 100};
	/* few ids, mixed case, so that ties on priority and offset often come down to them */
	static const char *const ids[] = {NULL, ID_A, ID_A_UPPER, ID_B_UPPER, ID_F};
	static const int64_t link_down[] = {0, 0, 0, -1000, 5000, 9999, 10000, 10001, 25000, 60000};
	int32_t prio = priorities[rng_below(s, sizeof(priorities) / sizeof(priorities[0]))];
	int64_t offset = 100 * (int64_t)rng_below(s, 3);
	const char *id = ids[rng_below(s, sizeof(ids) / sizeof(ids[0]))];
	int64_t down = link_down[rng_below(s, sizeof(link_down) / sizeof(link_down[0]))];
	return replica_info(prio, offset, id, down);
}

/* One random input: time passing, PINGs answered or not, INFO, links, pub/sub traffic. */
static void random_step(uint64_t *s, int replicas, uint32_t primary_pong_pct)
{
	uint32_t op = rng_below(s, 100);
	uint32_t r = replicas > 0 ? group()->replicas[rng_below(s, (uint32_t)replicas)] : QU_NONE;
	if (op < 30 || r == QU_NONE) {
		sf.now_ms += rng_below(s, 1500);
		tick();
	} else if (op < 48) {
		pong(r, rng_below(s, 100) < 85);
	} else if (op < 62) {
		struct qu_info i = random_replica_info(s);
		info(r, &i);
	} else if (op < 72) {
		set_link(r, rng_below(s, 2) ? QU_LINK_CMD : QU_LINK_PUBSUB, rng_below(s, 100) < 60);
	} else if (op < 84) {
		pubsub_activity(r);
	} else if (op < 95) {
		if (rng_below(s, 100) < primary_pong_pct)
			pong(group()->primary, true);
	} else {
		sf.now_ms += rng_below(s, 8000);
	}
}

static void test_select_random_sets_match_the_rules(void)
{
	struct coverage cov;
	memset(&cov, 0, sizeof(cov));
	bool ok = true;
	for (uint64_t seed = 1; seed <= 300 && ok; seed++) {
		uint64_t s = seed;
		int replicas = (int)rng_below(&s, RANDOM_REPLICAS_MAX + 1);
		int64_t down_after_ms = rng_below(&s, 2) ? 1000 : 3000;
		uint32_t primary_pong_pct = 50 * rng_below(&s, 3); /* 0, 50 or 100 */
		given_group(replicas, down_after_ms);
		for (int step = 0; step < 400 && ok; step++) {
			random_step(&s, replicas, primary_pong_pct);
			ok = check_choice(&cov, seed, step);
		}
	}
	CU_ASSERT_TRUE(ok);
	for (int w = 0; w < WHY_COUNT; w++)
		CU_ASSERT(cov.excluded[w] > 0);
	for (int d = 0; d < BY_COUNT; d++)
		CU_ASSERT(cov.decided[d] > 0);
	CU_ASSERT(cov.chosen > 0);
	CU_ASSERT(cov.none > 0);
	CU_ASSERT(cov.primary_down > 0);
	free(sf.mem);
	memset(&sf, 0, sizeof(sf));
}

CU_TestInfo select_tests[] = {
    {"table: each ordering and exclusion rule", test_select_table},
    {"no replicas or no such group: none", test_select_without_replicas_or_group_is_none},
    {"replica without INFO is skipped near clock start",
     test_select_skips_replica_without_info_near_clock_start},
    {"selection changes nothing and depends on now", test_select_changes_nothing},
    {"random replica sets: choice matches the rules", test_select_random_sets_match_the_rules},
    CU_TEST_INFO_NULL,
};
