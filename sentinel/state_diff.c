// SPDX-License-Identifier: BSD-3-Clause
/*
 * The state file against the config file: apply (config + state -> the effective groups and
 * global values to start with) and capture (live core and CONFIG SET values - config -> state).
 * Pure and I/O-free: it reads the core through quorum.h only and never changes it.
 */
#include "state.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quorum.h"

#include "state_internal.h"

/* ---- apply: config + state -> effective groups ---- */

static const struct sn_state_group *state_group(const struct sn_state *st, const char *name)
{
	for (size_t i = 0; i < st->group_count; i++)
		if (strcmp(st->groups[i].name, name) == 0)
			return &st->groups[i];
	return NULL;
}

/* The conf a "monitor" record stands for, before its set records. */
static void runtime_base(const struct sn_state_group *sg, struct qu_group_conf *c)
{
	sn_conf_group_defaults(c);
	memcpy(c->name, sg->name, sizeof(c->name));
	c->addr = sg->monitor_addr;
	c->quorum = sg->monitor_quorum;
}

/* A malloc'd copy of count items of size bytes at src (NULL and 0 items when count is 0). */
static int copy_items(void **dst, const void *src, size_t count, size_t size)
{
	*dst = NULL;
	if (count == 0)
		return 0;
	*dst = malloc(count * size);
	if (*dst == NULL)
		return -ENOMEM;
	memcpy(*dst, src, count * size);
	return 0;
}

/* Add an effective group from base, with the state's records about it (sg may be NULL). */
static int eff_add(struct sn_effective *eff, const struct qu_group_conf *base,
                   const struct sn_state_group *sg)
{
	struct sn_eff_group *e = &eff->groups[eff->group_count++];
	memset(e, 0, sizeof(*e));
	e->conf = *base;
	if (sg == NULL)
		return 0;
	for (int s = 0; s < (int)QU_SET_COUNT; s++)
		if (sg->set_mask & (1u << s))
			sn_state_setting_copy(&e->conf, &sg->set, (enum qu_setting)s);
	if (sg->has_address)
		e->conf.addr = sg->address;
	e->runtime = sg->monitor;
	e->config_epoch = sg->config_epoch;
	if (sg->has_leader) {
		memcpy(e->leader, sg->leader, sizeof(e->leader));
		e->leader_epoch = sg->leader_epoch;
	}
	void *replicas = NULL;
	void *peers = NULL;
	int rc = copy_items(&replicas, sg->replicas, sg->replica_count, sizeof(*e->replicas));
	if (rc == 0)
		rc = copy_items(&peers, sg->peers, sg->peer_count, sizeof(*e->peers));
	e->replicas = replicas; /* freed by sn_effective_free, even on error */
	e->replica_count = replicas != NULL ? sg->replica_count : 0;
	e->peers = peers;
	e->peer_count = peers != NULL ? sg->peer_count : 0;
	return rc;
}

/* The largest epoch the file mentions, of any group: the core must never start behind it. */
static uint64_t max_epoch(const struct sn_state *st)
{
	uint64_t epoch = st->current_epoch;
	for (size_t i = 0; i < st->group_count; i++) {
		const struct sn_state_group *sg = &st->groups[i];
		if (sg->has_config_epoch && sg->config_epoch > epoch)
			epoch = sg->config_epoch;
		if (sg->has_leader && sg->leader_epoch > epoch)
			epoch = sg->leader_epoch;
	}
	return epoch;
}

static int apply_groups(const struct sn_conf *conf, const struct sn_state *st,
                        struct sn_effective *out, struct sn_err *err)
{
	for (size_t i = 0; i < conf->group_count; i++) {
		const struct sn_state_group *sg = state_group(st, conf->groups[i].name);
		if (sg != NULL && sg->monitor) {
			sn_err_set(err,
			           "monitor \"%s\": the config file defines this group too; "
			           "remove it from one of them",
			           sg->name);
			return -EINVAL;
		}
		if (sg != NULL && sg->remove)
			continue;
		if (eff_add(out, &conf->groups[i], sg) != 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < st->group_count; i++) {
		const struct sn_state_group *sg = &st->groups[i];
		struct qu_group_conf base;
		if (!sg->monitor) {
			out->ignored_count += sn_conf_group(conf, sg->name) == NULL;
			continue;
		}
		runtime_base(sg, &base);
		if (eff_add(out, &base, sg) != 0)
			return -ENOMEM;
	}
	return 0;
}

int sn_state_apply(const struct sn_conf *conf, const struct sn_state *st, struct sn_effective *out,
                   struct sn_err *err)
{
	memset(out, 0, sizeof(*out));
	size_t cap = conf->group_count;
	for (size_t i = 0; i < st->group_count; i++)
		cap += st->groups[i].monitor;
	out->current_epoch = max_epoch(st);
	out->groups = calloc(cap != 0 ? cap : 1, sizeof(*out->groups));
	int rc = out->groups != NULL ? apply_groups(conf, st, out, err) : -ENOMEM;
	if (rc == -ENOMEM)
		sn_err_set(err, "state: out of memory");
	if (rc != 0)
		sn_effective_free(out);
	return rc;
}

void sn_effective_free(struct sn_effective *eff)
{
	if (eff == NULL)
		return;
	for (size_t i = 0; eff->groups != NULL && i < eff->group_count; i++) {
		free(eff->groups[i].replicas);
		free(eff->groups[i].peers);
	}
	free(eff->groups);
	memset(eff, 0, sizeof(*eff));
}

void sn_state_apply_globals(const struct sn_state *st, struct sn_conf *conf)
{
	if (st->has_announce_ip)
		snprintf(conf->announce_ip, sizeof(conf->announce_ip), "%s", st->announce_ip);
	if (st->has_announce_port)
		conf->announce_port = st->announce_port;
}

/* ---- capture: live core - config -> state ---- */

static int capture_push(struct sn_state *st, size_t *cap, const char *name,
                        struct sn_state_group **out)
{
	int rc = sn_state_groups_reserve(st, cap);
	if (rc != 0)
		return rc;
	struct sn_state_group *g = &st->groups[st->group_count++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	*out = g;
	return 0;
}

static int capture_replicas(const struct qu_core *core, const struct qu_group *grp,
                            struct sn_state_group *sg)
{
	uint32_t n = grp->replica_count < QU_REPLICAS_MAX ? grp->replica_count : QU_REPLICAS_MAX;
	if (n == 0)
		return 0;
	sg->replicas = malloc(n * sizeof(*sg->replicas));
	if (sg->replicas == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct qu_node *node = qu_node_at(core, grp->replicas[i]);
		if (node != NULL)
			sg->replicas[sg->replica_count++] = node->addr;
	}
	return 0;
}

/*
 * Our vote. Never drop it: a leader encode would refuse becomes "*" (the epoch still binds us),
 * an epoch beyond QU_ADMIN_VOTE's int64_t becomes INT64_MAX (no IS-MASTER-DOWN-BY-ADDR can name
 * a larger one, and our own elections start above current-epoch, which keeps the exact value).
 */
static void capture_vote(const struct qu_group *grp, struct sn_state_group *sg)
{
	if (grp->leader[0] == '\0')
		return;
	sg->has_leader = true;
	const char *leader = sn_state_is_runid(grp->leader) ? grp->leader : "*";
	snprintf(sg->leader, sizeof(sg->leader), "%s", leader);
	sg->leader_epoch = grp->leader_epoch > INT64_MAX ? INT64_MAX : grp->leader_epoch;
}

/* Whether w may follow the peers captured so far: valid, and no runid or address twice. */
static bool peer_is_writable(const struct sn_state_group *sg, const struct qu_watcher *w)
{
	size_t host_len = strnlen(w->addr.host, sizeof(w->addr.host));
	if (!sn_state_is_runid(w->runid) || host_len == 0 || host_len >= sizeof(w->addr.host) ||
	    w->addr.port == 0)
		return false;
	for (size_t i = 0; i < sg->peer_count; i++)
		if (strcmp(sg->peers[i].runid, w->runid) == 0 ||
		    sn_state_addr_equal(&sg->peers[i].addr, &w->addr))
			return false;
	return true;
}

static int capture_peers(const struct qu_core *core, const struct qu_group *grp,
                         struct sn_state_group *sg)
{
	uint32_t n = grp->peer_count < QU_PEERS_MAX ? grp->peer_count : QU_PEERS_MAX;
	if (n == 0)
		return 0;
	sg->peers = malloc(n * sizeof(*sg->peers));
	if (sg->peers == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct qu_watcher *w = qu_watcher_at(core, grp->peers[i].watcher);
		if (w == NULL || !peer_is_writable(sg, w))
			continue;
		struct sn_state_peer *p = &sg->peers[sg->peer_count++];
		memset(p, 0, sizeof(*p));
		p->addr = w->addr;
		memcpy(p->runid, w->runid, sizeof(p->runid));
	}
	return 0;
}

static int capture_group(const struct qu_core *core, const struct sn_conf *conf,
                         const struct qu_group *grp, struct sn_state_group *sg)
{
	const struct qu_group_conf *cg = sn_conf_group(conf, grp->conf.name);
	struct qu_group_conf base;
	if (cg == NULL) {
		sg->monitor = true;
		sg->monitor_addr = grp->conf.addr;
		sg->monitor_quorum = grp->conf.quorum;
		runtime_base(sg, &base);
	} else {
		base = *cg;
		sg->has_address = !sn_state_addr_equal(&grp->conf.addr, &cg->addr);
		if (sg->has_address)
			sg->address = grp->conf.addr;
	}
	for (int s = 0; s < (int)QU_SET_COUNT; s++) {
		if (sn_state_setting_equal(&grp->conf, &base, (enum qu_setting)s))
			continue;
		sg->set_mask |= 1u << s;
		sn_state_setting_copy(&sg->set, &grp->conf, (enum qu_setting)s);
	}
	sg->has_config_epoch = true;
	sg->config_epoch = grp->config_epoch;
	capture_vote(grp, sg);
	int rc = capture_replicas(core, grp, sg);
	return rc != 0 ? rc : capture_peers(core, grp, sg);
}

static int capture_all(const struct qu_core *core, const struct sn_conf *conf, struct sn_state *out)
{
	size_t cap = 0;
	struct sn_state_group *sg;
	for (uint32_t g = 0; g < qu_groups_max(core); g++) {
		const struct qu_group *grp = qu_group_at(core, g);
		if (grp == NULL)
			continue;
		int rc = capture_push(out, &cap, grp->conf.name, &sg);
		if (rc == 0)
			rc = capture_group(core, conf, grp, sg);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < conf->group_count; i++) {
		if (qu_group_find(core, conf->groups[i].name) != QU_NONE)
			continue;
		int rc = capture_push(out, &cap, conf->groups[i].name, &sg);
		if (rc != 0)
			return rc;
		sg->remove = true;
	}
	return 0;
}

/* SENTINEL CONFIG SET values that differ from the config file (redis sentinelConfigSetCommand). */
static void capture_globals(const struct sn_conf *file_conf, const struct sn_conf *live,
                            struct sn_state *out)
{
	/* An IP the decoder refuses would make every later write fail, epochs and votes too. */
	out->has_announce_ip = strcmp(live->announce_ip, file_conf->announce_ip) != 0 &&
	                       sn_state_is_announce_ip(live->announce_ip);
	if (out->has_announce_ip)
		snprintf(out->announce_ip, sizeof(out->announce_ip), "%s", live->announce_ip);
	out->has_announce_port = live->announce_port != file_conf->announce_port;
	out->announce_port = out->has_announce_port ? live->announce_port : 0;
}

int sn_state_capture_live(const struct qu_core *core, const struct sn_conf *file_conf,
                          const struct sn_conf *live, struct sn_state *out)
{
	memset(out, 0, sizeof(*out));
	const char *id = qu_myid(core);
	out->has_myid = id != NULL && id[0] != '\0';
	if (out->has_myid)
		snprintf(out->myid, sizeof(out->myid), "%s", id);
	out->current_epoch = qu_current_epoch(core);
	capture_globals(file_conf, live, out);
	int rc = capture_all(core, file_conf, out);
	if (rc != 0)
		sn_state_free(out);
	return rc;
}

int sn_state_capture(const struct qu_core *core, const struct sn_conf *conf, struct sn_state *out)
{
	return sn_state_capture_live(core, conf, conf, out);
}
