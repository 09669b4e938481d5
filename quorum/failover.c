// SPDX-License-Identifier: BSD-3-Clause
/*
 * The failover proper, run by the elected leader (sentinel-protocol.md §5): choose the replica,
 * promote it, confirm the promotion from its INFO, switch the group to it at once (so clients
 * are served the new address as soon as it is a primary), repoint the other replicas
 * parallel-syncs at a time, and turn a returning old primary into a replica. One handler per
 * state; every state change goes through set_state().
 */
#include "internal.h"

static void set_state(struct qu_core *core, uint32_t group, enum qu_failover_state state)
{
	struct qu_group *g = &core->groups[group];
	g->failover_state = state;
	g->failover_state_at_ms = core->now_ms;
}

static bool timed_out(const struct qu_core *core, const struct qu_group *g)
{
	return core->now_ms - g->failover_state_at_ms > g->conf.failover_timeout_ms;
}

/* Abort before the promotion is acknowledged (§5.2): the group is free for a later attempt. */
static void abort_failover(struct qu_core *core, uint32_t group, enum qu_event ev)
{
	struct qu_group *g = &core->groups[group];
	qu_core_event(core, ev, group, g->primary, NULL);
	if (g->promoted != QU_NONE)
		core->nodes[g->promoted].reconf = QU_RECONF_NONE;
	g->promoted = QU_NONE;
	g->forced = false;
	set_state(core, group, QU_FO_NONE);
	/* Retrying at once would only burn epochs: wait one election timeout. */
	int64_t wait = g->conf.failover_timeout_ms < QU_ELECTION_TIMEOUT_MS
			       ? g->conf.failover_timeout_ms
			       : QU_ELECTION_TIMEOUT_MS;
	g->failover_retry_at_ms = core->now_ms + wait;
}

static void on_select(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	uint32_t r = qu_select_replica(core, group, core->now_ms);
	if (r == QU_NONE) {
		abort_failover(core, group, QU_EV_ABORT_NO_GOOD_SLAVE);
		return;
	}
	g->promoted = r;
	g->failover_from = g->conf.addr;
	qu_core_event(core, QU_EV_SELECTED_SLAVE, group, r, NULL);
	qu_core_event(core, QU_EV_FAILOVER_STATE_SEND_SLAVEOF_NOONE, group, r, NULL);
	set_state(core, group, QU_FO_SEND_PROMOTE);
}

static void on_send_promote(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	const struct qu_node *r = &core->nodes[g->promoted];
	if (!r->cmd_up) {
		if (timed_out(core, g))
			abort_failover(core, group, QU_EV_ABORT_SLAVE_TIMEOUT);
		return;
	}
	qu_core_emit(core, QU_ACT_PROMOTE, group, g->promoted);
	/* Confirm from INFO right away: it is answered after the transaction, on the same link. */
	qu_core_emit(core, QU_ACT_SEND_INFO, group, g->promoted);
	core->nodes[g->promoted].info_sent_at_ms = core->now_ms;
	qu_core_event(core, QU_EV_FAILOVER_STATE_WAIT_PROMOTION, group, g->promoted, NULL);
	set_state(core, group, QU_FO_WAIT_PROMOTION);
}

static void send_repoint(struct qu_core *core, uint32_t group, uint32_t node)
{
	struct qu_action *a = qu_core_emit(core, QU_ACT_REPOINT, group, node);
	a->addr = core->groups[group].conf.addr;
	qu_core_emit(core, QU_ACT_SEND_INFO, group, node);
	core->nodes[node].info_sent_at_ms = core->now_ms;
}

/* §5.6, without the wait for every resync before serving the new address. */
static void reconf_some(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	uint32_t in_progress = 0;
	for (uint32_t i = 0; i < g->replica_count; i++) {
		struct qu_node *n = &core->nodes[g->replicas[i]];
		if (n->reconf == QU_RECONF_SENT &&
		    core->now_ms - n->reconf_sent_at_ms > QU_SLAVE_RECONF_TIMEOUT_MS) {
			qu_core_event(core, QU_EV_SLAVE_RECONF_SENT_TIMEOUT, group, g->replicas[i],
				      NULL);
			n->reconf = QU_RECONF_DONE;
		}
		in_progress += n->reconf == QU_RECONF_SENT || n->reconf == QU_RECONF_INPROG;
	}
	for (uint32_t i = 0; i < g->replica_count && in_progress < g->conf.parallel_syncs; i++) {
		struct qu_node *n = &core->nodes[g->replicas[i]];
		if (n->reconf != QU_RECONF_NONE || !n->cmd_up || n->probe.sdown)
			continue;
		send_repoint(core, group, g->replicas[i]);
		n->reconf = QU_RECONF_SENT;
		n->reconf_sent_at_ms = core->now_ms;
		qu_core_event(core, QU_EV_SLAVE_RECONF_SENT, group, g->replicas[i], NULL);
		in_progress++;
	}
}

static void end_failover(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	qu_core_event(core, QU_EV_FAILOVER_END, group, QU_NONE, NULL);
	for (uint32_t i = 0; i < g->replica_count; i++)
		core->nodes[g->replicas[i]].reconf = QU_RECONF_NONE;
	g->promoted = QU_NONE;
	g->forced = false;
	g->failover_retry_at_ms = 0;
	g->last_failover_at_ms = core->now_ms;
	set_state(core, group, QU_FO_NONE);
	qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
}

static void on_reconf(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	if (timed_out(core, g)) {
		qu_core_event(core, QU_EV_FAILOVER_END_FOR_TIMEOUT, group, QU_NONE, NULL);
		for (uint32_t i = 0; i < g->replica_count; i++) {
			struct qu_node *n = &core->nodes[g->replicas[i]];
			if (n->reconf != QU_RECONF_NONE || !n->cmd_up)
				continue;
			send_repoint(core, group, g->replicas[i]);
			qu_core_event(core, QU_EV_SLAVE_RECONF_SENT_BE, group, g->replicas[i], NULL);
		}
		end_failover(core, group);
		return;
	}
	reconf_some(core, group);
	/* Done when every replica is repointed, or down and left for +convert-to-slave later. */
	for (uint32_t i = 0; i < g->replica_count; i++) {
		const struct qu_node *n = &core->nodes[g->replicas[i]];
		if (n->reconf != QU_RECONF_DONE && !n->probe.sdown && n->cmd_up)
			return;
	}
	end_failover(core, group);
}

void qu_failover_step(struct qu_core *core, uint32_t group)
{
	switch (core->groups[group].failover_state) {
	case QU_FO_SELECT_REPLICA:
		on_select(core, group);
		break;
	case QU_FO_SEND_PROMOTE:
		on_send_promote(core, group);
		break;
	case QU_FO_WAIT_PROMOTION:
		if (timed_out(core, &core->groups[group]))
			abort_failover(core, group, QU_EV_ABORT_SLAVE_TIMEOUT);
		break;
	case QU_FO_RECONF_REPLICAS:
		on_reconf(core, group);
		break;
	case QU_FO_NONE:
	case QU_FO_WAIT_START:
		break;
	}
}

/* Every watcher must learn the new config at once, not on the 2 s hello timer. */
static void gossip_now(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	if (core->nodes[g->primary].cmd_up)
		qu_wire_emit_hello(core, group, g->primary);
	for (uint32_t i = 0; i < g->replica_count; i++)
		if (core->nodes[g->replicas[i]].cmd_up)
			qu_wire_emit_hello(core, group, g->replicas[i]);
	for (uint32_t i = 0; i < g->peer_count; i++)
		if (core->watchers[g->peers[i].watcher].cmd_up)
			qu_wire_emit_hello(core, group, qu_watcher_endpoint(core, g->peers[i].watcher));
}

/* §5.5: the chosen replica says role:master. The new config takes our election's epoch, the
 * group switches to the new primary now, and the others are repointed. */
static void on_promoted(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	uint32_t r = g->promoted;
	g->config_epoch = g->failover_epoch;
	qu_core_event(core, QU_EV_PROMOTED_SLAVE, group, r, NULL);
	struct qu_addr to = core->nodes[r].addr;
	qu_topology_switch(core, group, &to, true);
	g->promoted = g->primary;
	set_state(core, group, QU_FO_RECONF_REPLICAS);
	qu_core_event(core, QU_EV_FAILOVER_STATE_RECONF_SLAVES, group, QU_NONE, NULL);
	qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
	gossip_now(core, group);
	on_reconf(core, group);
}

/* §5.8 with a wait that proves something instead of Sentinel's fixed 8 s: a replica that claims to
 * be a primary is repointed once our primary is healthy and a majority has confirmed our config
 * since the claim began (within a hello period, 2 s, usually less). */
static void maybe_convert(struct qu_core *core, uint32_t node)
{
	struct qu_node *n = &core->nodes[node];
	const struct qu_group *g = &core->groups[n->group];
	const struct qu_node *p = &core->nodes[g->primary];
	bool sane = !p->probe.sdown && p->role_reported == QU_ROLE_PRIMARY && p->info_at_ms != 0 &&
		    core->now_ms - p->info_at_ms < 2 * QU_INFO_PERIOD_MS && !g->odown;
	if (!sane || g->failover_state != QU_FO_NONE || n->probe.sdown ||
	    !qu_peers_config_confirmed(g, n->role_reported_at_ms))
		return;
	if (n->convert_sent_at_ms != 0 && core->now_ms - n->convert_sent_at_ms < QU_PING_PERIOD_MS)
		return;
	n->convert_sent_at_ms = core->now_ms;
	qu_core_event(core, QU_EV_CONVERT_TO_SLAVE, n->group, node, NULL);
	send_repoint(core, n->group, node);
}

static void reconf_progress(struct qu_core *core, uint32_t node)
{
	struct qu_node *n = &core->nodes[node];
	const struct qu_group *g = &core->groups[n->group];
	bool follows = n->has_primary && qu_addr_equal(&n->reported_primary, &g->conf.addr);
	if (n->reconf == QU_RECONF_SENT && follows) {
		n->reconf = QU_RECONF_INPROG;
		qu_core_event(core, QU_EV_SLAVE_RECONF_INPROG, n->group, node, NULL);
	}
	if (n->reconf == QU_RECONF_INPROG && follows && n->primary_link_up) {
		n->reconf = QU_RECONF_DONE;
		qu_core_event(core, QU_EV_SLAVE_RECONF_DONE, n->group, node, NULL);
	}
}

void qu_failover_on_info(struct qu_core *core, uint32_t node, const struct qu_info *info)
{
	if (core->tilt)
		return; /* nothing acts in TILT (§9.1) */
	struct qu_node *n = &core->nodes[node];
	uint32_t group = n->group;
	struct qu_group *g = &core->groups[group];
	if (g->failover_state == QU_FO_WAIT_PROMOTION && node == g->promoted &&
	    info->role == QU_ROLE_PRIMARY) {
		on_promoted(core, group);
		return;
	}
	if (n->kind != QU_ROLE_REPLICA)
		return;
	if (info->role == QU_ROLE_PRIMARY) {
		maybe_convert(core, node);
		return;
	}
	if (g->failover_state == QU_FO_RECONF_REPLICAS) {
		reconf_progress(core, node);
		on_reconf(core, group);
	}
}

int qu_failover_force(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	if (g->failover_state != QU_FO_NONE)
		return QU_EBUSY;
	if (qu_select_replica(core, group, core->now_ms) == QU_NONE)
		return QU_ENOREPLICA;
	if (core->current_epoch >= (uint64_t)QU_EPOCH_MAX)
		return QU_EINVAL;
	/* §5.9: a new epoch without agreement; peers learn the result from the hello. */
	qu_core_new_epoch(core, core->current_epoch + 1);
	g->failover_epoch = core->current_epoch;
	g->failover_started_at_ms = core->now_ms;
	g->forced = true;
	qu_core_event(core, QU_EV_TRY_FAILOVER, group, QU_NONE, NULL);
	qu_vote_cast_self(core, group);
	qu_core_event(core, QU_EV_ELECTED_LEADER, group, QU_NONE, NULL);
	qu_core_event(core, QU_EV_FAILOVER_STATE_SELECT_SLAVE, group, QU_NONE, NULL);
	set_state(core, group, QU_FO_SELECT_REPLICA);
	qu_failover_step(core, group);
	return QU_OK;
}
