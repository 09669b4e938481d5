// SPDX-License-Identifier: BSD-3-Clause
/*
 * The SENTINEL command, ROLE and INFO's Sentinel section, with Redis Sentinel 7.0's reply shapes,
 * field order and error texts (sentinel-protocol.md §6). Handlers read the core's views or feed
 * ADMIN inputs through the daemon; they never change core state directly. The instance
 * descriptions (MASTER, REPLICAS, SENTINELS) are built in cmd_describe.c.
 */
#include "cmd_sentinel_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "resp.h"
#include "state.h"
#include "version.h"

typedef void (*sub_fn)(struct req *r);

struct sub {
	const char *name;
	int arity; /* Redis convention: exact when > 0, minimum when < 0; counts "SENTINEL" too */
	sub_fn fn;
};

/* ---- wire strings ---------------------------------------------------------------------- */

#define ERR_NO_MASTER "ERR No such master with that name"
#define ERR_SAVE "ERR Failed to save config file. Check server logs."

static const char *const help_lines[] = {
    "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "HELP",
    "    Prints this help.",
};

/* ---- helpers ----------------------------------------------------------------------------- */

static uint32_t group_or_reply(struct req *r, const char *name)
{
	uint32_t g = qu_group_find(r->d->core, name);
	if (g == QU_NONE)
		sn_resp_error(r->out, ERR_NO_MASTER);
	return g;
}

static bool parse_ll(const char *s, long long *out)
{
	if (*s == '\0')
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Redis's glob (stringmatchlen) semantics, for RESET and CONFIG GET patterns. */
static bool glob(const char *pattern, const char *s, bool nocase)
{
	return sn_resp_glob_match(pattern, strlen(pattern), s, strlen(s), nocase);
}

static void feed_admin(struct req *r, const struct qu_admin *a, int *rc)
{
	struct qu_input in = {.kind = QU_IN_ADMIN, .now_ms = r->now_ms};
	in.u.admin = *a;
	r->d->persist_rc = 0;
	*rc = sn_daemon_feed(r->d, &in);
}

/* +OK once the change is durable, Sentinel's error otherwise (sentinelFlushConfigAndReply). */
static void reply_saved(struct req *r)
{
	if (r->d->persist_rc != 0)
		sn_resp_error(r->out, ERR_SAVE);
	else
		sn_resp_status(r->out, "OK");
}

/* ---- subcommands ------------------------------------------------------------------------- */

static void sub_masters(struct req *r)
{
	struct qu_core *core = r->d->core;
	size_t count = 0;
	for (uint32_t g = 0; g < qu_groups_max(core); g++)
		count += qu_group_at(core, g) != NULL;
	sn_resp_array(r->out, count);
	for (uint32_t g = 0; g < qu_groups_max(core); g++)
		if (qu_group_at(core, g) != NULL)
			sn_cmd_describe_node(r, g, qu_group_at(core, g)->primary);
}

static void sub_master(struct req *r)
{
	uint32_t g = group_or_reply(r, r->argv[2]);
	if (g != QU_NONE)
		sn_cmd_describe_node(r, g, qu_group_at(r->d->core, g)->primary);
}

static void sub_replicas(struct req *r)
{
	uint32_t gi = group_or_reply(r, r->argv[2]);
	if (gi == QU_NONE)
		return;
	const struct qu_group *g = qu_group_at(r->d->core, gi);
	/* Replicas announcing replica_announced:0 are hidden, as in Sentinel. */
	size_t count = 0;
	for (uint32_t i = 0; i < g->replica_count; i++)
		count += qu_node_at(r->d->core, g->replicas[i])->replica_announced;
	sn_resp_array(r->out, count);
	for (uint32_t i = 0; i < g->replica_count; i++)
		if (qu_node_at(r->d->core, g->replicas[i])->replica_announced)
			sn_cmd_describe_node(r, gi, g->replicas[i]);
}

static void sub_sentinels(struct req *r)
{
	uint32_t gi = group_or_reply(r, r->argv[2]);
	if (gi == QU_NONE)
		return;
	const struct qu_group *g = qu_group_at(r->d->core, gi);
	sn_resp_array(r->out, g->peer_count);
	for (uint32_t i = 0; i < g->peer_count; i++)
		sn_cmd_describe_peer(r, g, &g->peers[i]);
}

static void sub_get_master_addr(struct req *r)
{
	uint32_t gi = qu_group_find(r->d->core, r->argv[2]);
	if (gi == QU_NONE) {
		sn_resp_null_array(r->out, r->proto);
		return;
	}
	const struct qu_group *g = qu_group_at(r->d->core, gi);
	sn_resp_array(r->out, 2);
	sn_resp_bulk_str(r->out, g->conf.addr.host);
	sn_resp_bulk_fmt(r->out, "%u", (unsigned)g->conf.addr.port);
}

static void sub_myid(struct req *r)
{
	sn_resp_bulk_str(r->out, qu_myid(r->d->core));
}

static void sub_ckquorum(struct req *r)
{
	uint32_t gi = group_or_reply(r, r->argv[2]);
	if (gi == QU_NONE)
		return;
	const struct qu_group *g = qu_group_at(r->d->core, gi);
	/* usable: ourselves and every peer not SDOWN; the majority counts every known watcher. */
	unsigned voters = 1 + g->peer_count, usable = 1;
	for (uint32_t i = 0; i < g->peer_count; i++)
		usable += !qu_watcher_at(r->d->core, g->peers[i].watcher)->probe.sdown;
	unsigned majority = voters / 2 + 1;
	bool no_quorum = usable < g->conf.quorum;
	bool no_majority = usable < majority;
	if (!no_quorum && !no_majority) {
		char msg[128];
		snprintf(msg, sizeof(msg),
		         "OK %u usable Sentinels. Quorum and failover authorization can be reached",
		         usable);
		sn_resp_status(r->out, msg);
		return;
	}
	char msg[256];
	snprintf(
	    msg, sizeof(msg), "NOQUORUM %u usable Sentinels. %s%s%s", usable,
	    no_quorum
	        ? "Not enough available Sentinels to reach the specified quorum for this master"
	        : "",
	    no_quorum && no_majority ? ". " : "",
	    no_majority
	        ? "Not enough available Sentinels to reach the majority and authorize a failover"
	        : "");
	sn_resp_error(r->out, msg);
}

static bool is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool is_valid_name(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len >= QU_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && strchr("._-", s[i]) == NULL)
			return false;
	return true;
}

/* Validation order and texts as Sentinel 7.0's SENTINEL MONITOR. */
static void sub_monitor(struct req *r)
{
	long long quorum, port;
	if (!parse_ll(r->argv[5], &quorum)) {
		sn_resp_error(r->out, "ERR Invalid quorum");
		return;
	}
	if (!parse_ll(r->argv[4], &port)) {
		sn_resp_error(r->out, "ERR Invalid port");
		return;
	}
	if (quorum <= 0) {
		sn_resp_error(r->out, "ERR Quorum must be 1 or greater.");
		return;
	}
	if (!is_ip_literal(r->argv[3]) || strlen(r->argv[3]) >= QU_HOST_MAX) {
		sn_resp_error(r->out, "ERR Invalid IP address or hostname specified");
		return;
	}
	if (qu_group_find(r->d->core, r->argv[2]) != QU_NONE) {
		sn_resp_error(r->out, "ERR Duplicate master name.");
		return;
	}
	if (port <= 0 || port > 65535) {
		sn_resp_error(r->out, "ERR Invalid port number.");
		return;
	}
	if (!is_valid_name(r->argv[2]) || quorum > INT_MAX) {
		sn_resp_error(r->out, "ERR Invalid master name or quorum.");
		return;
	}
	struct qu_group_conf conf;
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.name, sizeof(conf.name), "%s", r->argv[2]);
	snprintf(conf.addr.host, sizeof(conf.addr.host), "%s", r->argv[3]);
	conf.addr.port = (uint16_t)port;
	conf.quorum = (uint32_t)quorum;
	conf.down_after_ms = QU_DEFAULT_DOWN_AFTER_MS;
	conf.failover_timeout_ms = QU_DEFAULT_FAILOVER_TIMEOUT_MS;
	conf.parallel_syncs = 1;
	struct qu_admin a = {.op = QU_ADMIN_MONITOR, .conf = &conf};
	int rc;
	feed_admin(r, &a, &rc);
	if (rc == QU_EFULL)
		sn_resp_error(r->out, "ERR Too many monitored masters or nodes.");
	else if (rc != QU_OK)
		sn_resp_error(r->out, "ERR Invalid master name or quorum.");
	else
		reply_saved(r);
}

static void sub_remove(struct req *r)
{
	uint32_t g = group_or_reply(r, r->argv[2]);
	if (g == QU_NONE)
		return;
	struct qu_admin a = {.op = QU_ADMIN_REMOVE, .group = g};
	int rc;
	feed_admin(r, &a, &rc);
	reply_saved(r);
}

/* Sentinel 7.0.15's reply while deny-scripts-reconfig is set (the default). */
#define ERR_SCRIPTS_DENIED                                                                         \
	"ERR Reconfiguration of scripts path is denied for security reasons. Check the "           \
	"deny-scripts-reconfig configuration directive in your Sentinel configuration"

static bool is_script_option(const char *opt)
{
	return strcasecmp(opt, "notification-script") == 0 ||
	       strcasecmp(opt, "client-reconfig-script") == 0;
}

/* One option of SENTINEL SET; returns false after replying with an error. */
static bool set_one(struct req *r, uint32_t g, int *j)
{
	const char *opt = r->argv[*j];
	if (is_script_option(opt) && *j + 1 < r->argc && r->d->conf.deny_scripts_reconfig) {
		sn_resp_error(r->out, ERR_SCRIPTS_DENIED);
		return false;
	}
	int s = qu_setting_from_name(opt);
	if (s < 0 || *j + 1 >= r->argc) {
		sn_resp_error_fmt(
		    r->out, "ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt);
		return false;
	}
	const char *val = r->argv[++*j];
	struct qu_admin a = {.op = QU_ADMIN_SET, .group = g, .setting = (enum qu_setting)s};
	if (s == QU_SET_AUTH_PASS || s == QU_SET_AUTH_USER) {
		a.str = val;
		if (strlen(val) >= QU_AUTH_MAX) {
			sn_resp_error_fmt(r->out, "ERR Invalid argument '%s' for SENTINEL SET '%s'",
			                  "(too long)", opt);
			return false;
		}
	} else {
		long long v;
		if (!parse_ll(val, &v) || v <= 0 || v > INT_MAX) {
			sn_resp_error_fmt(r->out, "ERR Invalid argument '%s' for SENTINEL SET '%s'",
			                  val, opt);
			return false;
		}
		a.num = v;
	}
	int rc;
	feed_admin(r, &a, &rc);
	if (rc != QU_OK) {
		sn_resp_error_fmt(r->out, "ERR Invalid argument '%s' for SENTINEL SET '%s'", val,
		                  opt);
		return false;
	}
	return true;
}

/* Not atomic, like Sentinel: options before an error stay applied (and are saved). */
static void sub_set(struct req *r)
{
	uint32_t g = group_or_reply(r, r->argv[2]);
	if (g == QU_NONE)
		return;
	bool ok = true;
	int saved_rc = 0;
	/* Each applied option is its own +set event and state write, as in Sentinel. */
	for (int j = 3; j < r->argc && ok; j++) {
		ok = set_one(r, g, &j);
		if (ok && r->d->persist_rc != 0)
			saved_rc = r->d->persist_rc;
	}
	r->d->persist_rc = saved_rc;
	if (ok)
		reply_saved(r);
}

static void sub_reset(struct req *r)
{
	struct qu_core *core = r->d->core;
	long long count = 0;
	for (uint32_t g = 0; g < qu_groups_max(core); g++) {
		const struct qu_group *grp = qu_group_at(core, g);
		if (grp == NULL || !glob(r->argv[2], grp->conf.name, false))
			continue;
		struct qu_admin a = {.op = QU_ADMIN_RESET, .group = g};
		int rc;
		feed_admin(r, &a, &rc);
		count += rc == QU_OK;
	}
	sn_resp_int(r->out, count);
}

static void sub_flushconfig(struct req *r)
{
	(void)sn_daemon_persist(r->d);
	reply_saved(r);
}

static void info_cache_entry(struct req *r, uint32_t node)
{
	const struct sn_node_cache *c = &r->d->cache[node];
	sn_resp_array(r->out, 2);
	sn_resp_int(r->out, c->info != NULL ? r->now_ms - c->info_at_ms : 0);
	if (c->info != NULL)
		sn_resp_bulk(r->out, c->info, c->info_len);
	else
		sn_resp_null(r->out, r->proto);
}

/* For each named primary that exists: the name, then [age, INFO] for it and each replica. */
static void sub_info_cache(struct req *r)
{
	struct qu_core *core = r->d->core;
	size_t found = 0;
	for (int i = 2; i < r->argc; i++)
		found += qu_group_find(core, r->argv[i]) != QU_NONE;
	sn_resp_array(r->out, found * 2);
	for (int i = 2; i < r->argc; i++) {
		uint32_t gi = qu_group_find(core, r->argv[i]);
		if (gi == QU_NONE)
			continue;
		const struct qu_group *g = qu_group_at(core, gi);
		sn_resp_bulk_str(r->out, g->conf.name);
		sn_resp_array(r->out, 1 + (size_t)g->replica_count);
		info_cache_entry(r, g->primary);
		for (uint32_t k = 0; k < g->replica_count; k++)
			info_cache_entry(r, g->replicas[k]);
	}
}

/* SENTINEL IS-MASTER-DOWN-BY-ADDR ip port epoch runid|*: the core decides down and the vote
 * (persisted before this reply is written); the reply is (integer, bulk, integer) (§4.3). */
static void sub_is_master_down(struct req *r)
{
	long long port, epoch;
	if (!parse_ll(r->argv[3], &port) || !parse_ll(r->argv[4], &epoch) || port <= 0 ||
	    port > 65535 || epoch < 0) {
		r->d->vote_request_rejected++;
		sn_resp_error(r->out, "ERR value is not an integer or out of range");
		return;
	}
	bool is_star = strcmp(r->argv[5], "*") == 0;
	if (strlen(r->argv[2]) >= QU_HOST_MAX || (!is_star && strlen(r->argv[5]) != QU_RUNID_LEN)) {
		r->d->vote_request_rejected++;
		sn_resp_error(r->out, "ERR Invalid address or runid");
		return;
	}
	struct qu_input in = {.kind = QU_IN_VOTE_REQUEST, .now_ms = r->now_ms};
	snprintf(in.u.vote_request.primary.host, QU_HOST_MAX, "%s", r->argv[2]);
	in.u.vote_request.primary.port = (uint16_t)port;
	in.u.vote_request.epoch = (uint64_t)epoch;
	snprintf(in.u.vote_request.runid, sizeof(in.u.vote_request.runid), "%s", r->argv[5]);
	r->d->vote_answer.valid = false;
	int rc = sn_daemon_feed(r->d, &in);
	if (rc != QU_OK || !r->d->vote_answer.valid) {
		/* The vote could not be made durable: say nothing about it. */
		sn_resp_error(r->out, ERR_SAVE);
		return;
	}
	sn_resp_array(r->out, 3);
	sn_resp_int(r->out, r->d->vote_answer.down ? 1 : 0);
	sn_resp_bulk_str(r->out, r->d->vote_answer.leader);
	sn_resp_int(r->out, (long long)r->d->vote_answer.leader_epoch);
}

/* SENTINEL FAILOVER name: start at once, without agreement (sentinel-protocol.md §5.9). */
static void sub_failover(struct req *r)
{
	uint32_t g = group_or_reply(r, r->argv[2]);
	if (g == QU_NONE)
		return;
	struct qu_admin a = {.op = QU_ADMIN_FAILOVER, .group = g};
	int rc;
	feed_admin(r, &a, &rc);
	if (rc == QU_EBUSY)
		sn_resp_error(r->out, "INPROG Failover already in progress");
	else if (rc == QU_ENOREPLICA)
		sn_resp_error(r->out, "NOGOODSLAVE No suitable replica to promote");
	else if (rc != QU_OK)
		sn_resp_error(r->out, "ERR Failover could not be started");
	else
		reply_saved(r);
}

static void pending_one(void *ctx, const struct sn_script_view *v)
{
	struct req *r = ctx;
	sn_resp_map(r->out, r->proto, 5);
	sn_resp_bulk_str(r->out, "argv");
	sn_resp_array(r->out, v->argc);
	for (uint32_t i = 0; i < v->argc; i++)
		sn_resp_bulk_str(r->out, v->argv[i]);
	sn_cmd_field_str(r->out, "flags", v->running ? "running" : "scheduled");
	sn_cmd_field_ll(r->out, "pid", v->pid);
	if (v->running)
		sn_cmd_field_ll(r->out, "run-time", v->run_time_ms);
	else
		sn_cmd_field_ll(r->out, "run-delay", v->run_delay_ms);
	sn_cmd_field_ll(r->out, "retry-num", v->retry_num);
}

static void sub_pending_scripts(struct req *r)
{
	sn_resp_array(r->out, sn_scripts_queue_len(&r->d->scripts));
	(void)sn_scripts_pending(&r->d->scripts, r->now_ms, r, pending_one);
}

static void sub_help(struct req *r)
{
	size_t n = sizeof(help_lines) / sizeof(help_lines[0]);
	sn_resp_array(r->out, n);
	for (size_t i = 0; i < n; i++)
		sn_resp_status(r->out, help_lines[i]);
}

/* SENTINEL CONFIG GET <pattern> / SET <param> <value> over Sentinel's global parameters. */
static void config_get(struct req *r)
{
	struct sn_conf *conf = &r->d->live;
	char port[16];
	snprintf(port, sizeof(port), "%u", (unsigned)conf->announce_port);
	const char *params[][2] = {
	    {"resolve-hostnames", "no"},
	    {"announce-hostnames", "no"},
	    {"announce-ip", conf->announce_ip},
	    {"announce-port", port},
	    {"sentinel-user", ""},
	    {"sentinel-pass", ""},
	};
	size_t n = sizeof(params) / sizeof(params[0]), matched = 0;
	for (size_t i = 0; i < n; i++)
		matched += glob(r->argv[3], params[i][0], true);
	sn_resp_map(r->out, r->proto, matched);
	for (size_t i = 0; i < n; i++)
		if (glob(r->argv[3], params[i][0], true))
			sn_cmd_field_str(r->out, params[i][0], params[i][1]);
}

static void config_set(struct req *r)
{
	struct sn_conf *conf = &r->d->live;
	const char *param = r->argv[3], *val = r->argv[4];
	if (strcasecmp(param, "announce-ip") == 0) {
		if (!sn_state_is_announce_ip(val)) {
			sn_resp_error_fmt(r->out,
			                  "ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", val,
			                  param);
			return;
		}
		snprintf(conf->announce_ip, sizeof(conf->announce_ip), "%s", val);
	} else if (strcasecmp(param, "announce-port") == 0) {
		long long v;
		if (!parse_ll(val, &v) || v < 0 || v > 65535) {
			sn_resp_error_fmt(r->out,
			                  "ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", val,
			                  param);
			return;
		}
		conf->announce_port = (uint16_t)v;
	} else {
		sn_resp_error_fmt(r->out, "ERR Invalid argument '%s' to SENTINEL CONFIG SET",
		                  param);
		return;
	}
	(void)sn_daemon_persist(r->d);
	reply_saved(r);
}

static void sub_config(struct req *r)
{
	if (r->argc == 4 && strcasecmp(r->argv[2], "get") == 0)
		config_get(r);
	else if (r->argc == 5 && strcasecmp(r->argv[2], "set") == 0)
		config_set(r);
	else
		sn_resp_error(
		    r->out,
		    "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
}

static const struct sub subs[] = {
    {"masters", 2, sub_masters},
    {"master", 3, sub_master},
    {"replicas", 3, sub_replicas},
    {"slaves", 3, sub_replicas},
    {"sentinels", 3, sub_sentinels},
    {"get-master-addr-by-name", 3, sub_get_master_addr},
    {"myid", 2, sub_myid},
    {"ckquorum", 3, sub_ckquorum},
    {"monitor", 6, sub_monitor},
    {"remove", 3, sub_remove},
    {"set", -5, sub_set},
    {"reset", 3, sub_reset},
    {"failover", 3, sub_failover},
    {"flushconfig", 2, sub_flushconfig},
    {"info-cache", -3, sub_info_cache},
    {"is-master-down-by-addr", 6, sub_is_master_down},
    {"pending-scripts", 2, sub_pending_scripts},
    {"config", -3, sub_config},
    {"help", 2, sub_help},
};

static bool arity_ok(int arity, int argc)
{
	return arity > 0 ? argc == arity : argc >= -arity;
}

void sn_cmd_sentinel(void *ctx, struct sn_client *c, int argc, char **argv, size_t *lens)
{
	(void)lens;
	struct req r = {.d = ctx,
	                .c = c,
	                .out = sn_client_out(c),
	                .proto = sn_client_proto(c),
	                .argc = argc,
	                .argv = argv,
	                .now_ms = sn_clock_now_ms()};
	if (argc < 2) {
		sn_resp_error(r.out, "ERR wrong number of arguments for 'sentinel' command");
		return;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcasecmp(argv[1], subs[i].name) != 0)
			continue;
		if (!arity_ok(subs[i].arity, argc)) {
			sn_resp_error_fmt(r.out,
			                  "ERR wrong number of arguments for 'sentinel|%s' command",
			                  subs[i].name);
			return;
		}
		subs[i].fn(&r);
		return;
	}
	sn_resp_error_fmt(r.out, "ERR unknown subcommand '%.128s'. Try SENTINEL HELP.", argv[1]);
}

void sn_cmd_role(void *ctx, struct sn_client *c)
{
	struct sn_daemon *d = ctx;
	struct sn_buf *out = sn_client_out(c);
	size_t count = 0;
	for (uint32_t g = 0; g < qu_groups_max(d->core); g++)
		count += qu_group_at(d->core, g) != NULL;
	sn_resp_array(out, 2);
	sn_resp_bulk_str(out, "sentinel");
	sn_resp_array(out, count);
	for (uint32_t g = 0; g < qu_groups_max(d->core); g++)
		if (qu_group_at(d->core, g) != NULL)
			sn_resp_bulk_str(out, qu_group_at(d->core, g)->conf.name);
}

static const char *group_status(const struct qu_core *core, const struct qu_group *g)
{
	if (g->odown)
		return "odown";
	return qu_node_at(core, g->primary)->probe.sdown ? "sdown" : "ok";
}

void sn_cmd_info_sentinel(void *ctx, struct sn_buf *out)
{
	struct sn_daemon *d = ctx;
	size_t count = 0;
	for (uint32_t g = 0; g < qu_groups_max(d->core); g++)
		count += qu_group_at(d->core, g) != NULL;
	int64_t tilt_since_ms = 0;
	bool tilt = qu_in_tilt(d->core, &tilt_since_ms);
	long long tilt_s = tilt ? (long long)((sn_clock_now_ms() - tilt_since_ms) / 1000) : -1;
	sn_buf_printf(out,
	              "# Sentinel\r\nsentinel_masters:%zu\r\nsentinel_tilt:%d\r\n"
	              "sentinel_tilt_since_seconds:%lld\r\nsentinel_running_scripts:%u\r\n"
	              "sentinel_scripts_queue_length:%u\r\nsentinel_simulate_failure_flags:0\r\n",
	              count, tilt ? 1 : 0, tilt_s, sn_scripts_running(&d->scripts),
	              sn_scripts_queue_len(&d->scripts));
	size_t n = 0;
	for (uint32_t gi = 0; gi < qu_groups_max(d->core); gi++) {
		const struct qu_group *g = qu_group_at(d->core, gi);
		if (g == NULL)
			continue;
		sn_buf_printf(
		    out, "master%zu:name=%s,status=%s,address=%s:%u,slaves=%u,sentinels=%u\r\n",
		    n++, g->conf.name, group_status(d->core, g), g->conf.addr.host,
		    (unsigned)g->conf.addr.port, (unsigned)g->replica_count,
		    (unsigned)g->peer_count + 1);
	}
}

void sn_cmd_info_vigil(void *ctx, struct sn_buf *out)
{
	struct sn_daemon *d = ctx;
	sn_buf_printf(out,
	              "# Vigil\r\nvigil_version:%s\r\nvigil_current_epoch:%llu\r\n"
	              "vigil_hello_received:%llu\r\nvigil_hello_rejected:%llu\r\n"
	              "vigil_vote_requests_rejected:%llu\r\nvigil_vote_replies_rejected:%llu\r\n"
	              "vigil_state_write_failures:%llu\r\n",
	              VIGIL_VERSION, (unsigned long long)qu_current_epoch(d->core),
	              (unsigned long long)d->hello_received, (unsigned long long)d->hello_rejected,
	              (unsigned long long)d->vote_request_rejected,
	              (unsigned long long)d->vote_reply_rejected,
	              (unsigned long long)d->persist_failures);
}
