// SPDX-License-Identifier: BSD-3-Clause
/*
 * Instance descriptions for SENTINEL MASTER(S), REPLICAS and SENTINELS: the fields, their order,
 * the flag words and failover-state names of Redis Sentinel 7.0 (sentinel-protocol.md §6.3-6.4).
 * It only reads the core's views and the daemon's links; it must never change any state.
 */
#include "cmd_sentinel_internal.h"

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"
#include "link.h"
#include "quorum_wire.h"
#include "resp.h"

static int64_t age(int64_t now, int64_t at)
{
	return at == 0 ? 0 : now - at;
}

/* Field/value pairs: a map in RESP3, a flat array in RESP2; every value a bulk string. */
void sn_cmd_field_str(struct sn_buf *out, const char *key, const char *val)
{
	sn_resp_bulk_str(out, key);
	sn_resp_bulk_str(out, val);
}

void sn_cmd_field_ll(struct sn_buf *out, const char *key, long long val)
{
	sn_resp_bulk_str(out, key);
	sn_resp_bulk_fmt(out, "%lld", val);
}

static const char *const failover_state_wire[] = {
    [QU_FO_NONE] = "none",
    [QU_FO_WAIT_START] = "wait_start",
    [QU_FO_SELECT_REPLICA] = "select_slave",
    [QU_FO_SEND_PROMOTE] = "send_slaveof_noone",
    [QU_FO_WAIT_PROMOTION] = "wait_promotion",
    [QU_FO_RECONF_REPLICAS] = "reconf_slaves",
};

static const char *const reconf_flag_wire[] = {
    [QU_RECONF_NONE] = "",
    [QU_RECONF_SENT] = ",reconf_sent",
    [QU_RECONF_INPROG] = ",reconf_inprog",
    [QU_RECONF_DONE] = ",reconf_done",
};

/* Flags in Sentinel's fixed order (sentinel-protocol.md §6.4). */
static void node_flags(const struct qu_group *g, uint32_t node, const struct qu_node *n, char *buf,
                       size_t size)
{
	bool primary = n->kind == QU_ROLE_PRIMARY;
	bool promoted = g->failover_state != QU_FO_NONE && g->promoted == node;
	snprintf(buf, size, "%s%s%s%s%s%s%s%s", n->probe.sdown ? "s_down," : "",
	         primary && g->odown ? "o_down," : "", primary ? "master" : "slave",
	         n->cmd_up && n->pubsub_up ? "" : ",disconnected",
	         primary && g->failover_state != QU_FO_NONE ? ",failover_in_progress" : "",
	         promoted ? ",promoted" : "", reconf_flag_wire[n->reconf],
	         primary && g->forced && g->failover_state != QU_FO_NONE ? ",force_failover" : "");
}

/* One instance description, fields in Sentinel's order (sentinel-protocol.md §6.3). */
void sn_cmd_describe_node(struct req *r, uint32_t group, uint32_t node)
{
	const struct qu_group *g = qu_group_at(r->d->core, group);
	const struct qu_node *n = qu_node_at(r->d->core, node);
	bool primary = n->kind == QU_ROLE_PRIMARY;
	int64_t now = r->now_ms;
	char name[QU_HOST_MAX + 8];
	char flags[128];
	if (primary)
		snprintf(name, sizeof(name), "%s", g->conf.name);
	else
		qu_wire_node_name(&n->addr, name, sizeof(name));
	node_flags(g, node, n, flags, sizeof(flags));
	bool in_failover = primary && g->failover_state != QU_FO_NONE;
	bool odown = primary && g->odown;
	const struct sn_group_scripts *sc =
	    primary ? sn_conf_group_scripts(&r->d->conf, g->conf.name) : NULL;
	bool has_notification = sc != NULL && sc->notification[0] != '\0';
	bool has_reconfig = sc != NULL && sc->client_reconfig[0] != '\0';
	size_t pairs = 10 + (in_failover ? 1 : 0) + (n->probe.sdown ? 1 : 0) + (odown ? 1 : 0) + 1 +
	               3 + (primary ? 6 : 7) + has_notification + has_reconfig;
	sn_resp_map(r->out, r->proto, pairs);
	sn_cmd_field_str(r->out, "name", name);
	sn_cmd_field_str(r->out, "ip", n->addr.host);
	sn_cmd_field_ll(r->out, "port", n->addr.port);
	sn_cmd_field_str(r->out, "runid", n->has_run_id ? n->run_id : "");
	sn_cmd_field_str(r->out, "flags", flags);
	sn_cmd_field_ll(r->out, "link-pending-commands", sn_links_pending(&r->d->links, node));
	sn_cmd_field_ll(r->out, "link-refcount", 1);
	if (in_failover)
		sn_cmd_field_str(r->out, "failover-state", failover_state_wire[g->failover_state]);
	sn_cmd_field_ll(r->out, "last-ping-sent", age(now, n->probe.ping_pending_since_ms));
	sn_cmd_field_ll(r->out, "last-ok-ping-reply", age(now, n->probe.ping_ok_at_ms));
	sn_cmd_field_ll(r->out, "last-ping-reply",
	                age(now, n->probe.ping_reply_at_ms != 0 ? n->probe.ping_reply_at_ms
	                                                        : n->probe.ping_ok_at_ms));
	if (n->probe.sdown)
		sn_cmd_field_ll(r->out, "s-down-time", now - n->probe.sdown_since_ms);
	if (odown)
		sn_cmd_field_ll(r->out, "o-down-time", now - g->odown_since_ms);
	sn_cmd_field_ll(r->out, "down-after-milliseconds", g->conf.down_after_ms);
	sn_cmd_field_ll(r->out, "info-refresh", age(now, n->info_at_ms));
	sn_cmd_field_str(r->out, "role-reported",
	                 n->role_reported == QU_ROLE_REPLICA ? "slave" : "master");
	sn_cmd_field_ll(r->out, "role-reported-time", now - n->role_reported_at_ms);
	if (primary) {
		sn_cmd_field_ll(r->out, "config-epoch", (long long)g->config_epoch);
		sn_cmd_field_ll(r->out, "num-slaves", g->replica_count);
		sn_cmd_field_ll(r->out, "num-other-sentinels", g->peer_count);
		sn_cmd_field_ll(r->out, "quorum", g->conf.quorum);
		sn_cmd_field_ll(r->out, "failover-timeout", g->conf.failover_timeout_ms);
		sn_cmd_field_ll(r->out, "parallel-syncs", g->conf.parallel_syncs);
		if (has_notification)
			sn_cmd_field_str(r->out, "notification-script", sc->notification);
		if (has_reconfig)
			sn_cmd_field_str(r->out, "client-reconfig-script", sc->client_reconfig);
		return;
	}
	sn_cmd_field_ll(r->out, "master-link-down-time", n->primary_link_down_ms);
	sn_cmd_field_str(r->out, "master-link-status", n->primary_link_up ? "ok" : "err");
	sn_cmd_field_str(r->out, "master-host", n->has_primary ? n->reported_primary.host : "?");
	sn_cmd_field_ll(r->out, "master-port", n->has_primary ? n->reported_primary.port : 0);
	sn_cmd_field_ll(r->out, "slave-priority", n->priority);
	sn_cmd_field_ll(r->out, "slave-repl-offset", n->repl_offset);
	sn_cmd_field_ll(r->out, "replica-announced", n->replica_announced ? 1 : 0);
}

/* One other watcher as a group sees it (sentinel-protocol.md §6.3, sentinel kind). */
void sn_cmd_describe_peer(struct req *r, const struct qu_group *g, const struct qu_peer *p)
{
	const struct qu_watcher *w = qu_watcher_at(r->d->core, p->watcher);
	uint32_t endpoint = qu_watcher_endpoint(r->d->core, p->watcher);
	int64_t now = r->now_ms;
	char flags[128];
	snprintf(flags, sizeof(flags), "%ssentinel%s%s", w->probe.sdown ? "s_down," : "",
	         w->cmd_up ? "" : ",disconnected", p->primary_down ? ",master_down" : "");
	size_t pairs = 10 + (w->probe.sdown ? 1 : 0) + 1 + 3;
	sn_resp_map(r->out, r->proto, pairs);
	sn_cmd_field_str(r->out, "name", w->runid);
	sn_cmd_field_str(r->out, "ip", w->addr.host);
	sn_cmd_field_ll(r->out, "port", w->addr.port);
	sn_cmd_field_str(r->out, "runid", w->runid);
	sn_cmd_field_str(r->out, "flags", flags);
	sn_cmd_field_ll(r->out, "link-pending-commands", sn_links_pending(&r->d->links, endpoint));
	sn_cmd_field_ll(r->out, "link-refcount", w->refs);
	sn_cmd_field_ll(r->out, "last-ping-sent", age(now, w->probe.ping_pending_since_ms));
	sn_cmd_field_ll(r->out, "last-ok-ping-reply", age(now, w->probe.ping_ok_at_ms));
	sn_cmd_field_ll(r->out, "last-ping-reply",
	                age(now, w->probe.ping_reply_at_ms != 0 ? w->probe.ping_reply_at_ms
	                                                        : w->probe.ping_ok_at_ms));
	if (w->probe.sdown)
		sn_cmd_field_ll(r->out, "s-down-time", now - w->probe.sdown_since_ms);
	sn_cmd_field_ll(r->out, "down-after-milliseconds", g->conf.down_after_ms);
	sn_cmd_field_ll(r->out, "last-hello-message", age(now, p->hello_at_ms));
	sn_cmd_field_str(r->out, "voted-leader", p->leader[0] != '\0' ? p->leader : "?");
	sn_cmd_field_ll(r->out, "voted-leader-epoch", (long long)p->leader_epoch);
}
