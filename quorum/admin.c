// SPDX-License-Identifier: BSD-3-Clause
/*
 * Configuration changes: groups added at startup or by SENTINEL MONITOR, removed, changed by
 * SENTINEL SET, reset by SENTINEL RESET, and what the state file restores (known replicas, epochs).
 * Every change is validated before anything is touched, so an error leaves the core as it was.
 */
#include "internal.h"


#define QU_INT_SETTING_MAX 2147483647

static bool str_fits(const char *s, size_t size)
{
	return s != NULL && memchr(s, '\0', size) != NULL;
}

static bool group_conf_ok(const struct qu_group_conf *c)
{
	return str_fits(c->name, sizeof(c->name)) && c->name[0] != '\0' &&
	       str_fits(c->addr.host, sizeof(c->addr.host)) && c->addr.host[0] != '\0' &&
	       c->addr.port > 0 && c->quorum >= 1 && c->down_after_ms >= 1 &&
	       c->failover_timeout_ms >= 1 && c->parallel_syncs >= 1 &&
	       str_fits(c->auth_user, sizeof(c->auth_user)) &&
	       str_fits(c->auth_pass, sizeof(c->auth_pass));
}

static bool has_free_node(const struct qu_core *core)
{
	for (uint32_t i = 0; i < core->limits.nodes_max; i++)
		if (!core->nodes[i].used)
			return true;
	return false;
}

static int admin_monitor(struct qu_core *core, const struct qu_admin *admin)
{
	const struct qu_group_conf *c = admin->conf;
	if (c == NULL || !group_conf_ok(c))
		return QU_EINVAL;
	if (qu_group_find(core, c->name) != QU_NONE)
		return QU_EEXIST;
	uint32_t id = QU_NONE;
	for (uint32_t g = 0; g < core->limits.groups_max && id == QU_NONE; g++)
		if (!core->groups[g].used)
			id = g;
	if (id == QU_NONE || !has_free_node(core))
		return QU_EFULL;
	struct qu_group *g = &core->groups[id];
	memset(g, 0, sizeof(*g));
	g->used = true;
	g->conf = *c;
	g->promoted = QU_NONE;
	g->primary = qu_topology_node_add(core, id, QU_ROLE_PRIMARY, &c->addr);
	QU_ASSERT(g->primary != QU_NONE);
	if (admin->quiet)
		return QU_OK;
	char suffix[32];
	snprintf(suffix, sizeof(suffix), "quorum %u", (unsigned)c->quorum);
	qu_core_event(core, QU_EV_MONITOR, id, QU_NONE, suffix);
	qu_core_emit(core, QU_ACT_PERSIST, id, QU_NONE);
	return QU_OK;
}

static void drop_replicas(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	while (g->replica_count > 0)
		qu_topology_node_del(core, g->replicas[g->replica_count - 1]);
}

static int admin_remove(struct qu_core *core, uint32_t group, bool quiet)
{
	struct qu_group *g = &core->groups[group];
	if (!quiet)
		qu_core_event(core, QU_EV_UNMONITOR, group, QU_NONE, NULL);
	drop_replicas(core, group);
	qu_peers_drop_group(core, group);
	qu_topology_node_del(core, g->primary);
	memset(g, 0, sizeof(*g));
	if (!quiet)
		qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
	return QU_OK;
}

static bool setting_value_ok(const struct qu_admin *admin)
{
	switch (admin->setting) {
	case QU_SET_DOWN_AFTER:
	case QU_SET_FAILOVER_TIMEOUT:
	case QU_SET_PARALLEL_SYNCS:
	case QU_SET_QUORUM:
		return admin->num >= 1 && admin->num <= QU_INT_SETTING_MAX;
	case QU_SET_AUTH_PASS:
	case QU_SET_AUTH_USER:
		return str_fits(admin->str, QU_AUTH_MAX);
	case QU_SET_COUNT:
		break;
	}
	return false;
}

/* Credentials changed: every link of the group is re-opened with them. */
static void relink_group(struct qu_core *core, uint32_t group)
{
	const struct qu_group *g = &core->groups[group];
	qu_core_emit(core, QU_ACT_NODE_ADD, group, g->primary);
	for (uint32_t i = 0; i < g->replica_count; i++)
		qu_core_emit(core, QU_ACT_NODE_ADD, group, g->replicas[i]);
}

static int admin_set(struct qu_core *core, const struct qu_admin *admin)
{
	if (!setting_value_ok(admin))
		return QU_EINVAL;
	struct qu_group_conf *c = &core->groups[admin->group].conf;
	char suffix[QU_AUTH_MAX + 64];
	const char *name = qu_setting_name(admin->setting);
	snprintf(suffix, sizeof(suffix), "%s %lld", name, (long long)admin->num);
	switch (admin->setting) {
	case QU_SET_DOWN_AFTER:
		c->down_after_ms = admin->num;
		break;
	case QU_SET_FAILOVER_TIMEOUT:
		c->failover_timeout_ms = admin->num;
		break;
	case QU_SET_PARALLEL_SYNCS:
		c->parallel_syncs = (uint32_t)admin->num;
		break;
	case QU_SET_QUORUM:
		c->quorum = (uint32_t)admin->num;
		break;
	case QU_SET_AUTH_PASS:
		snprintf(c->auth_pass, sizeof(c->auth_pass), "%s", admin->str);
		snprintf(suffix, sizeof(suffix), "%s ******", name); /* never reveal it */
		break;
	case QU_SET_AUTH_USER:
		snprintf(c->auth_user, sizeof(c->auth_user), "%s", admin->str);
		snprintf(suffix, sizeof(suffix), "%s %s", name, admin->str);
		break;
	case QU_SET_COUNT:
		QU_ASSERT(false);
	}
	if (admin->setting == QU_SET_AUTH_PASS || admin->setting == QU_SET_AUTH_USER)
		relink_group(core, admin->group);
	if (admin->quiet)
		return QU_OK;
	qu_core_event(core, QU_EV_SET, admin->group, QU_NONE, suffix);
	qu_core_emit(core, QU_ACT_PERSIST, admin->group, QU_NONE);
	return QU_OK;
}

/* SENTINEL RESET: forget replicas and peers, clear flags and the failover state (but not our
 * votes: one vote per epoch holds across resets), start the primary afresh, reconnect. */
static int admin_reset(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	drop_replicas(core, group);
	qu_peers_drop_group(core, group);
	g->odown = false;
	g->failover_state = QU_FO_NONE;
	g->failover_retry_at_ms = 0;
	g->promoted = QU_NONE;
	g->forced = false;
	struct qu_node *p = &core->nodes[g->primary];
	struct qu_addr addr = g->conf.addr;
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->group = group;
	p->kind = QU_ROLE_PRIMARY;
	p->addr = addr;
	p->priority = QU_DEFAULT_PRIORITY;
	p->replica_announced = true;
	qu_detect_node_reset(p, core->now_ms);
	qu_core_emit(core, QU_ACT_NODE_ADD, group, g->primary);
	qu_core_event(core, QU_EV_RESET_MASTER, group, QU_NONE, NULL);
	qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
	return QU_OK;
}

static int admin_known_replica(struct qu_core *core, const struct qu_admin *admin)
{
	if (!str_fits(admin->addr.host, sizeof(admin->addr.host)) || admin->addr.host[0] == '\0' ||
	    admin->addr.port == 0)
		return QU_EINVAL;
	if (qu_node_find(core, admin->group, &admin->addr) != QU_NONE)
		return QU_EEXIST;
	if (core->groups[admin->group].replica_count >= QU_REPLICAS_MAX || !has_free_node(core))
		return QU_EFULL;
	uint32_t id = qu_topology_node_add(core, admin->group, QU_ROLE_REPLICA, &admin->addr);
	QU_ASSERT(id != QU_NONE);
	if (!admin->quiet) {
		qu_core_event(core, QU_EV_REPLICA_ADDED, admin->group, id, NULL);
		qu_core_emit(core, QU_ACT_PERSIST, admin->group, QU_NONE);
	}
	return QU_OK;
}

/* Our vote restored from the state file: it must keep binding us after a restart. */
static int admin_vote(struct qu_core *core, const struct qu_admin *admin)
{
	if (admin->num < 0 || !str_fits(admin->str, QU_RUNID_LEN + 1))
		return QU_EINVAL;
	struct qu_group *g = &core->groups[admin->group];
	snprintf(g->leader, sizeof(g->leader), "%s", admin->str);
	g->leader_epoch = (uint64_t)admin->num;
	if (g->leader_epoch > core->current_epoch)
		core->current_epoch = g->leader_epoch;
	return QU_OK;
}

int qu_admin_step(struct qu_core *core, const struct qu_admin *admin)
{
	if (admin->op == QU_ADMIN_MONITOR)
		return admin_monitor(core, admin);
	if (qu_group_at(core, admin->group) == NULL)
		return QU_ENOENT;
	switch (admin->op) {
	case QU_ADMIN_REMOVE:
		return admin_remove(core, admin->group, admin->quiet);
	case QU_ADMIN_SET:
		return admin_set(core, admin);
	case QU_ADMIN_RESET:
		return admin_reset(core, admin->group);
	case QU_ADMIN_KNOWN_REPLICA:
		return admin_known_replica(core, admin);
	case QU_ADMIN_EPOCHS:
		if (admin->num < 0)
			return QU_EINVAL;
		core->groups[admin->group].config_epoch = (uint64_t)admin->num;
		if (core->groups[admin->group].config_epoch > core->current_epoch)
			core->current_epoch = core->groups[admin->group].config_epoch;
		return QU_OK;
	case QU_ADMIN_VOTE:
		return admin_vote(core, admin);
	case QU_ADMIN_FAILOVER:
		return qu_failover_force(core, admin->group);
	case QU_ADMIN_KNOWN_PEER:
		if (!str_fits(admin->str, QU_RUNID_LEN + 1) || strlen(admin->str) != QU_RUNID_LEN ||
		    admin->addr.port == 0 || !str_fits(admin->addr.host, QU_HOST_MAX))
			return QU_EINVAL;
		return qu_peers_restore(core, admin->group, &admin->addr, admin->str);
	case QU_ADMIN_MONITOR:
		break;
	}
	return QU_EINVAL;
}
