// SPDX-License-Identifier: BSD-3-Clause
/*
 * The simulator's only sources of order and chance: a splitmix64 generator seeded from SIM_SEED
 * and a binary heap of events ordered by (virtual time, insertion sequence). It must never read a
 * clock or use rand(): a tie between two events is broken by the order they were pushed.
 */
#include "sim.h"

#include <string.h>

uint64_t sim_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

int64_t sim_rng_range(uint64_t *state, int64_t lo, int64_t hi)
{
	uint64_t span = (uint64_t)(hi - lo) + 1u;
	return lo + (int64_t)(sim_rng_next(state) % span);
}

bool sim_rng_ppm(uint64_t *state, uint32_t ppm)
{
	return sim_rng_next(state) % 1000000u < ppm;
}

void sim_queue_init(struct sim_queue *q)
{
	q->len = 0;
	q->seq = 0;
	q->free_len = SIM_EVENTS_MAX;
	for (uint32_t i = 0; i < SIM_EVENTS_MAX; i++)
		q->free_list[i] = SIM_EVENTS_MAX - 1 - i;
}

struct sim_event *sim_queue_alloc(struct sim *s)
{
	struct sim_queue *q = &s->q;
	if (q->free_len == 0) {
		sim_fail(s, "event queue full (%u events in flight)", SIM_EVENTS_MAX);
		return NULL;
	}
	struct sim_event *ev = &q->events[q->free_list[--q->free_len]];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

void sim_queue_release(struct sim_queue *q, struct sim_event *ev)
{
	q->free_list[q->free_len++] = (uint32_t)(ev - q->events);
}

static bool slot_before(const struct sim_slot *a, const struct sim_slot *b)
{
	return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

static void slot_swap(struct sim_slot *a, struct sim_slot *b)
{
	struct sim_slot t = *a;
	*a = *b;
	*b = t;
}

void sim_queue_push(struct sim *s, struct sim_event *ev, int64_t at_ms)
{
	struct sim_queue *q = &s->q;
	uint32_t i = q->len++;
	q->heap[i].at_ms = at_ms;
	q->heap[i].seq = q->seq++;
	q->heap[i].event = (uint32_t)(ev - q->events);
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!slot_before(&q->heap[i], &q->heap[parent]))
			break;
		slot_swap(&q->heap[i], &q->heap[parent]);
		i = parent;
	}
}

struct sim_event *sim_queue_pop(struct sim_queue *q, int64_t *at_ms)
{
	if (q->len == 0)
		return NULL;
	struct sim_slot top = q->heap[0];
	q->heap[0] = q->heap[--q->len];
	uint32_t i = 0;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, best = i;
		if (l < q->len && slot_before(&q->heap[l], &q->heap[best]))
			best = l;
		if (r < q->len && slot_before(&q->heap[r], &q->heap[best]))
			best = r;
		if (best == i)
			break;
		slot_swap(&q->heap[i], &q->heap[best]);
		i = best;
	}
	*at_ms = top.at_ms;
	return &q->events[top.event];
}
