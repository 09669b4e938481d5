// SPDX-License-Identifier: BSD-3-Clause
/*
 * Probing cadence and subjective down, per node, exactly as Redis Sentinel 7.0 times them
 * (sentinel-protocol.md §1.3, §1.6, §3.1, §3.2): when to PING, INFO and publish our hello, when a
 * silent link must be closed, and when a node is SDOWN. Decisions only; the shell does the I/O.
 */
#include "internal.h"

void qu_probe_reset(struct qu_probe *p, int64_t now_ms)
{
	/* Sentinel starts both clocks at link creation, so an endpoint that can never be reached
	 * still times out after down-after. */
	memset(p, 0, sizeof(*p));
	p->ping_pending_since_ms = now_ms;
	p->ping_ok_at_ms = now_ms;
}

bool qu_probe_ping_due(struct qu_probe *p, int64_t now_ms, int64_t down_after_ms)
{
	int64_t period = down_after_ms < QU_PING_PERIOD_MS ? down_after_ms : QU_PING_PERIOD_MS;
	/* The first PING on a fresh link goes at once (Sentinel's connect handshake): the clock of
	 * an unanswered PING may be running since the old link was lost. */
	bool first_on_link = p->ping_sent_at_ms == 0;
	if (!first_on_link &&
	    (now_ms - p->ping_reply_at_ms <= period || now_ms - p->ping_sent_at_ms <= period / 2))
		return false;
	p->ping_sent_at_ms = now_ms;
	if (p->ping_pending_since_ms == 0)
		p->ping_pending_since_ms = now_ms;
	return true;
}

void qu_probe_on_loss(struct qu_probe *p, int64_t now_ms)
{
	if (p->ping_pending_since_ms == 0)
		p->ping_pending_since_ms = now_ms;
}

/* When SDOWN would next start to hold for p if nothing answers (INT64_MAX: not timed). */
int64_t qu_probe_deadline(const struct qu_probe *p, int64_t down_after_ms, bool connected)
{
	if (p->sdown)
		return INT64_MAX;
	if (p->ping_pending_since_ms != 0)
		return p->ping_pending_since_ms + down_after_ms + 1;
	if (!connected)
		return p->ping_ok_at_ms + down_after_ms + 1;
	return INT64_MAX;
}

void qu_probe_on_reply(struct qu_probe *p, int64_t now_ms, bool valid)
{
	p->ping_reply_at_ms = now_ms;
	if (!valid)
		return;
	p->ping_ok_at_ms = now_ms;
	p->ping_pending_since_ms = 0;
}

/* §3.2 rule 1: no valid reply for down-after, counting from the oldest unanswered PING, or
 * from the last valid reply while disconnected. */
bool qu_probe_timed_out(const struct qu_probe *p, int64_t now_ms, int64_t down_after_ms,
			bool connected)
{
	int64_t elapsed = 0;
	if (p->ping_pending_since_ms != 0)
		elapsed = now_ms - p->ping_pending_since_ms;
	else if (!connected)
		elapsed = now_ms - p->ping_ok_at_ms;
	return elapsed > down_after_ms;
}

void qu_detect_node_reset(struct qu_node *n, int64_t now_ms)
{
	qu_probe_reset(&n->probe, now_ms);
	n->info_sent_at_ms = 0;
	n->role_reported = n->kind;
	n->role_reported_at_ms = now_ms;
}

/* A replica whose primary is in trouble, or that lost its own primary link, is polled every second. */
static int64_t info_period_ms(const struct qu_core *core, const struct qu_node *n)
{
	if (n->kind != QU_ROLE_REPLICA)
		return QU_INFO_PERIOD_MS;
	/* A replica claiming to be a primary is watched closely until it is converted. */
	if (n->role_reported == QU_ROLE_PRIMARY)
		return QU_INFO_FAST_PERIOD_MS;
	const struct qu_group *g = &core->groups[n->group];
	if (core->nodes[g->primary].probe.sdown)
		return QU_INFO_FAST_PERIOD_MS;
	if (n->role_reported == QU_ROLE_REPLICA && n->has_primary && !n->primary_link_up)
		return QU_INFO_FAST_PERIOD_MS;
	return QU_INFO_PERIOD_MS;
}

/* §1.6: close links that stopped answering; the shell re-opens them. */
static void check_links(struct qu_core *core, uint32_t node)
{
	struct qu_node *n = &core->nodes[node];
	const struct qu_group *g = &core->groups[n->group];
	int64_t now = core->now_ms;
	int64_t half = g->conf.down_after_ms / 2;
	if (n->cmd_up && now - n->cmd_since_ms > QU_MIN_LINK_RECONNECT_MS &&
	    n->probe.ping_pending_since_ms != 0 && now - n->probe.ping_pending_since_ms > half &&
	    now - n->probe.ping_reply_at_ms > half) {
		struct qu_action *a = qu_core_emit(core, QU_ACT_RELINK, n->group, node);
		a->link = QU_LINK_CMD;
		n->cmd_up = false;
	}
	if (n->pubsub_up && now - n->pubsub_since_ms > QU_MIN_LINK_RECONNECT_MS &&
	    now - n->pubsub_activity_at_ms > 3 * QU_PUBLISH_PERIOD_MS) {
		struct qu_action *a = qu_core_emit(core, QU_ACT_RELINK, n->group, node);
		a->link = QU_LINK_PUBSUB;
		n->pubsub_up = false;
	}
}

static void send_probes(struct qu_core *core, uint32_t node)
{
	struct qu_node *n = &core->nodes[node];
	if (!n->cmd_up)
		return;
	const struct qu_group *g = &core->groups[n->group];
	int64_t now = core->now_ms;
	int64_t info_period = info_period_ms(core, n);
	bool info_due = n->info_at_ms == 0 || now - n->info_at_ms > info_period || n->info_now;
	/* One INFO in flight at a time; a lost one is re-sent after a period. */
	if (info_due && (n->info_sent_at_ms == 0 || now - n->info_sent_at_ms >= info_period)) {
		qu_core_emit(core, QU_ACT_SEND_INFO, n->group, node);
		n->info_sent_at_ms = now;
		n->info_now = false;
	}
	if (qu_probe_ping_due(&n->probe, now, g->conf.down_after_ms))
		qu_core_emit(core, QU_ACT_SEND_PING, n->group, node);
	if (now - n->hello_sent_at_ms > QU_PUBLISH_PERIOD_MS &&
	    now - n->hello_tried_at_ms > QU_PUBLISH_PERIOD_MS / 2) {
		qu_wire_emit_hello(core, n->group, node);
		n->hello_tried_at_ms = now;
	}
}

/* §3.2: the three ways a node becomes subjectively down. */
static bool is_sdown(const struct qu_core *core, const struct qu_node *n)
{
	const struct qu_group *g = &core->groups[n->group];
	int64_t now = core->now_ms;
	if (qu_probe_timed_out(&n->probe, now, g->conf.down_after_ms, n->cmd_up && n->pubsub_up))
		return true;
	/* A primary that says it is a replica for long enough is as good as down. Sentinel
	 * waits two INFO periods more for gossip of a newer config; once a majority confirmed
	 * ours since the claim began there is none to wait for. */
	if (n->kind != QU_ROLE_PRIMARY || n->role_reported != QU_ROLE_REPLICA)
		return false;
	int64_t claimed = now - n->role_reported_at_ms;
	if (claimed > g->conf.down_after_ms + 2 * QU_INFO_PERIOD_MS)
		return true;
	return claimed > g->conf.down_after_ms &&
	       qu_peers_config_confirmed(g, n->role_reported_at_ms);
}

static void check_sdown(struct qu_core *core, uint32_t node)
{
	struct qu_node *n = &core->nodes[node];
	bool down = is_sdown(core, n);
	if (down == n->probe.sdown)
		return;
	n->probe.sdown = down;
	if (down) {
		n->probe.sdown_since_ms = core->now_ms;
		qu_core_event(core, QU_EV_SDOWN, n->group, node, NULL);
	} else {
		qu_core_event(core, QU_EV_SDOWN_CLEARED, n->group, node, NULL);
	}
}

/*
 * §9.1 TILT: after a stall every clock-based judgement is suspect (replies may be sitting unread),
 * so the core keeps monitoring but decides nothing until QU_TILT_PERIOD_MS pass without another
 * stall. Entering again while in TILT restarts the clock.
 */
void qu_detect_stall(struct qu_core *core)
{
	core->tilt_last_stall_ms = core->now_ms;
	if (core->tilt)
		return;
	core->tilt = true;
	core->tilt_since_ms = core->now_ms;
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, QU_NONE, QU_NONE);
	a->event = QU_EV_TILT;
	snprintf(a->text, sizeof(a->text), "#tilt mode entered");
}

static void check_tilt_end(struct qu_core *core)
{
	if (!core->tilt || core->now_ms - core->tilt_last_stall_ms < QU_TILT_PERIOD_MS)
		return;
	core->tilt = false;
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, QU_NONE, QU_NONE);
	a->event = QU_EV_TILT_CLEARED;
	snprintf(a->text, sizeof(a->text), "#tilt mode exited");
}

void qu_detect_tick(struct qu_core *core)
{
	check_tilt_end(core);
	for (uint32_t i = 0; i < core->limits.nodes_max; i++) {
		if (!core->nodes[i].used)
			continue;
		check_links(core, i);
		send_probes(core, i);
		if (!core->tilt) /* flags freeze in TILT */
			check_sdown(core, i);
	}
	qu_peers_tick(core);
}

void qu_detect_on_link(struct qu_core *core, uint32_t node, enum qu_link_kind which, bool up)
{
	struct qu_node *n = &core->nodes[node];
	int64_t now = core->now_ms;
	if (which == QU_LINK_CMD) {
		if (n->cmd_up && !up)
			qu_core_event(core, QU_EV_CMD_LINK_RECONNECT, n->group, node, NULL);
		/* A lost command link is an unanswered PING: Sentinel queues a PING on its
		 * immediate reconnect attempt, which starts the same clock. Timing SDOWN from the
		 * loss, not from the last PONG, makes every watcher that saw the crash reach SDOWN
		 * at the same moment instead of up to a ping period apart. */
		if (n->cmd_up && !up)
			qu_probe_on_loss(&n->probe, now);
		n->cmd_up = up;
		n->cmd_since_ms = now;
		/* Sentinel asks INFO as soon as a link is up: a node back from the dead is
		 * examined at once (a returning old primary is converted within a second). */
		n->info_now = up;
		/* Requests in flight died with the link; the clock of the oldest unanswered PING
		 * keeps running (§1.6) so reconnects never delay SDOWN. */
		n->info_sent_at_ms = 0;
		n->probe.ping_sent_at_ms = 0;
		n->hello_tried_at_ms = 0;
		return;
	}
	if (n->pubsub_up && !up)
		qu_core_event(core, QU_EV_PUBSUB_LINK_RECONNECT, n->group, node, NULL);
	n->pubsub_up = up;
	n->pubsub_since_ms = now;
	n->pubsub_activity_at_ms = now;
}

void qu_detect_on_ping(struct qu_core *core, uint32_t node, bool valid)
{
	qu_probe_on_reply(&core->nodes[node].probe, core->now_ms, valid);
}
