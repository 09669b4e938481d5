// SPDX-License-Identifier: BSD-3-Clause
/*
 * The action executors: each core action becomes I/O (link commands, hello publishes, the
 * promotion transaction, event publishes and scripts) or the reply to a pending vote request.
 * It translates only: it must never decide anything or call qu_step().
 */
#include "daemon_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "link.h"
#include "log.h"
#include "quorum_wire.h"
#include "script.h"
#include "server.h"

static const enum sn_log_level level_of_event[] = {
    [QU_LEVEL_D] = SN_LOG_DEBUG,
    [QU_LEVEL_V] = SN_LOG_VERBOSE,
    [QU_LEVEL_N] = SN_LOG_NOTICE,
    [QU_LEVEL_W] = SN_LOG_WARNING,
};

static int64_t reply_timeout_ms(const struct qu_group *g)
{
	/* Long enough for a slow INFO, short enough that a hung node is re-dialled well before
	 * anyone would wait on it; SDOWN does not depend on it (the ping clock survives relinks).
	 */
	int64_t t = g->conf.down_after_ms;
	if (t < 1000)
		t = 1000;
	if (t > 30000)
		t = 30000;
	return t;
}

static bool is_watcher(const struct sn_daemon *d, uint32_t endpoint)
{
	return endpoint >= qu_nodes_max(d->core);
}

/* Other watchers get a command link only, authenticated with our own requirepass as Sentinel
 * does when no sentinel-pass is set (all watchers of an ensemble share one password). */
static void exec_watcher_add(struct sn_daemon *d, uint32_t endpoint)
{
	const struct qu_watcher *w = qu_watcher_at(d->core, endpoint - qu_nodes_max(d->core));
	if (w == NULL)
		return;
	sn_links_close(&d->links, endpoint);
	int rc = sn_links_open_cmd(&d->links, endpoint, &w->addr, "", d->conf.requirepass, 5000);
	if (rc != 0)
		sn_log(SN_LOG_WARNING, "event=link-open-failed watcher=%s addr=%s:%u err=%d",
		       w->runid, w->addr.host, (unsigned)w->addr.port, rc);
}

static void exec_node_add(struct sn_daemon *d, const struct qu_action *a)
{
	if (is_watcher(d, a->node)) {
		exec_watcher_add(d, a->node);
		return;
	}
	const struct qu_node *n = qu_node_at(d->core, a->node);
	const struct qu_group *g = qu_group_at(d->core, a->group);
	if (n == NULL || g == NULL)
		return;
	sn_links_close(&d->links, a->node);
	int rc = sn_links_open(&d->links, a->node, &n->addr, g->conf.auth_user, g->conf.auth_pass,
	                       reply_timeout_ms(g));
	if (rc != 0)
		sn_log(SN_LOG_WARNING, "event=link-open-failed group=%s node=%s:%u err=%d",
		       g->conf.name, n->addr.host, (unsigned)n->addr.port, rc);
}

static void exec_node_del(struct sn_daemon *d, uint32_t node)
{
	sn_links_close(&d->links, node);
	if (is_watcher(d, node))
		return;
	struct sn_node_cache *c = &d->cache[node];
	free(c->info);
	memset(c, 0, sizeof(*c));
}

/* The core rendered the hello's state fields; we add our address as seen on that link. */
static void exec_hello(struct sn_daemon *d, const struct qu_action *a)
{
	char ip[QU_HOST_MAX];
	if (d->live.announce_ip[0] != '\0')
		snprintf(ip, sizeof(ip), "%s", d->live.announce_ip);
	else
		sn_links_local_ip(&d->links, a->node, ip, sizeof(ip));
	if (ip[0] == '\0')
		return; /* not connected: the core retries on a later tick */
	unsigned port = d->live.announce_port != 0 ? d->live.announce_port : d->conf.port;
	char payload[QU_TEXT_MAX + QU_HOST_MAX + 16];
	int n = snprintf(payload, sizeof(payload), "%s,%u,%s", ip, port, a->text);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return;
	/* A failed send is retried: the core re-sends until a publish is acknowledged. The tag
	 * tells which group's hello a watcher acknowledged. */
	int rc = sn_links_publish(&d->links, a->node, QU_HELLO_CHANNEL, payload, a->group);
	if (rc != 0)
		sn_log(SN_LOG_DEBUG, "event=hello-not-sent node=%u rc=%d", a->node, rc);
}

/* The scripts of a group from the config file; NULL for others (SENTINEL MONITOR adds none). */
static const struct sn_group_scripts *group_scripts(const struct sn_daemon *d, uint32_t group)
{
	const struct qu_group *g = qu_group_at(d->core, group);
	return g != NULL ? sn_conf_group_scripts(&d->conf, g->conf.name) : NULL;
}

/*
 * client-reconfig-script on a switch: "leader" on the watcher that promoted the replica (the core
 * flags that event), "observer" on the others (§7). The from/to addresses are
 * fields 1..4 of the +switch-master payload "<name> <old-ip> <old-port> <new-ip> <new-port>".
 */
static void run_reconfig_script(struct sn_daemon *d, const struct qu_action *a)
{
	const struct sn_group_scripts *sc = group_scripts(d, a->group);
	const struct qu_group *g = qu_group_at(d->core, a->group);
	if (sc == NULL || g == NULL || sc->client_reconfig[0] == '\0')
		return;
	struct qu_addr from, to;
	unsigned from_port, to_port;
	char name[QU_NAME_MAX];
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	if (sscanf(a->text, "%127s %255s %u %255s %u", name, from.host, &from_port, to.host,
	           &to_port) != 5 ||
	    from_port > 65535 || to_port > 65535)
		return;
	from.port = (uint16_t)from_port;
	to.port = (uint16_t)to_port;
	enum sn_script_role role = a->flag ? SN_SCRIPT_LEADER : SN_SCRIPT_OBSERVER;
	if (sn_scripts_reconfig(&d->scripts, sc->client_reconfig, g->conf.name, role, &from, &to) !=
	    0)
		sn_log(SN_LOG_WARNING, "event=script-not-queued path=%s", sc->client_reconfig);
}

static void exec_event(struct sn_daemon *d, const struct qu_action *a)
{
	enum qu_level level = qu_event_level(a->event);
	const char *name = qu_event_name(a->event);
	sn_log(level_of_event[level], "event=%s %s", name, a->text);
	/* Debug-level events are logged, never published (sentinel-protocol.md §7). */
	if (level != QU_LEVEL_D)
		sn_server_publish(&d->server, name, a->text, strlen(a->text));
	/* A warning about an instance runs its primary's notification-script (§7). */
	const struct sn_group_scripts *sc = level == QU_LEVEL_W ? group_scripts(d, a->group) : NULL;
	if (sc != NULL && sn_scripts_notify(&d->scripts, sc->notification, name, a->text) != 0)
		sn_log(SN_LOG_WARNING, "event=script-not-queued path=%s", sc->notification);
	if (a->event == QU_EV_SWITCH_MASTER)
		run_reconfig_script(d, a);
}

static void exec_ask(struct sn_daemon *d, const struct qu_action *a)
{
	const struct qu_group *g = qu_group_at(d->core, a->group);
	if (g == NULL)
		return;
	char port[8], epoch[24];
	snprintf(port, sizeof(port), "%u", (unsigned)g->conf.addr.port);
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)a->epoch);
	const char *argv[6] = {"SENTINEL", "is-master-down-by-addr", g->conf.addr.host, port, epoch,
	                       a->runid};
	if (sn_links_command(&d->links, a->node, a->group, 6, argv) != 0)
		sn_log(SN_LOG_DEBUG, "event=ask-not-sent endpoint=%u", a->node);
}

/* The promotion / repoint transaction, replies ignored (success is judged from INFO), exactly
 * as Sentinel sends it (sentinel-protocol.md §5.4): MULTI, SLAVEOF, CONFIG REWRITE (failing
 * harmlessly inside EXEC on nodes without a config file), CLIENT KILL TYPE normal and pubsub
 * (clients reconnect and re-resolve the primary), EXEC. */
static void exec_transaction(struct sn_daemon *d, const struct qu_action *a, bool promote)
{
	char port[8];
	snprintf(port, sizeof(port), "%u", (unsigned)a->addr.port);
	const char *multi[] = {"MULTI"};
	const char *noone[] = {"SLAVEOF", "NO", "ONE"};
	const char *repoint[] = {"SLAVEOF", a->addr.host, port};
	const char *rewrite[] = {"CONFIG", "REWRITE"};
	const char *kill_normal[] = {"CLIENT", "KILL", "TYPE", "normal"};
	const char *kill_pubsub[] = {"CLIENT", "KILL", "TYPE", "pubsub"};
	const char *exec[] = {"EXEC"};
	const struct {
		int argc;
		const char **argv;
	} steps[] = {
	    {1, multi},       {3, promote ? noone : repoint},
	    {2, rewrite},     {4, kill_normal},
	    {4, kill_pubsub}, {1, exec},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = sn_links_command(&d->links, a->node, SN_TAG_IGNORE, steps[i].argc,
		                          steps[i].argv);
		if (rc != 0) {
			/* A half-sent MULTI is discarded by the node when the link drops; the core
			 * retries or times out from what INFO says. */
			sn_log(SN_LOG_NOTICE, "event=transaction-not-sent node=%u step=%zu rc=%d",
			       a->node, i, rc);
			return;
		}
	}
}

static void exec_vote_reply(struct sn_daemon *d, const struct qu_action *a)
{
	d->vote_answer.valid = true;
	d->vote_answer.down = a->flag;
	snprintf(d->vote_answer.leader, sizeof(d->vote_answer.leader), "%s", a->runid);
	d->vote_answer.leader_epoch = a->epoch;
}

void sn_daemon_exec(struct sn_daemon *d, const struct qu_action *a)
{
	switch (a->kind) {
	case QU_ACT_NODE_ADD:
		exec_node_add(d, a);
		break;
	case QU_ACT_NODE_DEL:
		exec_node_del(d, a->node);
		break;
	case QU_ACT_RELINK:
		sn_links_drop(&d->links, a->node, a->link);
		break;
	case QU_ACT_SEND_PING:
		/* Not connected or too many pending: the ping clock keeps running, SDOWN follows.
		 */
		if (sn_links_ping(&d->links, a->node) != 0)
			sn_log(SN_LOG_DEBUG, "event=ping-not-sent node=%u", a->node);
		break;
	case QU_ACT_SEND_INFO:
		if (sn_links_info(&d->links, a->node) != 0)
			sn_log(SN_LOG_DEBUG, "event=info-not-sent node=%u", a->node);
		break;
	case QU_ACT_SEND_HELLO:
		exec_hello(d, a);
		break;
	case QU_ACT_EVENT:
		exec_event(d, a);
		break;
	case QU_ACT_PERSIST:
		break; /* executed by feed_one(), in order */
	case QU_ACT_SEND_ASK:
		exec_ask(d, a);
		break;
	case QU_ACT_VOTE_REPLY:
		exec_vote_reply(d, a);
		break;
	case QU_ACT_PROMOTE:
		exec_transaction(d, a, true);
		break;
	case QU_ACT_REPOINT:
		exec_transaction(d, a, false);
		break;
	case QU_ACT_ELECTED: {
		const struct qu_group *g = qu_group_at(d->core, a->group);
		sn_log(SN_LOG_NOTICE, "event=elected group=%s epoch=%llu", g ? g->conf.name : "?",
		       (unsigned long long)a->epoch);
		break;
	}
	}
}