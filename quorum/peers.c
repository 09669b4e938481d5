// SPDX-License-Identifier: BSD-3-Clause
/*
 * Other watchers, learned from hello gossip (sentinel-protocol.md §2.3): the shared watcher table
 * (one link per runid and address), each group's peer list, adopting newer epochs and configs,
 * probing peers, asking them whether the primary is down, and objective down (§3.3).
 * Decisions only: the shell carries out the links, PUBLISHes and requests.
 */
#include "internal.h"

/* ---- the watcher table --------------------------------------------------------------------- */

static uint32_t watcher_find(const struct qu_core *core, const char *runid,
			     const struct qu_addr *addr)
{
	for (uint32_t w = 0; w < core->limits.watchers_max; w++) {
		const struct qu_watcher *x = &core->watchers[w];
		if (x->used && strcmp(x->runid, runid) == 0 && qu_addr_equal(&x->addr, addr))
			return w;
	}
	return QU_NONE;
}

static uint32_t watcher_ref(struct qu_core *core, const char *runid, const struct qu_addr *addr)
{
	uint32_t w = watcher_find(core, runid, addr);
	if (w != QU_NONE) {
		core->watchers[w].refs++;
		return w;
	}
	for (w = 0; w < core->limits.watchers_max; w++)
		if (!core->watchers[w].used)
			break;
	if (w == core->limits.watchers_max)
		return QU_NONE;
	struct qu_watcher *x = &core->watchers[w];
	memset(x, 0, sizeof(*x));
	x->used = true;
	x->refs = 1;
	snprintf(x->runid, sizeof(x->runid), "%s", runid);
	x->addr = *addr;
	qu_probe_reset(&x->probe, core->now_ms);
	qu_core_emit(core, QU_ACT_NODE_ADD, QU_NONE, qu_watcher_endpoint(core, w));
	return w;
}

static void watcher_unref(struct qu_core *core, uint32_t w)
{
	struct qu_watcher *x = &core->watchers[w];
	QU_ASSERT(x->used);
	QU_ASSERT(x->refs > 0);
	if (--x->refs > 0)
		return;
	qu_core_emit(core, QU_ACT_NODE_DEL, QU_NONE, qu_watcher_endpoint(core, w));
	memset(x, 0, sizeof(*x));
}

/* The shortest down-after among the groups a watcher serves: it is probed for all of them. */
static int64_t watcher_down_after_ms(const struct qu_core *core, uint32_t w)
{
	int64_t best = QU_DEFAULT_DOWN_AFTER_MS;
	for (uint32_t g = 0; g < core->limits.groups_max; g++) {
		const struct qu_group *grp = &core->groups[g];
		if (!grp->used)
			continue;
		for (uint32_t i = 0; i < grp->peer_count; i++)
			if (grp->peers[i].watcher == w && grp->conf.down_after_ms < best)
				best = grp->conf.down_after_ms;
	}
	return best;
}

/* ---- a group's peer list ----------------------------------------------------------------- */

static void peer_event(struct qu_core *core, enum qu_event ev, uint32_t group, uint32_t w,
		       const char *suffix)
{
	const struct qu_group *g = &core->groups[group];
	const struct qu_watcher *x = &core->watchers[w];
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, group, QU_NONE);
	a->event = ev;
	snprintf(a->text, sizeof(a->text), "sentinel %s %s %u @ %s %s %u%s%s", x->runid,
		 x->addr.host, (unsigned)x->addr.port, g->conf.name, g->conf.addr.host,
		 (unsigned)g->conf.addr.port, suffix != NULL ? " " : "",
		 suffix != NULL ? suffix : "");
}

static void peer_remove(struct qu_core *core, uint32_t group, uint32_t i)
{
	struct qu_group *g = &core->groups[group];
	QU_ASSERT(i < g->peer_count);
	watcher_unref(core, g->peers[i].watcher);
	g->peers[i] = g->peers[g->peer_count - 1];
	g->peer_count--;
}

static int peer_add(struct qu_core *core, uint32_t group, const char *runid,
		    const struct qu_addr *addr)
{
	struct qu_group *g = &core->groups[group];
	if (g->peer_count >= QU_PEERS_MAX)
		return QU_EFULL;
	uint32_t w = watcher_ref(core, runid, addr);
	if (w == QU_NONE)
		return QU_EFULL;
	struct qu_peer *p = &g->peers[g->peer_count++];
	memset(p, 0, sizeof(*p));
	p->watcher = w;
	return QU_OK;
}

void qu_peers_drop_group(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	while (g->peer_count > 0)
		peer_remove(core, group, g->peer_count - 1);
}

int qu_peers_restore(struct qu_core *core, uint32_t group, const struct qu_addr *addr,
		     const char *runid)
{
	const struct qu_group *g = &core->groups[group];
	for (uint32_t i = 0; i < g->peer_count; i++)
		if (strcmp(core->watchers[g->peers[i].watcher].runid, runid) == 0)
			return QU_EEXIST;
	return peer_add(core, group, runid, addr);
}

/* An id seen at another address: Sentinel drops the old entries and keeps the new address. */
static bool forget_moved_runid(struct qu_core *core, uint32_t group, const struct qu_hello *h)
{
	struct qu_group *g = &core->groups[group];
	bool moved = false;
	for (uint32_t i = g->peer_count; i-- > 0;) {
		if (strcmp(core->watchers[g->peers[i].watcher].runid, h->runid) != 0)
			continue;
		peer_remove(core, group, i);
		moved = true;
	}
	if (moved) {
		char suffix[QU_HOST_MAX + QU_RUNID_LEN + 32];
		snprintf(suffix, sizeof(suffix), "ip %s port %u for %s", h->watcher.host,
			 (unsigned)h->watcher.port, h->runid);
		qu_core_event(core, QU_EV_SENTINEL_ADDRESS_SWITCH, group, QU_NONE, suffix);
	}
	return moved;
}

/* Another id now at this address: the old one is gone (restarted with a new id), everywhere. */
static void forget_address_owner(struct qu_core *core, uint32_t group, const struct qu_hello *h)
{
	const struct qu_group *g = &core->groups[group];
	char stale[QU_RUNID_LEN + 1] = "";
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_watcher *x = &core->watchers[g->peers[i].watcher];
		if (qu_addr_equal(&x->addr, &h->watcher) && strcmp(x->runid, h->runid) != 0) {
			peer_event(core, QU_EV_SENTINEL_INVALID_ADDR, group, g->peers[i].watcher, NULL);
			snprintf(stale, sizeof(stale), "%s", x->runid);
			break;
		}
	}
	if (stale[0] == '\0')
		return;
	for (uint32_t gi = 0; gi < core->limits.groups_max; gi++) {
		struct qu_group *other = &core->groups[gi];
		if (!other->used)
			continue;
		for (uint32_t i = other->peer_count; i-- > 0;)
			if (strcmp(core->watchers[other->peers[i].watcher].runid, stale) == 0)
				peer_remove(core, gi, i);
	}
}

static uint32_t peer_find(const struct qu_core *core, uint32_t group, const char *runid,
			  const struct qu_addr *addr)
{
	const struct qu_group *g = &core->groups[group];
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_watcher *x = &core->watchers[g->peers[i].watcher];
		if (strcmp(x->runid, runid) == 0 && qu_addr_equal(&x->addr, addr))
			return i;
	}
	return QU_NONE;
}

/* §2.3 step 5: a newer config epoch wins; a different address is a switch. */
static void adopt_config(struct qu_core *core, uint32_t group, uint32_t peer,
			 const struct qu_hello *h)
{
	struct qu_group *g = &core->groups[group];
	if (h->config_epoch <= g->config_epoch)
		return;
	g->config_epoch = h->config_epoch;
	if (!qu_addr_equal(&g->conf.addr, &h->primary)) {
		peer_event(core, QU_EV_CONFIG_UPDATE_FROM, group, g->peers[peer].watcher, NULL);
		qu_topology_switch(core, group, &h->primary, false);
	}
	qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
}

/* Whether a new peer entry for h fits, counting the entries it would replace: checked before
 * anything changes, so that a refused hello leaves no trace. */
static bool peer_fits(const struct qu_core *core, uint32_t group, const struct qu_hello *h)
{
	const struct qu_group *g = &core->groups[group];
	uint32_t replaced = 0;
	for (uint32_t i = 0; i < g->peer_count; i++)
		replaced += strcmp(core->watchers[g->peers[i].watcher].runid, h->runid) == 0;
	if (g->peer_count - replaced >= QU_PEERS_MAX)
		return false;
	if (watcher_find(core, h->runid, &h->watcher) != QU_NONE)
		return true;
	for (uint32_t w = 0; w < core->limits.watchers_max; w++)
		if (!core->watchers[w].used)
			return true;
	return false;
}

int qu_peers_on_hello(struct qu_core *core, const struct qu_hello *h)
{
	if (strcmp(h->runid, core->myid) == 0)
		return QU_OK; /* our own hello, echoed by the node */
	uint32_t group = qu_group_find(core, h->name);
	if (group == QU_NONE)
		return QU_ENOENT;
	uint32_t peer = peer_find(core, group, h->runid, &h->watcher);
	if (peer == QU_NONE) {
		if (!peer_fits(core, group, h))
			return QU_EFULL;
		bool moved = forget_moved_runid(core, group, h);
		forget_address_owner(core, group, h);
		int rc = peer_add(core, group, h->runid, &h->watcher);
		if (rc != QU_OK)
			return rc;
		peer = core->groups[group].peer_count - 1;
		if (!moved)
			peer_event(core, QU_EV_SENTINEL_ADDED, group,
				   core->groups[group].peers[peer].watcher, NULL);
		qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
	}
	if (h->current_epoch > core->current_epoch && h->current_epoch <= (uint64_t)QU_EPOCH_MAX)
		qu_core_new_epoch(core, h->current_epoch);
	adopt_config(core, group, peer, h);
	core->groups[group].peers[peer].hello_at_ms = core->now_ms;
	core->groups[group].peers[peer].config_epoch = h->config_epoch;
	return QU_OK;
}

/* Whether a majority of the group's watchers (us included) confirmed our config epoch by a
 * recent hello. A watcher that restarted with a stale view, or sits in a minority partition,
 * must not impose it on the nodes: Sentinel waits 8 s for gossip instead (§5.8, §9.4). */
bool qu_peers_config_confirmed(const struct qu_group *g, int64_t since_ms)
{
	uint32_t agree = 1;
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_peer *p = &g->peers[i];
		/* Only hellos sent after the stray appeared count: older ones predate whatever
		 * failover may have made it a primary. */
		agree += p->hello_at_ms > since_ms && p->config_epoch == g->config_epoch;
	}
	return agree >= (g->peer_count + 1) / 2 + 1;
}

/* ---- probing peers ------------------------------------------------------------------------- */

void qu_peers_on_link(struct qu_core *core, uint32_t w, bool up)
{
	struct qu_watcher *x = &core->watchers[w];
	if (x->cmd_up && !up)
		qu_probe_on_loss(&x->probe, core->now_ms);
	x->probe.ping_sent_at_ms = 0; /* a fresh link is PINGed at once */
	x->cmd_up = up;
	x->cmd_since_ms = core->now_ms;
}

void qu_peers_on_ping(struct qu_core *core, uint32_t w, bool valid)
{
	qu_probe_on_reply(&core->watchers[w].probe, core->now_ms, valid);
}

static void tick_watcher(struct qu_core *core, uint32_t w)
{
	struct qu_watcher *x = &core->watchers[w];
	int64_t down_after = watcher_down_after_ms(core, w);
	uint32_t endpoint = qu_watcher_endpoint(core, w);
	if (x->cmd_up && qu_probe_ping_due(&x->probe, core->now_ms, down_after))
		qu_core_emit(core, QU_ACT_SEND_PING, QU_NONE, endpoint);
	bool down = qu_probe_timed_out(&x->probe, core->now_ms, down_after, x->cmd_up);
	if (down == x->probe.sdown)
		return;
	x->probe.sdown = down;
	if (down)
		x->probe.sdown_since_ms = core->now_ms;
	/* A watcher's SDOWN is reported once, under the first group that lists it. */
	for (uint32_t g = 0; g < core->limits.groups_max; g++) {
		const struct qu_group *grp = &core->groups[g];
		for (uint32_t i = 0; grp->used && i < grp->peer_count; i++) {
			if (grp->peers[i].watcher != w)
				continue;
			peer_event(core, down ? QU_EV_SDOWN : QU_EV_SDOWN_CLEARED, g, w, NULL);
			return;
		}
	}
}

/* Our hello goes to every peer directly as well as through the nodes (§2.2). */
static void hello_to_peers(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	int64_t now = core->now_ms;
	for (uint32_t i = 0; i < g->peer_count; i++) {
		struct qu_peer *p = &g->peers[i];
		if (!core->watchers[p->watcher].cmd_up)
			continue;
		if (now - p->hello_sent_at_ms <= QU_PUBLISH_PERIOD_MS ||
		    now - p->hello_tried_at_ms <= QU_PUBLISH_PERIOD_MS / 2)
			continue;
		qu_wire_emit_hello(core, group, qu_watcher_endpoint(core, p->watcher));
		p->hello_tried_at_ms = now;
	}
}

/* §4.2: while the primary is SDOWN, ask each connected peer, at most once per ask period. */
void qu_peers_ask(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	if (!core->nodes[g->primary].probe.sdown)
		return;
	int64_t now = core->now_ms;
	bool candidate = g->failover_state == QU_FO_WAIT_START;
	for (uint32_t i = 0; i < g->peer_count; i++) {
		struct qu_peer *p = &g->peers[i];
		if (!core->watchers[p->watcher].cmd_up)
			continue;
		/* A candidacy is announced to every peer at once, whatever it answered lately. */
		bool new_candidacy = candidate && p->vote_asked_epoch != g->failover_epoch;
		bool recently = now - p->down_asked_at_ms < QU_ASK_PERIOD_MS ||
				(p->down_reply_at_ms != 0 &&
				 now - p->down_reply_at_ms < QU_ASK_PERIOD_MS &&
				 p->down_reply_at_ms >= p->down_asked_at_ms);
		if (!new_candidacy && recently)
			continue;
		if (candidate)
			p->vote_asked_epoch = g->failover_epoch;
		qu_vote_persist_before_reveal(core);
		struct qu_action *a = qu_core_emit(core, QU_ACT_SEND_ASK, group,
						   qu_watcher_endpoint(core, p->watcher));
		a->epoch = core->current_epoch;
		snprintf(a->runid, sizeof(a->runid), "%s", candidate ? core->myid : "*");
		p->down_asked_at_ms = now;
	}
}

/* §3.3: SDOWN here plus enough fresh "down" answers from peers. */
void qu_peers_check_odown(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	int64_t now = core->now_ms;
	uint32_t count = 0;
	if (core->nodes[g->primary].probe.sdown) {
		count = 1;
		for (uint32_t i = 0; i < g->peer_count; i++) {
			struct qu_peer *p = &g->peers[i];
			if (p->down_reply_at_ms != 0 &&
			    now - p->down_reply_at_ms > QU_PEER_REPLY_VALID_MS) {
				/* A stale opinion, and the vote that came with it, expire. */
				p->primary_down = false;
				p->leader[0] = '\0';
				p->leader_epoch = 0;
			}
			count += p->primary_down;
		}
	}
	bool odown = count > 0 && count >= g->conf.quorum;
	if (odown == g->odown)
		return;
	g->odown = odown;
	if (odown) {
		g->odown_since_ms = now;
		char suffix[48];
		snprintf(suffix, sizeof(suffix), "#quorum %u/%u", (unsigned)count,
			 (unsigned)g->conf.quorum);
		qu_core_event(core, QU_EV_ODOWN, group, QU_NONE, suffix);
	} else {
		qu_core_event(core, QU_EV_ODOWN_CLEARED, group, QU_NONE, NULL);
	}
}

void qu_peers_tick(struct qu_core *core)
{
	for (uint32_t w = 0; w < core->limits.watchers_max; w++)
		if (core->watchers[w].used)
			tick_watcher(core, w);
	for (uint32_t g = 0; g < core->limits.groups_max; g++) {
		if (!core->groups[g].used)
			continue;
		hello_to_peers(core, g);
		if (!core->tilt) { /* TILT: no ODOWN, no failover, no vote requests (§9.1) */
			qu_peers_check_odown(core, g);
			qu_vote_tick_group(core, g);
			qu_peers_ask(core, g);
		}
	}
}
