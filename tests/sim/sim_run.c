// SPDX-License-Identifier: BSD-3-Clause
/*
 * One simulated run: draw its configuration from the seed, lay out the world (three nodes, N
 * watchers), then pop events in virtual-time order until a leader is found after the heal, the
 * liveness bound expires, or an invariant breaks. The only randomness is the seed's PRNG.
 */
#include "sim.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const struct sim *current_sim;

const struct sim *sim_current(void)
{
	return current_sim;
}

static uint32_t pick_u32(uint64_t *rng, const uint32_t *values, uint32_t count)
{
	return values[sim_rng_range(rng, 0, count - 1)];
}

void sim_conf_from_seed(struct sim_conf *c, uint64_t seed, uint32_t n)
{
	static const uint32_t drop[] = {0, 10000, 50000, 150000};
	static const uint32_t dup[] = {0, 10000, 50000};
	static const uint32_t slow[] = {0, 20000, 100000};
	static const uint32_t crash_action[] = {0, 0, 100, 500};
	static const uint32_t crash_persist[] = {0, 50000, 200000};
	static const uint32_t persist_fail[] = {0, 0, 20000, 100000};
	uint64_t rng = seed ^ 0x5eed5eed5eed5eedu;
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->n = n != 0 ? n : 3 + 2 * (uint32_t)(seed % 3);
	uint32_t majority = c->n / 2 + 1;
	c->quorum = majority;
	if (sim_rng_ppm(&rng, 250000))
		c->quorum = (uint32_t)sim_rng_range(&rng, majority, c->n);
	c->down_after_ms = sim_rng_range(&rng, 300, 2000);
	/* Mostly short failover timeouts (short runs); sometimes Sentinel's default 180 s, which
	 * caps the election timeout at QU_ELECTION_TIMEOUT_MS. */
	c->failover_timeout_ms = sim_rng_ppm(&rng, 100000) ? QU_DEFAULT_FAILOVER_TIMEOUT_MS
	                                                   : sim_rng_range(&rng, 1000, 6000);
	/* Long enough for one INFO and one round of hellos (2 s): everyone knows everyone. */
	c->warmup_ms = sim_rng_range(&rng, 2500, 4000);
	c->chaos_ms = sim_rng_range(&rng, 1000, 12000);
	c->fault_gap_ms = sim_rng_range(&rng, 100, 1500);
	c->drop_ppm = pick_u32(&rng, drop, 4);
	c->dup_ppm = pick_u32(&rng, dup, 3);
	c->slow_ppm = pick_u32(&rng, slow, 3);
	c->delay_max_ms = sim_rng_range(&rng, 1, 20);
	c->slow_max_ms = sim_rng_range(&rng, 50, 800);
	c->crash_action_ppm = pick_u32(&rng, crash_action, 4);
	c->crash_persist_ppm = pick_u32(&rng, crash_persist, 3);
	c->persist_fail_ppm = pick_u32(&rng, persist_fail, 4);
	c->dead_at_heal = (uint32_t)sim_rng_range(&rng, 0, c->n - c->quorum);
}

static void random_hex(uint64_t *rng, char *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = "0123456789abcdef"[sim_rng_next(rng) & 15u];
	out[len] = '\0';
}

static void push_plain(struct sim *s, enum sim_ev_kind kind, uint32_t to, uint32_t gen,
                       int64_t at_ms)
{
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	ev->kind = kind;
	ev->to = to;
	ev->gen = gen;
	sim_queue_push(s, ev, at_ms);
}

static void world_init(struct sim *s)
{
	for (uint32_t k = 0; k < SIM_NODES; k++) {
		struct sim_node *n = &s->nodes[k];
		snprintf(n->addr.host, sizeof(n->addr.host), "10.0.0.%u", (unsigned)(k + 1));
		n->addr.port = 6379;
		random_hex(&s->rng, n->run_id, QU_RUNID_LEN);
		n->alive = true;
		n->repl_offset = 1000 * (int64_t)k;
		n->primary = k == 0;
		n->follows = 0;
	}
	for (uint32_t i = 0; i < s->conf.n; i++) {
		struct sim_watcher *w = &s->w[i];
		w->index = i;
		random_hex(&s->rng, w->runid, QU_RUNID_LEN);
		snprintf(w->addr.host, sizeof(w->addr.host), "10.0.1.%u", (unsigned)(i + 1));
		w->addr.port = 26379;
		w->snap.primary = s->nodes[0].addr;
		memset(w->revealed, SIM_NO_VOTE, sizeof(w->revealed));
		memset(w->persisted, SIM_NO_VOTE, sizeof(w->persisted));
		push_plain(s, SIM_EV_BOOT, i, ++w->boot_token,
		           SIM_T0_MS + sim_rng_range(&s->rng, 0, 300));
	}
	memset(s->elected, SIM_NO_VOTE, sizeof(s->elected));
	memset(s->promoted, SIM_NO_VOTE, sizeof(s->promoted));
	s->heal_at_ms = SIM_T0_MS + s->conf.warmup_ms + s->conf.chaos_ms;
	s->end_at_ms = INT64_MAX;
	s->live_at_ms = -1;
	if (s->conf.chaos_ms > 0)
		push_plain(s, SIM_EV_FAULT, 0, 0,
		           SIM_T0_MS + s->conf.warmup_ms +
		               sim_rng_range(&s->rng, 0, s->conf.fault_gap_ms));
	push_plain(s, SIM_EV_HEAL, 0, 0, s->heal_at_ms);
}

/* Pop and deliver until done; true when the loop ended for a reason that is not a failure. */
static void run_loop(struct sim *s)
{
	for (;;) {
		int64_t at_ms;
		struct sim_event *ev = sim_queue_pop(&s->q, &at_ms);
		if (ev == NULL) {
			sim_fail(s, "nothing left to simulate at %lld ms", (long long)s->now_ms);
			return;
		}
		if (at_ms > s->end_at_ms) {
			sim_queue_release(&s->q, ev);
			return;
		}
		s->now_ms = at_ms;
		sim_deliver(s, ev);
		sim_queue_release(&s->q, ev);
		if (s->failed || s->stopped)
			return;
		if (s->steps > SIM_STEPS_MAX) {
			sim_fail(s, "step budget of %u exceeded", SIM_STEPS_MAX);
			return;
		}
		if (s->live_at_ms >= 0 && s->end_at_ms > s->live_at_ms + SIM_TAIL_MS)
			s->end_at_ms = s->live_at_ms + SIM_TAIL_MS;
	}
}

static void free_cores(struct sim *s)
{
	for (uint32_t i = 0; i < SIM_WATCHERS_MAX; i++) {
		free(s->w[i].mem);
		s->w[i].mem = NULL;
		s->w[i].core = NULL;
	}
}

void sim_run(struct sim *s, const struct sim_conf *conf, FILE *trace, struct sim_result *res)
{
	memset(s, 0, offsetof(struct sim, q));
	sim_queue_init(&s->q);
	s->conf = *conf;
	s->rng = conf->seed * 0x2545f4914f6cdd1du + 1u;
	s->hash = 0xcbf29ce484222325u;
	s->now_ms = SIM_T0_MS;
	s->trace = trace != NULL;
	s->out = trace;
	current_sim = s;
	world_init(s);
	run_loop(s);
	if (!s->failed && !s->stopped && s->live_at_ms < 0)
		sim_fail(s, "liveness: no leader %lld ms after the heal (bound %lld ms)",
		         (long long)(s->now_ms - s->heal_at_ms), (long long)s->bound_ms);
	sim_check_finish(s);
	free_cores(s);
	current_sim = NULL;
	memset(res, 0, sizeof(*res));
	res->ok = !s->failed;
	res->steps = s->steps;
	res->sim_ms = s->now_ms - SIM_T0_MS;
	res->live_ms = s->live_at_ms >= 0 ? s->live_at_ms - s->heal_at_ms : -1;
	res->bound_ms = s->bound_ms;
	res->max_epoch = s->max_epoch;
	res->hash = s->hash;
	res->cov = s->cov;
	memcpy(res->fail_msg, s->fail_msg, sizeof(res->fail_msg));
}
