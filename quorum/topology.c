// SPDX-License-Identifier: BSD-3-Clause
/*
 * The topology of each group: its primary and the replicas learned from the primary's INFO, and
 * what every node reports about itself (role, run id, replication fields). Emits +slave, +reboot
 * and +/-role-change (sentinel-protocol.md §9.2, §9.3). Never decides failovers.
 */
#include "internal.h"

bool qu_addr_equal(const struct qu_addr *a, const struct qu_addr *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static uint32_t node_alloc(struct qu_core *core)
{
	for (uint32_t i = 0; i < core->limits.nodes_max; i++)
		if (!core->nodes[i].used)
			return i;
	return QU_NONE;
}

uint32_t qu_topology_node_add(struct qu_core *core, uint32_t group, enum qu_role kind,
			      const struct qu_addr *addr)
{
	QU_ASSERT(group < core->limits.groups_max);
	QU_ASSERT(kind == QU_ROLE_PRIMARY || kind == QU_ROLE_REPLICA);
	struct qu_group *g = &core->groups[group];
	if (kind == QU_ROLE_REPLICA && g->replica_count >= QU_REPLICAS_MAX)
		return QU_NONE;
	uint32_t id = node_alloc(core);
	if (id == QU_NONE)
		return QU_NONE;
	struct qu_node *n = &core->nodes[id];
	memset(n, 0, sizeof(*n));
	n->used = true;
	n->group = group;
	n->kind = kind;
	n->addr = *addr;
	n->priority = QU_DEFAULT_PRIORITY;
	n->replica_announced = true;
	qu_detect_node_reset(n, core->now_ms);
	if (kind == QU_ROLE_REPLICA)
		g->replicas[g->replica_count++] = id;
	else
		g->primary = id;
	qu_core_emit(core, QU_ACT_NODE_ADD, group, id);
	return id;
}

void qu_topology_node_del(struct qu_core *core, uint32_t node)
{
	QU_ASSERT(node < core->limits.nodes_max);
	struct qu_node *n = &core->nodes[node];
	QU_ASSERT(n->used);
	struct qu_group *g = &core->groups[n->group];
	for (uint32_t i = 0; i < g->replica_count; i++) {
		if (g->replicas[i] != node)
			continue;
		g->replicas[i] = g->replicas[g->replica_count - 1];
		g->replica_count--;
		break;
	}
	qu_core_emit(core, QU_ACT_NODE_DEL, n->group, node);
	memset(n, 0, sizeof(*n));
}

/* New replicas listed by a primary's INFO become monitored replicas (+slave, persisted). */
static void discover_replicas(struct qu_core *core, uint32_t node, const struct qu_info *info)
{
	const struct qu_node *n = &core->nodes[node];
	uint32_t group = n->group;
	bool added = false;
	for (uint32_t i = 0; i < info->replica_count && i < QU_REPLICAS_MAX; i++) {
		const struct qu_addr *addr = &info->replicas[i];
		if (addr->host[0] == '\0' || addr->port == 0)
			continue;
		if (qu_node_find(core, group, addr) != QU_NONE)
			continue;
		uint32_t id = qu_topology_node_add(core, group, QU_ROLE_REPLICA, addr);
		if (id == QU_NONE)
			break; /* tables full: the rest is retried on the next INFO */
		qu_core_event(core, QU_EV_REPLICA_ADDED, group, id, NULL);
		added = true;
	}
	if (added)
		qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
}

static void note_role(struct qu_core *core, uint32_t node, enum qu_role role)
{
	struct qu_node *n = &core->nodes[node];
	if (role == QU_ROLE_UNKNOWN || role == n->role_reported)
		return;
	n->role_reported = role;
	n->role_reported_at_ms = core->now_ms;
	/* "+" when the new role matches what we monitor it as, "-" when it contradicts it. */
	enum qu_event ev = role == n->kind ? QU_EV_ROLE_CHANGE_OK : QU_EV_ROLE_CHANGE_BAD;
	qu_core_event(core, ev, n->group, node,
		      role == QU_ROLE_PRIMARY ? "new reported role is master"
					      : "new reported role is slave");
}

static void note_replica_fields(struct qu_core *core, struct qu_node *n, const struct qu_info *info)
{
	bool changed = n->has_primary != info->has_primary ||
		       (info->has_primary && !qu_addr_equal(&n->reported_primary, &info->primary));
	if (changed)
		n->primary_changed_at_ms = core->now_ms;
	n->has_primary = info->has_primary;
	if (info->has_primary)
		n->reported_primary = info->primary;
	n->primary_link_up = info->primary_link_up;
	n->primary_link_down_ms = info->primary_link_down_ms;
	n->priority = info->priority;
	n->repl_offset = info->repl_offset;
	n->replica_announced = info->replica_announced;
}

void qu_topology_on_info(struct qu_core *core, uint32_t node, const struct qu_info *info)
{
	struct qu_node *n = &core->nodes[node];
	n->info_at_ms = core->now_ms;
	n->info_sent_at_ms = 0;
	if (info->has_run_id) {
		bool rebooted = n->has_run_id && strcmp(n->run_id, info->run_id) != 0;
		memcpy(n->run_id, info->run_id, sizeof(n->run_id));
		n->run_id[QU_RUNID_LEN] = '\0';
		n->has_run_id = true;
		if (rebooted)
			qu_core_event(core, QU_EV_REBOOT, n->group, node, NULL);
	}
	note_role(core, node, info->role);
	if (info->role == QU_ROLE_REPLICA)
		note_replica_fields(core, n, info);
	if (n->kind == QU_ROLE_PRIMARY && info->role == QU_ROLE_PRIMARY)
		discover_replicas(core, node, info);
	qu_failover_on_info(core, node, info);
}

/*
 * The primary of group moved to addr (a newer config learned from gossip, or our own failover):
 * emit +switch-master and rebuild the group around the new primary, Sentinel-style: the replicas
 * are the previous ones minus the new primary plus the old primary (§5.7), each re-added (+slave).
 */
/* The new primary is one of our replicas: swap roles in place, keeping both nodes' links and
 * bookkeeping (no reconnect on the critical path). */
static bool switch_in_place(struct qu_core *core, uint32_t group, const struct qu_addr *addr,
			    bool leader)
{
	struct qu_group *g = &core->groups[group];
	uint32_t slot = QU_NONE;
	for (uint32_t i = 0; i < g->replica_count && slot == QU_NONE; i++)
		if (qu_addr_equal(&core->nodes[g->replicas[i]].addr, addr))
			slot = i;
	if (slot == QU_NONE)
		return false;
	uint32_t old = g->primary, fresh = g->replicas[slot];
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, group, QU_NONE);
	a->event = QU_EV_SWITCH_MASTER;
	a->flag = leader;
	snprintf(a->text, sizeof(a->text), "%s %s %u %s %u", g->conf.name, g->conf.addr.host,
		 (unsigned)g->conf.addr.port, addr->host, (unsigned)addr->port);
	core->nodes[fresh].kind = QU_ROLE_PRIMARY;
	core->nodes[old].kind = QU_ROLE_REPLICA;
	/* Like Sentinel's fresh instances after a switch: the role each is expected to report,
	 * from now. Stale reports would make the new primary "a primary claiming to be a
	 * replica" for as long as it had been a replica. INFO (asked at once) gives the truth. */
	core->nodes[fresh].role_reported = QU_ROLE_PRIMARY;
	core->nodes[fresh].role_reported_at_ms = core->now_ms;
	core->nodes[old].role_reported = QU_ROLE_REPLICA;
	core->nodes[old].role_reported_at_ms = core->now_ms;
	g->replicas[slot] = old;
	g->primary = fresh;
	g->conf.addr = *addr;
	g->odown = false;
	core->nodes[fresh].info_now = true; /* learn their new roles at once */
	core->nodes[old].info_now = true;
	/* Sentinel re-adds every replica of the switched group (+slave each), old primary included. */
	for (uint32_t i = 0; i < g->replica_count; i++)
		qu_core_event(core, QU_EV_REPLICA_ADDED, group, g->replicas[i], NULL);
	return true;
}

void qu_topology_switch(struct qu_core *core, uint32_t group, const struct qu_addr *addr,
			bool leader)
{
	struct qu_group *g = &core->groups[group];
	if (switch_in_place(core, group, addr, leader)) {
		if (g->failover_state != QU_FO_RECONF_REPLICAS)
			g->failover_state = QU_FO_NONE;
		return;
	}
	struct qu_addr old = g->conf.addr;
	struct qu_addr keep[QU_REPLICAS_MAX];
	uint32_t kept = 0;
	for (uint32_t i = 0; i < g->replica_count && kept < QU_REPLICAS_MAX; i++) {
		const struct qu_addr *r = &core->nodes[g->replicas[i]].addr;
		if (!qu_addr_equal(r, addr))
			keep[kept++] = *r;
	}
	if (kept < QU_REPLICAS_MAX && !qu_addr_equal(&old, addr))
		keep[kept++] = old;
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, group, QU_NONE);
	a->event = QU_EV_SWITCH_MASTER;
	a->flag = leader;
	snprintf(a->text, sizeof(a->text), "%s %s %u %s %u", g->conf.name, old.host,
		 (unsigned)old.port, addr->host, (unsigned)addr->port);
	while (g->replica_count > 0)
		qu_topology_node_del(core, g->replicas[g->replica_count - 1]);
	qu_topology_node_del(core, g->primary);
	g->conf.addr = *addr;
	g->primary = qu_topology_node_add(core, group, QU_ROLE_PRIMARY, addr);
	QU_ASSERT(g->primary != QU_NONE); /* the old primary's slot was just freed */
	for (uint32_t i = 0; i < kept; i++) {
		uint32_t id = qu_topology_node_add(core, group, QU_ROLE_REPLICA, &keep[i]);
		if (id == QU_NONE)
			break;
		qu_core_event(core, QU_EV_REPLICA_ADDED, group, id, NULL);
	}
	g->odown = false;
	g->failover_state = QU_FO_NONE;
}
