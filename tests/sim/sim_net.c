// SPDX-License-Identifier: BSD-3-Clause
/*
 * The simulated network and its faults: which endpoints can reach each other (partitions, cut
 * paths, dead processes), message delay, loss, duplication and reordering, and the watchers'
 * connections modelled on sentinel/link.c (connect, notice a broken link, back off, reconnect).
 * It decides nothing for a watcher: it only carries messages and reports link changes as inputs.
 */
#include "sim.h"

#include <string.h>

#define SIM_RETRY_MIN_MS 1000 /* link.c: 1 s after a loss, doubling up to 2 s, + jitter */
#define SIM_RETRY_MAX_MS 2000
#define SIM_RETRY_JITTER_MS 100
#define SIM_WATCHER_TIMEOUT_MS 5000 /* daemon.c: command links to watchers time out after 5 s */
#define SIM_RST_MAX_MS 50           /* a dead far end is noticed at once (RST, EOF) */

_Static_assert(SIM_LINK_RECOVERY_MS ==
                   SIM_WATCHER_TIMEOUT_MS + SIM_RETRY_MAX_MS + SIM_RETRY_JITTER_MS,
               "the liveness bound assumes this link model");

bool sim_reach_node(const struct sim *s, uint32_t w, uint32_t node)
{
	return s->nodes[node].alive && s->side[w] == s->side[SIM_WATCHERS_MAX + node] &&
	       !s->cut[w][SIM_WATCHERS_MAX + node];
}

bool sim_reach_watcher(const struct sim *s, uint32_t a, uint32_t b)
{
	return s->w[a].alive && s->w[b].alive && s->side[a] == s->side[b] && !s->cut[a][b] &&
	       !s->cut[b][a];
}

bool sim_in_chaos(const struct sim *s)
{
	return !s->healed && s->now_ms >= SIM_T0_MS + s->conf.warmup_ms;
}

static int64_t net_delay_ms(struct sim *s)
{
	int64_t d = sim_rng_range(&s->rng, 1, s->conf.delay_max_ms);
	if (sim_rng_ppm(&s->rng, s->conf.slow_ppm))
		d += sim_rng_range(&s->rng, 0, s->conf.slow_max_ms);
	return d;
}

void sim_net_send(struct sim *s, struct sim_event *ev)
{
	/* Outside the fault phase the network still delays, reorders and duplicates, but loses
	 * nothing. */
	if (sim_in_chaos(s) && sim_rng_ppm(&s->rng, s->conf.drop_ppm)) {
		s->cov.dropped_msgs++;
		sim_queue_release(&s->q, ev);
		return;
	}
	if (sim_rng_ppm(&s->rng, s->conf.dup_ppm)) {
		struct sim_event *dup = sim_queue_alloc(s);
		if (dup != NULL) {
			*dup = *ev;
			sim_queue_push(s, dup, s->now_ms + net_delay_ms(s));
			s->cov.dup_msgs++;
		}
	}
	sim_queue_push(s, ev, s->now_ms + net_delay_ms(s));
}

/* ---- connections ---------------------------------------------------------------------------- */

static uint32_t node_by_addr(const struct sim *s, const struct qu_addr *addr)
{
	for (uint32_t k = 0; k < SIM_NODES; k++)
		if (s->nodes[k].addr.port == addr->port &&
		    strcmp(s->nodes[k].addr.host, addr->host) == 0)
			return k;
	return SIM_NONE;
}

static uint32_t watcher_by_addr(const struct sim *s, const struct qu_addr *addr)
{
	for (uint32_t i = 0; i < s->conf.n; i++)
		if (s->w[i].addr.port == addr->port && strcmp(s->w[i].addr.host, addr->host) == 0)
			return i;
	return SIM_NONE;
}

static bool far_reachable(const struct sim *s, uint32_t w, const struct sim_link *l)
{
	if (l->far == SIM_NONE)
		return false;
	return l->to_watcher ? sim_reach_watcher(s, w, l->far) : sim_reach_node(s, w, l->far);
}

static uint32_t far_inc(const struct sim *s, const struct sim_link *l)
{
	return l->to_watcher ? s->w[l->far].inc : s->nodes[l->far].inc;
}

/* The connection still reaches the very process it connected to. */
static bool conn_healthy(const struct sim *s, uint32_t w, const struct sim_link *l,
                         const struct sim_conn *c)
{
	return far_reachable(s, w, l) && far_inc(s, l) == c->far_inc;
}

static void conn_schedule(struct sim *s, struct sim_conn *c, int64_t extra_ms)
{
	uint32_t shift = c->failures < 1 ? c->failures : 1;
	int64_t backoff = (int64_t)SIM_RETRY_MIN_MS << shift;
	if (backoff > SIM_RETRY_MAX_MS)
		backoff = SIM_RETRY_MAX_MS;
	c->state = SIM_CONN_WAIT;
	c->retry_at_ms =
	    s->now_ms + extra_ms + backoff + sim_rng_range(&s->rng, 0, SIM_RETRY_JITTER_MS - 1);
}

static int64_t link_timeout_ms(const struct sim *s, const struct sim_link *l)
{
	if (l->to_watcher)
		return SIM_WATCHER_TIMEOUT_MS;
	int64_t t = s->conf.down_after_ms; /* daemon.c reply_timeout_ms() */
	return t < 1000 ? 1000 : (t > 30000 ? 30000 : t);
}

static void conn_attempt(struct sim *s, uint32_t w, uint32_t endpoint, uint32_t which)
{
	struct sim_link *l = &s->w[w].links[endpoint];
	struct sim_conn *c = &l->conn[which];
	if (!far_reachable(s, w, l)) {
		/* Refused at once by a dead host; behind a partition it hangs until the timeout. */
		bool dead = l->far == SIM_NONE ||
		            (l->to_watcher ? !s->w[l->far].alive : !s->nodes[l->far].alive);
		c->failures++;
		conn_schedule(s, c, dead ? 0 : link_timeout_ms(s, l));
		return;
	}
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	c->state = SIM_CONN_CONNECTING;
	c->far_inc = far_inc(s, l);
	ev->kind = SIM_EV_CONNECTED;
	ev->to = w;
	ev->to_inc = s->w[w].inc;
	ev->endpoint = endpoint;
	ev->which = which;
	ev->gen = c->gen;
	/* TCP handshake + AUTH/SETNAME/SUBSCRIBE round trips: never lost, only delayed. */
	sim_queue_push(s, ev, s->now_ms + 2 * sim_rng_range(&s->rng, 1, s->conf.delay_max_ms));
}

void sim_net_close(struct sim *s, uint32_t w, uint32_t endpoint)
{
	struct sim_link *l = &s->w[w].links[endpoint];
	for (uint32_t k = 0; k < 2; k++) {
		l->conn[k].state = SIM_CONN_IDLE;
		l->conn[k].gen++;
		l->conn[k].failures = 0;
		l->conn[k].noticed_at_ms = 0;
	}
	l->open = false;
}

void sim_net_open(struct sim *s, uint32_t w, uint32_t endpoint)
{
	if (endpoint >= SIM_ENDPOINTS) {
		sim_fail(s, "w%u: NODE_ADD for endpoint %u out of range", w, endpoint);
		return;
	}
	sim_net_close(s, w, endpoint);
	struct sim_link *l = &s->w[w].links[endpoint];
	struct qu_core *core = s->w[w].core;
	l->open = true;
	l->to_watcher = endpoint >= SIM_CORE_NODES;
	l->far = SIM_NONE;
	if (l->to_watcher) {
		const struct qu_watcher *x = qu_watcher_at(core, endpoint - SIM_CORE_NODES);
		if (x != NULL)
			l->far = watcher_by_addr(s, &x->addr);
	} else {
		const struct qu_node *n = qu_node_at(core, endpoint);
		if (n != NULL)
			l->far = node_by_addr(s, &n->addr);
	}
	conn_attempt(s, w, endpoint, QU_LINK_CMD);
	if (!l->to_watcher)
		conn_attempt(s, w, endpoint, QU_LINK_PUBSUB);
}

void sim_net_relink(struct sim *s, uint32_t w, uint32_t endpoint, enum qu_link_kind which)
{
	struct sim_conn *c = &s->w[w].links[endpoint].conn[which];
	if (!s->w[w].links[endpoint].open || c->state == SIM_CONN_IDLE || c->state == SIM_CONN_WAIT)
		return;
	bool was_up = c->state == SIM_CONN_UP;
	c->gen++;
	c->noticed_at_ms = 0;
	conn_schedule(s, c, 0);
	if (!was_up)
		return;
	/* link.c reports the drop from the loop, never inside the batch that asked for it. */
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	ev->kind = SIM_EV_LINK_DOWN;
	ev->to = w;
	ev->to_inc = s->w[w].inc;
	ev->endpoint = endpoint;
	ev->which = which;
	sim_queue_push(s, ev, s->now_ms);
}

static void feed_link(struct sim *s, uint32_t w, uint32_t endpoint, uint32_t which, bool up)
{
	struct qu_input in = {.kind = QU_IN_LINK, .now_ms = s->now_ms, .node = endpoint};
	in.u.link.which = (enum qu_link_kind)which;
	in.u.link.up = up;
	sim_feed(s, w, &in);
}

void sim_net_on_connected(struct sim *s, const struct sim_event *ev)
{
	struct sim_link *l = &s->w[ev->to].links[ev->endpoint];
	struct sim_conn *c = &l->conn[ev->which];
	if (!l->open || c->gen != ev->gen || c->state != SIM_CONN_CONNECTING)
		return;
	if (!conn_healthy(s, ev->to, l, c)) {
		c->failures++;
		conn_schedule(s, c, 0);
		return;
	}
	c->state = SIM_CONN_UP;
	c->failures = 0;
	c->noticed_at_ms = 0;
	feed_link(s, ev->to, ev->endpoint, ev->which, true);
}

bool sim_net_conn_current(const struct sim *s, const struct sim_event *ev)
{
	const struct sim_watcher *w = &s->w[ev->to];
	if (!w->alive || w->inc != ev->to_inc || ev->endpoint >= SIM_ENDPOINTS)
		return false;
	const struct sim_link *l = &w->links[ev->endpoint];
	const struct sim_conn *c = &l->conn[ev->which];
	return l->open && c->state == SIM_CONN_UP && c->gen == ev->gen &&
	       conn_healthy(s, ev->to, l, c);
}

/* One connection, before a TICK: notice a broken link after its timeout, reconnect when due. */
static bool keep_conn(struct sim *s, uint32_t w, uint32_t endpoint, uint32_t which)
{
	struct sim_link *l = &s->w[w].links[endpoint];
	struct sim_conn *c = &l->conn[which];
	if (c->state == SIM_CONN_WAIT && s->now_ms >= c->retry_at_ms)
		conn_attempt(s, w, endpoint, which);
	if (c->state != SIM_CONN_UP)
		return true;
	if (conn_healthy(s, w, l, c)) {
		c->noticed_at_ms = 0; /* a short partition that TCP rode out */
		return true;
	}
	if (c->noticed_at_ms == 0) {
		bool rst = far_inc(s, l) != c->far_inc ||
		           (l->to_watcher ? !s->w[l->far].alive : !s->nodes[l->far].alive);
		int64_t t = link_timeout_ms(s, l);
		c->noticed_at_ms = s->now_ms + (rst ? sim_rng_range(&s->rng, 1, SIM_RST_MAX_MS)
		                                    : sim_rng_range(&s->rng, t / 2, t));
		return true;
	}
	if (s->now_ms < c->noticed_at_ms)
		return true;
	c->gen++;
	c->noticed_at_ms = 0;
	conn_schedule(s, c, 0);
	uint32_t inc = s->w[w].inc;
	feed_link(s, w, endpoint, which, false);
	return s->w[w].alive && s->w[w].inc == inc; /* the step may have crashed it */
}

void sim_net_links(struct sim *s, uint32_t w)
{
	for (uint32_t e = 0; e < SIM_ENDPOINTS; e++) {
		if (!s->w[w].links[e].open)
			continue;
		uint32_t kinds = s->w[w].links[e].to_watcher ? 1 : 2;
		for (uint32_t k = 0; k < kinds; k++)
			if (!keep_conn(s, w, e, k))
				return;
	}
}

/* ---- faults ------------------------------------------------------------------------------- */

enum fault {
	FAULT_PARTITION = 0,
	FAULT_UNPARTITION,
	FAULT_CUT,
	FAULT_UNCUT,
	FAULT_KILL_PRIMARY,
	FAULT_REVIVE_PRIMARY,
	FAULT_TOGGLE_REPLICA,
	FAULT_CRASH_WATCHER,
	FAULT_COUNT,
};

static const uint32_t fault_weight[FAULT_COUNT] = {3, 2, 2, 2, 3, 2, 1, 3};

static enum fault pick_fault(struct sim *s)
{
	uint32_t total = 0;
	for (uint32_t f = 0; f < FAULT_COUNT; f++)
		total += fault_weight[f];
	uint32_t r = (uint32_t)sim_rng_range(&s->rng, 0, total - 1);
	for (uint32_t f = 0; f < FAULT_COUNT; f++) {
		if (r < fault_weight[f])
			return (enum fault)f;
		r -= fault_weight[f];
	}
	return FAULT_PARTITION;
}

static void node_set(struct sim *s, uint32_t k, bool alive)
{
	struct sim_node *n = &s->nodes[k];
	if (n->alive == alive)
		return;
	n->alive = alive;
	n->inc++;
	/* A restarted redis-server has a new run_id (the core reports +reboot). */
	if (alive)
		for (uint32_t i = 0; i < QU_RUNID_LEN; i++)
			n->run_id[i] = "0123456789abcdef"[sim_rng_next(&s->rng) & 15u];
}

void sim_schedule_boot(struct sim *s, uint32_t w, int64_t at_ms)
{
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	ev->kind = SIM_EV_BOOT;
	ev->to = w;
	ev->gen = ++s->w[w].boot_token;
	sim_queue_push(s, ev, at_ms);
}

static void fault_partition(struct sim *s)
{
	int sides = (int)sim_rng_range(&s->rng, 2, 3);
	for (uint32_t i = 0; i < s->conf.n; i++)
		s->side[i] = (int)sim_rng_range(&s->rng, 0, sides - 1);
	for (uint32_t k = 0; k < SIM_NODES; k++)
		s->side[SIM_WATCHERS_MAX + k] = (int)sim_rng_range(&s->rng, 0, sides - 1);
}

static void fault_cut(struct sim *s)
{
	uint32_t a = (uint32_t)sim_rng_range(&s->rng, 0, s->conf.n - 1);
	uint32_t b = (uint32_t)sim_rng_range(&s->rng, 0, s->conf.n + SIM_NODES - 1);
	if (b >= s->conf.n) {
		s->cut[a][SIM_WATCHERS_MAX + b - s->conf.n] = true;
	} else if (b != a) {
		s->cut[a][b] = true;
		s->cut[b][a] = true;
	}
}

static void apply_fault(struct sim *s, enum fault f)
{
	uint32_t w;
	switch (f) {
	case FAULT_PARTITION:
		fault_partition(s);
		break;
	case FAULT_UNPARTITION:
		memset(s->side, 0, sizeof(s->side));
		break;
	case FAULT_CUT:
		fault_cut(s);
		break;
	case FAULT_UNCUT:
		memset(s->cut, 0, sizeof(s->cut));
		break;
	case FAULT_KILL_PRIMARY:
	case FAULT_REVIVE_PRIMARY:
		node_set(s, 0, f == FAULT_REVIVE_PRIMARY);
		break;
	case FAULT_TOGGLE_REPLICA:
		w = (uint32_t)sim_rng_range(&s->rng, 1, SIM_NODES - 1);
		node_set(s, w, !s->nodes[w].alive);
		break;
	case FAULT_CRASH_WATCHER:
		w = (uint32_t)sim_rng_range(&s->rng, 0, s->conf.n - 1);
		if (!s->w[w].alive)
			break;
		sim_watcher_crash(s, w);
		sim_schedule_boot(s, w, s->now_ms + sim_rng_range(&s->rng, 50, 3000));
		break;
	case FAULT_COUNT:
		break;
	}
}

void sim_fault_inject(struct sim *s)
{
	if (s->healed)
		return;
	enum fault f = pick_fault(s);
	sim_hash(s, 0xfa000000u + (uint64_t)f);
	if (s->trace)
		fprintf(s->out, "%8lld fault %d\n", (long long)(s->now_ms - SIM_T0_MS), (int)f);
	apply_fault(s, f);
	int64_t next = s->now_ms + sim_rng_range(&s->rng, 1, 2 * s->conf.fault_gap_ms);
	if (next >= s->heal_at_ms)
		return;
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	ev->kind = SIM_EV_FAULT;
	sim_queue_push(s, ev, next);
}

static bool is_leading(const struct sim *s, uint32_t w)
{
	const struct qu_group *g = s->w[w].alive ? qu_group_at(s->w[w].core, 0) : NULL;
	return g != NULL && g->failover_state >= QU_FO_SELECT_REPLICA;
}

/* Pick the watchers that stay down for good (never more than n - quorum): a watcher leading
 * since the fault phase first, so that liveness is not just that leader carrying on. */
static void pick_dead(struct sim *s)
{
	for (uint32_t k = 0; k < s->conf.dead_at_heal; k++) {
		uint32_t w = (uint32_t)sim_rng_range(&s->rng, 0, s->conf.n - 1);
		for (uint32_t i = 0; i < s->conf.n; i++) {
			if (is_leading(s, i) && !s->w[i].permadead) {
				w = i;
				break;
			}
		}
		for (uint32_t tries = 0; tries < s->conf.n && s->w[w].permadead; tries++)
			w = (w + 1) % s->conf.n;
		s->w[w].permadead = true;
		if (s->w[w].alive)
			sim_watcher_crash(s, w);
	}
}

void sim_fault_heal(struct sim *s)
{
	s->healed = true;
	memset(s->side, 0, sizeof(s->side));
	memset(s->cut, 0, sizeof(s->cut));
	node_set(s, 0, false);
	for (uint32_t k = 1; k < SIM_NODES; k++)
		node_set(s, k, true);
	pick_dead(s);
	for (uint32_t w = 0; w < s->conf.n; w++) {
		if (s->w[w].alive || s->w[w].permadead)
			continue;
		s->w[w].boot_token++; /* a pending BOOT is void */
		sim_watcher_boot(s, w);
	}
	int64_t et = s->conf.failover_timeout_ms < QU_ELECTION_TIMEOUT_MS
	                 ? s->conf.failover_timeout_ms
	                 : QU_ELECTION_TIMEOUT_MS;
	int64_t first = s->conf.down_after_ms > SIM_LINK_RECOVERY_MS ? s->conf.down_after_ms
	                                                             : SIM_LINK_RECOVERY_MS;
	s->bound_ms = first + SIM_LIVE_ROUNDS * (et + SIM_LIVE_BACKOFF_MS);
	s->end_at_ms = s->now_ms + s->bound_ms;
	if (s->trace)
		fprintf(s->out, "%8lld heal bound=%lld\n", (long long)(s->now_ms - SIM_T0_MS),
		        (long long)s->bound_ms);
	for (uint32_t w = 0; w < s->conf.n; w++)
		if (s->w[w].alive)
			sim_check_step(s, w);
}
