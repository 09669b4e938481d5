// SPDX-License-Identifier: BSD-3-Clause
/*
 * Which replica a failover promotes, by Redis Sentinel 7.0's rules (sentinel-protocol.md §5.3,
 * sentinelSelectSlave): a filter that drops replicas unfit to be promoted and a total order over
 * the rest. Pure: it reads the core's views and the time it is given, and never changes state or
 * emits.
 */
#include "internal.h"

/* Sentinel's bounds, in units of its 1 s PING and 10 s INFO periods (§5.3). */
#define PING_MAX_AGE_MS (5 * QU_PING_PERIOD_MS)
#define INFO_MAX_AGE_MS (3 * QU_INFO_PERIOD_MS)
#define INFO_MAX_AGE_PRIMARY_DOWN_MS (5 * QU_PING_PERIOD_MS)
#define LINK_DOWN_DOWN_AFTERS 10

/* What every replica of one group is measured against, computed once per selection. */
struct select_bounds {
	int64_t now_ms;
	int64_t info_max_age_ms;
	int64_t link_down_max_ms;
};

/* Saturating arithmetic: ages and bounds come from untrusted INFO and config values. */
static int64_t sub_saturated(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t add_saturated(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static struct select_bounds bounds_of(const struct qu_core *core, const struct qu_group *g,
                                      int64_t now_ms)
{
	const struct qu_node *primary = qu_node_at(core, g->primary);
	QU_ASSERT(primary != NULL); /* a monitored group always has its primary node */
	struct select_bounds b = {.now_ms = now_ms, .info_max_age_ms = INFO_MAX_AGE_MS};
	int64_t primary_down_ms = 0;
	/* A replica's INFO must be fresher once its primary is down: it is polled every second. */
	if (primary->probe.sdown) {
		b.info_max_age_ms = INFO_MAX_AGE_PRIMARY_DOWN_MS;
		primary_down_ms = sub_saturated(now_ms, primary->probe.sdown_since_ms);
	}
	int64_t slack_ms;
	if (__builtin_mul_overflow(g->conf.down_after_ms, (int64_t)LINK_DOWN_DOWN_AFTERS,
	                           &slack_ms))
		slack_ms = INT64_MAX;
	b.link_down_max_ms = add_saturated(primary_down_ms, slack_ms);
	return b;
}

/* §5.3 exclusions. Replicas never carry ODOWN in this core, so SDOWN is the only down flag. */
static bool is_candidate(const struct qu_node *r, const struct select_bounds *b)
{
	if (r->probe.sdown)
		return false;
	if (!r->cmd_up || !r->pubsub_up)
		return false;
	if (sub_saturated(b->now_ms, r->probe.ping_ok_at_ms) > PING_MAX_AGE_MS)
		return false;
	if (r->priority == 0) /* "never promote me" */
		return false;
	if (r->info_at_ms == 0 || sub_saturated(b->now_ms, r->info_at_ms) > b->info_max_age_ms)
		return false;
	return r->primary_link_down_ms <= b->link_down_max_ms;
}

/*
 * Negative when node a should be promoted before node b: lower priority, then larger replication
 * offset, then smaller run id ignoring case with a missing run id last (§5.3), then, where Sentinel
 * leaves the order to its hash table, the lower node index so the choice is deterministic.
 */
static int compare_replicas(const struct qu_core *core, uint32_t a, uint32_t b)
{
	const struct qu_node *x = &core->nodes[a];
	const struct qu_node *y = &core->nodes[b];
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if (x->repl_offset != y->repl_offset)
		return x->repl_offset > y->repl_offset ? -1 : 1;
	if (x->has_run_id != y->has_run_id)
		return x->has_run_id ? -1 : 1;
	if (x->has_run_id) {
		int c = strcasecmp(x->run_id, y->run_id);
		if (c != 0)
			return c;
	}
	if (a != b)
		return a < b ? -1 : 1;
	return 0;
}

uint32_t qu_select_replica(const struct qu_core *core, uint32_t group, int64_t now_ms)
{
	const struct qu_group *g = qu_group_at(core, group);
	if (g == NULL)
		return QU_NONE;
	QU_ASSERT(g->replica_count <= QU_REPLICAS_MAX);
	struct select_bounds b = bounds_of(core, g, now_ms);
	uint32_t best = QU_NONE;
	for (uint32_t i = 0; i < g->replica_count; i++) {
		uint32_t id = g->replicas[i];
		QU_ASSERT(id < core->limits.nodes_max);
		QU_ASSERT(core->nodes[id].used);
		if (!is_candidate(&core->nodes[id], &b))
			continue;
		if (best == QU_NONE || compare_replicas(core, id, best) < 0)
			best = id;
	}
	return best;
}
