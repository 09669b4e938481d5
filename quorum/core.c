// SPDX-License-Identifier: BSD-3-Clause
/*
 * Core life cycle, the qu_step() dispatcher (the only switch on input kind), the outbox, lookups
 * and the event table. Nothing here reads a clock or touches I/O: time arrives in every input.
 */
#include "internal.h"


static const struct {
	const char *wire;
	enum qu_level level;
} event_table[QU_EV_COUNT] = {
#define QU_EVENT_ROW(code, name, lvl) [QU_EV_##code] = {.wire = name, .level = QU_LEVEL_##lvl},
	QU_EVENTS(QU_EVENT_ROW)
#undef QU_EVENT_ROW
};

static const char *const setting_table[QU_SET_COUNT] = {
#define QU_SETTING_ROW(code, name) [QU_SET_##code] = name,
	QU_SETTINGS(QU_SETTING_ROW)
#undef QU_SETTING_ROW
};

static size_t align8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

static bool limits_ok(const struct qu_limits *limits)
{
	return limits->groups_max > 0 && limits->groups_max <= QU_GROUPS_LIMIT &&
	       limits->nodes_max > 0 && limits->nodes_max <= QU_NODES_LIMIT &&
	       limits->watchers_max <= QU_NODES_LIMIT;
}

static uint32_t outbox_capacity(const struct qu_limits *limits)
{
	return limits->nodes_max * QU_ACTIONS_PER_NODE + limits->watchers_max * 2u +
	       limits->groups_max * (QU_PEERS_MAX * QU_ACTIONS_PER_PEER + 16u) + QU_ACTIONS_EXTRA;
}

size_t qu_core_size(const struct qu_limits *limits)
{
	if (!limits_ok(limits))
		return 0;
	return align8(sizeof(struct qu_core)) +
	       align8(sizeof(struct qu_group) * limits->groups_max) +
	       align8(sizeof(struct qu_node) * limits->nodes_max) +
	       align8(sizeof(struct qu_watcher) * limits->watchers_max) +
	       align8(sizeof(struct qu_action) * outbox_capacity(limits));
}

struct qu_core *qu_core_init(void *mem, const struct qu_params *params)
{
	if (mem == NULL || !limits_ok(&params->limits))
		return NULL;
	char *p = mem;
	struct qu_core *core = mem;
	memset(core, 0, sizeof(*core));
	p += align8(sizeof(*core));
	core->limits = params->limits;
	core->groups = (struct qu_group *)(void *)p;
	p += align8(sizeof(struct qu_group) * params->limits.groups_max);
	core->nodes = (struct qu_node *)(void *)p;
	p += align8(sizeof(struct qu_node) * params->limits.nodes_max);
	core->watchers = (struct qu_watcher *)(void *)p;
	p += align8(sizeof(struct qu_watcher) * params->limits.watchers_max);
	core->outbox = (struct qu_action *)(void *)p;
	core->outbox_max = outbox_capacity(&params->limits);
	memset(core->groups, 0, sizeof(struct qu_group) * params->limits.groups_max);
	memset(core->nodes, 0, sizeof(struct qu_node) * params->limits.nodes_max);
	memset(core->watchers, 0, sizeof(struct qu_watcher) * params->limits.watchers_max);
	core->prng = params->seed;
	core->current_epoch = params->current_epoch;
	memcpy(core->myid, params->myid, sizeof(core->myid));
	core->myid[QU_RUNID_LEN] = '\0';
	return core;
}

static bool node_input_ok(const struct qu_core *core, const struct qu_input *in)
{
	return in->node < core->limits.nodes_max && core->nodes[in->node].used;
}

/* Watcher index of an endpoint id, or QU_NONE when it names no live watcher. */
static uint32_t watcher_of(const struct qu_core *core, uint32_t endpoint)
{
	if (endpoint < core->limits.nodes_max)
		return QU_NONE;
	uint32_t w = endpoint - core->limits.nodes_max;
	if (w >= core->limits.watchers_max || !core->watchers[w].used)
		return QU_NONE;
	return w;
}

static int step_link(struct qu_core *core, const struct qu_input *in)
{
	uint32_t w = watcher_of(core, in->node);
	if (w != QU_NONE) {
		qu_peers_on_link(core, w, in->u.link.up);
		return QU_OK;
	}
	if (!node_input_ok(core, in))
		return QU_ENOENT;
	qu_detect_on_link(core, in->node, in->u.link.which, in->u.link.up);
	return QU_OK;
}

static int step_ping(struct qu_core *core, const struct qu_input *in)
{
	uint32_t w = watcher_of(core, in->node);
	if (w != QU_NONE) {
		qu_peers_on_ping(core, w, in->u.ping.valid);
		return QU_OK;
	}
	if (!node_input_ok(core, in))
		return QU_ENOENT;
	qu_detect_on_ping(core, in->node, in->u.ping.valid);
	return QU_OK;
}

static int step_hello_sent(struct qu_core *core, const struct qu_input *in, uint32_t group)
{
	uint32_t w = watcher_of(core, in->node);
	if (w == QU_NONE) {
		if (!node_input_ok(core, in))
			return QU_ENOENT;
		core->nodes[in->node].hello_sent_at_ms = core->now_ms;
		return QU_OK;
	}
	const struct qu_group *g = qu_group_at(core, group);
	for (uint32_t i = 0; g != NULL && i < g->peer_count; i++)
		if (g->peers[i].watcher == w)
			core->groups[group].peers[i].hello_sent_at_ms = core->now_ms;
	return QU_OK;
}

int qu_step(struct qu_core *core, const struct qu_input *in)
{
	/* The shell drains the outbox after every step; a leftover is a shell bug. */
	QU_ASSERT(core->outbox_pos == core->outbox_len);
	core->outbox_len = 0;
	core->outbox_pos = 0;
	/* Time never goes backwards inside the core, whatever the shell feeds. */
	if (in->now_ms > core->now_ms)
		core->now_ms = in->now_ms;
	core->persist_queued = false;

	switch (in->kind) {
	case QU_IN_TICK:
		qu_detect_tick(core);
		return QU_OK;
	case QU_IN_LINK:
		return step_link(core, in);
	case QU_IN_PING_REPLY:
		return step_ping(core, in);
	case QU_IN_INFO_REPLY:
		if (!node_input_ok(core, in))
			return QU_ENOENT;
		if (in->u.info == NULL)
			return QU_EINVAL;
		qu_topology_on_info(core, in->node, in->u.info);
		return QU_OK;
	case QU_IN_PUBSUB_ACTIVITY:
		if (!node_input_ok(core, in))
			return QU_ENOENT;
		core->nodes[in->node].pubsub_activity_at_ms = core->now_ms;
		return QU_OK;
	case QU_IN_HELLO_SENT:
		return step_hello_sent(core, in, in->u.hello_sent.group);
	case QU_IN_ADMIN:
		return qu_admin_step(core, &in->u.admin);
	case QU_IN_HELLO:
		if (in->u.hello == NULL)
			return QU_EINVAL;
		return qu_peers_on_hello(core, in->u.hello);
	case QU_IN_VOTE_REQUEST:
		if (!qu_vote_request_ok(&in->u.vote_request))
			return QU_EINVAL;
		qu_vote_on_request(core, &in->u.vote_request);
		return QU_OK;
	case QU_IN_VOTE_REPLY: {
		uint32_t w = watcher_of(core, in->node);
		if (w == QU_NONE)
			return QU_ENOENT;
		return qu_vote_on_reply(core, w, &in->u.vote_reply);
	}
	case QU_IN_PERSIST_FAILED:
		qu_vote_persist_failed(core);
		return QU_OK;
	case QU_IN_STALL:
		qu_detect_stall(core);
		return QU_OK;
	}
	return QU_EINVAL;
}

const struct qu_action *qu_action_next(struct qu_core *core)
{
	if (core->outbox_pos == core->outbox_len) {
		core->outbox_pos = 0;
		core->outbox_len = 0;
		return NULL;
	}
	return &core->outbox[core->outbox_pos++];
}

struct qu_action *qu_core_emit(struct qu_core *core, enum qu_action_kind kind, uint32_t group,
			       uint32_t node)
{
	/* Sized from the limits for the worst case of one step: a full outbox is a bug. */
	QU_ASSERT(core->outbox_len < core->outbox_max);
	/* One PERSIST covers every change up to the next action that reveals state: the shell
	 * captures the whole state when it executes it. */
	if (kind == QU_ACT_PERSIST && core->persist_queued && core->outbox_len > 0)
		return &core->outbox[core->outbox_len - 1];
	if (kind == QU_ACT_PERSIST)
		core->persist_queued = true;
	else if (kind == QU_ACT_SEND_ASK || kind == QU_ACT_VOTE_REPLY ||
		 kind == QU_ACT_SEND_HELLO || kind == QU_ACT_ELECTED)
		core->persist_queued = false;
	struct qu_action *a = &core->outbox[core->outbox_len++];
	a->kind = kind;
	a->group = group;
	a->node = node;
	a->link = QU_LINK_CMD;
	a->event = QU_EV_COUNT;
	a->flag = false;
	a->epoch = 0;
	a->runid[0] = '\0';
	a->text[0] = '\0';
	return a;
}

void qu_core_event(struct qu_core *core, enum qu_event ev, uint32_t group, uint32_t node,
		   const char *suffix)
{
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, group, node);
	a->event = ev;
	if (node != QU_NONE || group != QU_NONE)
		qu_wire_details(core, group, node, a->text, sizeof(a->text));
	if (suffix != NULL) {
		size_t len = strlen(a->text);
		snprintf(a->text + len, sizeof(a->text) - len, "%s%s", len > 0 ? " " : "", suffix);
	}
}

const struct qu_group *qu_group_at(const struct qu_core *core, uint32_t group)
{
	if (group >= core->limits.groups_max || !core->groups[group].used)
		return NULL;
	return &core->groups[group];
}

const struct qu_node *qu_node_at(const struct qu_core *core, uint32_t node)
{
	if (node >= core->limits.nodes_max || !core->nodes[node].used)
		return NULL;
	return &core->nodes[node];
}

const struct qu_watcher *qu_watcher_at(const struct qu_core *core, uint32_t watcher)
{
	if (watcher >= core->limits.watchers_max || !core->watchers[watcher].used)
		return NULL;
	return &core->watchers[watcher];
}

uint32_t qu_watchers_max(const struct qu_core *core)
{
	return core->limits.watchers_max;
}

uint32_t qu_watcher_endpoint(const struct qu_core *core, uint32_t watcher)
{
	return core->limits.nodes_max + watcher;
}

uint32_t qu_groups_max(const struct qu_core *core)
{
	return core->limits.groups_max;
}

uint32_t qu_nodes_max(const struct qu_core *core)
{
	return core->limits.nodes_max;
}

uint32_t qu_group_find(const struct qu_core *core, const char *name)
{
	for (uint32_t g = 0; g < core->limits.groups_max; g++)
		if (core->groups[g].used && strcmp(core->groups[g].conf.name, name) == 0)
			return g;
	return QU_NONE;
}

uint32_t qu_node_find(const struct qu_core *core, uint32_t group, const struct qu_addr *addr)
{
	const struct qu_group *g = qu_group_at(core, group);
	if (g == NULL)
		return QU_NONE;
	if (qu_addr_equal(&core->nodes[g->primary].addr, addr))
		return g->primary;
	for (uint32_t i = 0; i < g->replica_count; i++)
		if (qu_addr_equal(&core->nodes[g->replicas[i]].addr, addr))
			return g->replicas[i];
	return QU_NONE;
}

const char *qu_myid(const struct qu_core *core)
{
	return core->myid;
}

bool qu_in_tilt(const struct qu_core *core, int64_t *since_ms)
{
	if (since_ms != NULL)
		*since_ms = core->tilt ? core->tilt_since_ms : 0;
	return core->tilt;
}

uint64_t qu_current_epoch(const struct qu_core *core)
{
	return core->current_epoch;
}

const char *qu_event_name(enum qu_event ev)
{
	if ((unsigned)ev >= QU_EV_COUNT)
		return "?";
	return event_table[ev].wire;
}

enum qu_level qu_event_level(enum qu_event ev)
{
	if ((unsigned)ev >= QU_EV_COUNT)
		return QU_LEVEL_W;
	return event_table[ev].level;
}

const char *qu_setting_name(enum qu_setting s)
{
	if ((unsigned)s >= QU_SET_COUNT)
		return "?";
	return setting_table[s];
}

int qu_setting_from_name(const char *name)
{
	for (int s = 0; s < (int)QU_SET_COUNT; s++)
		if (strcasecmp(name, setting_table[s]) == 0)
			return s;
	return -1;
}

int64_t qu_next_deadline_ms(const struct qu_core *core)
{
	int64_t next = INT64_MAX;
	for (uint32_t i = 0; i < core->limits.nodes_max; i++) {
		const struct qu_node *n = &core->nodes[i];
		if (!n->used)
			continue;
		int64_t at = qu_probe_deadline(&n->probe, core->groups[n->group].conf.down_after_ms,
					       n->cmd_up && n->pubsub_up);
		if (at < next)
			next = at;
	}
	for (uint32_t g = 0; g < core->limits.groups_max; g++) {
		if (!core->groups[g].used)
			continue;
		int64_t at = qu_vote_deadline(core, g);
		if (at < next)
			next = at;
	}
	return next;
}
