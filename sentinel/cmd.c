// SPDX-License-Identifier: BSD-3-Clause
/*
 * The command table and the generic commands of the RESP port (PING, ECHO, AUTH, HELLO, QUIT,
 * INFO, ROLE, CLIENT, COMMAND, (P)(UN)SUBSCRIBE, PUBLISH, SHUTDOWN, and SENTINEL's hand-off to
 * the hook). Names, arities, flags, docs and error texts are copied from redis-sentinel 7.0.15
 * so clients see the same thing; this file owns those wire strings. It never reads or changes
 * sentinel state itself and never echoes a password.
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define HELLO_CHANNEL "__sentinel__:hello"
#define SYNTAX_ERR "ERR syntax error"
#define WRONGPASS_ERR "WRONGPASS invalid username-password pair or user is disabled."
#define INFO_SECTIONS 5
#define PUBSUB_DISTINCT_MAX 65536u /* INFO counts distinct channels up to this many subs */

static void cmd_ping(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_echo(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_auth(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_hello(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_quit(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_role(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command_docs(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command_count(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command_getkeys(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_command_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_getname(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_setname(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_id(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_kill(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_client_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_subscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_unsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_psubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_punsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_publish(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_shutdown(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
static void cmd_sentinel(struct sn_server *s, struct sn_client *c, const struct sn_req *req);

#define cmd_command_getkeysandflags cmd_command_getkeys

/*
 * The tables below mirror `COMMAND` and `COMMAND DOCS` of redis-sentinel 7.0.15 for the
 * commands we serve (plus ECHO and QUIT, copied from redis-server 7.0.15). "arguments" and
 * "history" docs are left out: redis-cli does without them.
 */
/* One row per command, fields in struct sn_cmd order (kept out of clang-format). */
/* clang-format off */
static const struct sn_cmd client_subs[] = {
	{"getname", "client|getname", 2, 0, cmd_client_getname, NULL,
	 "noscript loading stale", "@slow @connection", "",
	 {"Get the current connection name", "2.6.9", "connection", "O(1)", NULL, NULL}},
	{"setname", "client|setname", 3, 0, cmd_client_setname, NULL,
	 "noscript loading stale", "@slow @connection", "",
	 {"Set the current connection name", "2.6.9", "connection", "O(1)", NULL, NULL}},
	{"id", "client|id", 2, 0, cmd_client_id, NULL,
	 "noscript loading stale", "@slow @connection", "",
	 {"Returns the client ID for the current connection", "5.0.0", "connection", "O(1)", NULL,
	  NULL}},
	{"info", "client|info", 2, 0, cmd_client_info, NULL,
	 "noscript loading stale", "@slow @connection", "nondeterministic_output",
	 {"Returns information about the current client connection.", "6.2.0", "connection", "O(1)",
	  NULL, NULL}},
	{"list", "client|list", -2, 0, cmd_client_list, NULL,
	 "admin noscript loading stale", "@admin @slow @dangerous @connection",
	 "nondeterministic_output",
	 {"Get the list of client connections", "2.4.0", "connection",
	  "O(N) where N is the number of client connections", NULL, NULL}},
	{"kill", "client|kill", -3, 0, cmd_client_kill, NULL,
	 "admin noscript loading stale", "@admin @slow @dangerous @connection", "",
	 {"Kill the connection of a client", "2.4.0", "connection",
	  "O(N) where N is the number of client connections", NULL, NULL}},
	{"help", "client|help", 2, 0, cmd_client_help, NULL,
	 "loading stale", "@slow @connection", "",
	 {"Show helpful text about the different subcommands", "5.0.0", "connection", "O(1)", NULL,
	  NULL}},
	{NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL, NULL, NULL, NULL, NULL}},
};

static const struct sn_cmd command_subs[] = {
	{"docs", "command|docs", -2, 0, cmd_command_docs, NULL,
	 "loading stale", "@slow @connection", "nondeterministic_output_order",
	 {"Get array of specific Redis command documentation", "7.0.0", "server",
	  "O(N) where N is the number of commands to look up", NULL, NULL}},
	{"info", "command|info", -2, 0, cmd_command_info, NULL,
	 "loading stale", "@slow @connection", "nondeterministic_output_order",
	 {"Get array of specific Redis command details, or all when no argument is given.",
	  "2.8.13", "server", "O(N) where N is the number of commands to look up", NULL, NULL}},
	{"count", "command|count", 2, 0, cmd_command_count, NULL,
	 "loading stale", "@slow @connection", "",
	 {"Get total number of Redis commands", "2.8.13", "server", "O(1)", NULL, NULL}},
	{"list", "command|list", -2, 0, cmd_command_list, NULL,
	 "loading stale", "@slow @connection", "nondeterministic_output_order",
	 {"Get an array of Redis command names", "7.0.0", "server",
	  "O(N) where N is the total number of Redis commands", NULL, NULL}},
	{"getkeys", "command|getkeys", -4, 0, cmd_command_getkeys, NULL,
	 "loading stale", "@slow @connection", "",
	 {"Extract keys given a full Redis command", "2.8.13", "server",
	  "O(N) where N is the number of arguments to the command", NULL, NULL}},
	{"getkeysandflags", "command|getkeysandflags", -4, 0, cmd_command_getkeysandflags, NULL,
	 "loading stale", "@slow @connection", "",
	 {"Extract keys and access flags given a full Redis command", "7.0.0", "server",
	  "O(N) where N is the number of arguments to the command", NULL, NULL}},
	{"help", "command|help", 2, 0, cmd_command_help, NULL,
	 "loading stale", "@slow @connection", "",
	 {"Show helpful text about the different subcommands", "5.0.0", "server", "O(1)", NULL,
	  NULL}},
	{NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL, NULL, NULL, NULL, NULL}},
};

static const struct sn_cmd sentinel_subs[] = {
	{"ckquorum", "sentinel|ckquorum", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Check for a Sentinel quorum", "2.8.4", "sentinel", NULL, NULL, NULL}},
	{"config", "sentinel|config", -3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Configure Sentinel", "6.2.0", "sentinel", "O(1)", NULL, NULL}},
	{"debug", "sentinel|debug", -2, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"List or update the current configurable parameters", "7.0.0", "sentinel",
	  "O(N) where N is the number of configurable parameters", NULL, NULL}},
	{"failover", "sentinel|failover", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Force a failover", "2.8.4", "sentinel", NULL, NULL, NULL}},
	{"flushconfig", "sentinel|flushconfig", 2, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Rewrite configuration file", "2.8.4", "sentinel", "O(1)", NULL, NULL}},
	{"get-master-addr-by-name", "sentinel|get-master-addr-by-name", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Get port and address of a master", "2.8.4", "sentinel", "O(1)", NULL, NULL}},
	{"help", "sentinel|help", 2, 0, cmd_sentinel, NULL,
	 "loading stale", "@slow", "",
	 {"Show helpful text about the different subcommands", "6.2.0", "sentinel", "O(1)", NULL,
	  NULL}},
	{"info-cache", "sentinel|info-cache", -3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Get cached INFO from the instances in the deployment", "3.2.0", "sentinel",
	  "O(N) where N is the number of instances", NULL, NULL}},
	{"is-master-down-by-addr", "sentinel|is-master-down-by-addr", 6, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Check if a master is down", "2.8.4", "sentinel", "O(1)", NULL, NULL}},
	{"master", "sentinel|master", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Shows the state of a master", "2.8.4", "sentinel", "O(1)", NULL, NULL}},
	{"masters", "sentinel|masters", 2, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"List the monitored masters", "2.8.4", "sentinel",
	  "O(N) where N is the number of masters", NULL, NULL}},
	{"monitor", "sentinel|monitor", 6, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Start monitoring", "2.8.4", "sentinel", "O(1)", NULL, NULL}},
	{"myid", "sentinel|myid", 2, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Get the Sentinel instance ID", "6.2.0", "sentinel", "O(1)", NULL, NULL}},
	{"pending-scripts", "sentinel|pending-scripts", 2, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Get information about pending scripts", "2.8.4", "sentinel", NULL, NULL, NULL}},
	{"remove", "sentinel|remove", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Stop monitoring", "2.8.4", "sentinel", "O(1)", NULL, NULL}},
	{"replicas", "sentinel|replicas", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"List the monitored replicas", "5.0.0", "sentinel",
	  "O(N) where N is the number of replicas", NULL, NULL}},
	{"reset", "sentinel|reset", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Reset masters by name pattern", "2.8.4", "sentinel",
	  "O(N) where N is the number of monitored masters", NULL, NULL}},
	{"sentinels", "sentinel|sentinels", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"List the Sentinel instances", "2.8.4", "sentinel",
	  "O(N) where N is the number of Sentinels", NULL, NULL}},
	{"set", "sentinel|set", -5, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Change the configuration of a monitored master", "2.8.4", "sentinel", "O(1)", NULL,
	  NULL}},
	{"simulate-failure", "sentinel|simulate-failure", -3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"Simulate failover scenarios", "3.2.0", "sentinel", NULL, NULL, NULL}},
	{"slaves", "sentinel|slaves", 3, 0, cmd_sentinel, NULL,
	 "admin", "@admin @slow @dangerous", "",
	 {"List the monitored slaves", "2.8.0", "sentinel", "O(N) where N is the number of slaves",
	  "5.0.0", "`SENTINEL REPLICAS`"}},
	{NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL, NULL, NULL, NULL, NULL}},
};

static const struct sn_cmd cmd_table[] = {
	{"ping", "ping", -1, SN_CMD_PUBSUB_CTX, cmd_ping, NULL,
	 "fast", "@fast @connection", "request_policy:all_shards response_policy:all_succeeded",
	 {"Ping the server", "1.0.0", "connection", "O(1)", NULL, NULL}},
	{"echo", "echo", 2, 0, cmd_echo, NULL,
	 "loading stale fast", "@fast @connection", "",
	 {"Echo the given string", "1.0.0", "connection", "O(1)", NULL, NULL}},
	{"auth", "auth", -2, SN_CMD_NO_AUTH, cmd_auth, NULL,
	 "noscript loading stale fast no_auth allow_busy", "@fast @connection", "",
	 {"Authenticate to the server", "1.0.0", "connection",
	  "O(N) where N is the number of passwords defined for the user", NULL, NULL}},
	{"hello", "hello", -1, SN_CMD_NO_AUTH, cmd_hello, NULL,
	 "noscript loading stale fast no_auth allow_busy", "@fast @connection", "",
	 {"Handshake with Redis", "6.0.0", "connection", "O(1)", NULL, NULL}},
	{"quit", "quit", -1, SN_CMD_NO_AUTH | SN_CMD_PUBSUB_CTX, cmd_quit, NULL,
	 "noscript loading stale fast no_auth allow_busy", "@fast @connection", "",
	 {"Close the connection", "1.0.0", "connection", "O(1)", NULL, NULL}},
	{"info", "info", -1, 0, cmd_info, NULL,
	 "loading stale", "@slow @dangerous",
	 "nondeterministic_output request_policy:all_shards response_policy:special",
	 {"Get information and statistics about the server", "1.0.0", "server", "O(1)", NULL,
	  NULL}},
	{"role", "role", 1, 0, cmd_role, NULL,
	 "noscript loading stale fast", "@admin @fast @dangerous", "",
	 {"Return the role of the instance in the context of replication", "2.8.12", "server",
	  "O(1)", NULL, NULL}},
	{"client", "client", -2, 0, NULL, client_subs,
	 "", "@slow", "",
	 {"A container for client connection commands", "2.4.0", "connection",
	  "Depends on subcommand.", NULL, NULL}},
	{"command", "command", -1, 0, cmd_command, command_subs,
	 "loading stale", "@slow @connection", "nondeterministic_output_order",
	 {"Get array of Redis command details", "2.8.13", "server",
	  "O(N) where N is the total number of Redis commands", NULL, NULL}},
	{"subscribe", "subscribe", -2, SN_CMD_PUBSUB_CTX, cmd_subscribe, NULL,
	 "pubsub noscript loading stale", "@pubsub @slow", "",
	 {"Listen for messages published to the given channels", "2.0.0", "pubsub",
	  "O(N) where N is the number of channels to subscribe to.", NULL, NULL}},
	{"unsubscribe", "unsubscribe", -1, SN_CMD_PUBSUB_CTX, cmd_unsubscribe, NULL,
	 "pubsub noscript loading stale", "@pubsub @slow", "",
	 {"Stop listening for messages posted to the given channels", "2.0.0", "pubsub",
	  "O(N) where N is the number of clients already subscribed to a channel.", NULL, NULL}},
	{"psubscribe", "psubscribe", -2, SN_CMD_PUBSUB_CTX, cmd_psubscribe, NULL,
	 "pubsub noscript loading stale", "@pubsub @slow", "",
	 {"Listen for messages published to channels matching the given patterns", "2.0.0",
	  "pubsub", "O(N) where N is the number of patterns the client is already subscribed to.",
	  NULL, NULL}},
	{"punsubscribe", "punsubscribe", -1, SN_CMD_PUBSUB_CTX, cmd_punsubscribe, NULL,
	 "pubsub noscript loading stale", "@pubsub @slow", "",
	 {"Stop listening for messages posted to channels matching the given patterns", "2.0.0",
	  "pubsub",
	  "O(N+M) where N is the number of patterns the client is already subscribed and M is the "
	  "number of total patterns subscribed in the system (by any client).", NULL, NULL}},
	{"publish", "publish", 3, 0, cmd_publish, NULL,
	 "pubsub loading stale fast", "@pubsub @fast", "",
	 {"Post a message to a channel", "2.0.0", "pubsub",
	  "O(N+M) where N is the number of clients subscribed to the receiving channel and M is "
	  "the total number of subscribed patterns (by any client).", NULL, NULL}},
	{"shutdown", "shutdown", -1, 0, cmd_shutdown, NULL,
	 "admin noscript loading stale no_multi allow_busy", "@admin @slow @dangerous", "",
	 {"Synchronously save the dataset to disk and then shut down the server", "1.0.0", "server",
	  "O(N) when saving, where N is the total number of keys in all databases when saving "
	  "data, otherwise O(1)", NULL, NULL}},
	{"sentinel", "sentinel", -2, 0, NULL, sentinel_subs,
	 "admin", "@admin @slow @dangerous", "",
	 {"A container for Sentinel commands", "2.8.4", "sentinel", "Depends on subcommand.", NULL,
	  NULL}},
	{NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL, NULL, NULL, NULL, NULL}},
};
/* clang-format on */

const struct sn_cmd *sn_cmd_table(void)
{
	return cmd_table;
}

/* ---- lookup ------------------------------------------------------------------------------ */

static bool arg_is(const struct sn_req *req, int i, const char *word)
{
	size_t n = strlen(word);
	return req->lens[i] == n && strncasecmp(req->argv[i], word, n) == 0;
}

static const struct sn_cmd *find_in(const struct sn_cmd *tab, const char *name, size_t len)
{
	for (; tab->name != NULL; tab++) {
		if (strlen(tab->name) == len && strncasecmp(tab->name, name, len) == 0)
			return tab;
	}
	return NULL;
}

static bool arity_ok(int arity, int argc)
{
	return arity > 0 ? argc == arity : argc >= -arity;
}

/* "ERR unknown command 'x', with args beginning with: 'a' 'b' " (Redis 7.0 processCommand). */
static void reply_unknown_command(const struct sn_req *req, struct sn_buf *out)
{
	struct sn_buf args;
	sn_buf_init(&args);
	for (int i = 1; i < req->argc && args.len < 128; i++)
		sn_buf_printf(&args, "'%.*s' ", (int)(128 - args.len), req->argv[i]);
	sn_resp_error_fmt(out, "ERR unknown command '%.128s', with args beginning with: %s",
	                  req->argv[0], args.data != NULL ? args.data : "");
	sn_buf_free(&args);
}

const struct sn_cmd *sn_cmd_lookup(const struct sn_req *req, struct sn_buf *out)
{
	const struct sn_cmd *cmd = find_in(cmd_table, req->argv[0], req->lens[0]);
	if (cmd == NULL) {
		reply_unknown_command(req, out);
		return NULL;
	}
	if (cmd->subs != NULL && req->argc >= 2) {
		const struct sn_cmd *sub = find_in(cmd->subs, req->argv[1], req->lens[1]);
		if (sub == NULL) {
			char upper[SN_CMD_NAME_MAX];
			size_t n = strlen(cmd->name);
			for (size_t i = 0; i <= n; i++)
				upper[i] = (char)(cmd->name[i] >= 'a' && cmd->name[i] <= 'z'
				                      ? cmd->name[i] - 'a' + 'A'
				                      : cmd->name[i]);
			sn_resp_error_fmt(out, "ERR unknown subcommand '%.128s'. Try %s HELP.",
			                  req->argv[1], upper);
			return NULL;
		}
		cmd = sub;
	}
	if (!arity_ok(cmd->arity, req->argc)) {
		sn_resp_error_fmt(out, "ERR wrong number of arguments for '%s' command",
		                  cmd->fullname);
		return NULL;
	}
	return cmd;
}

bool sn_cmd_is_http(const struct sn_req *req)
{
	return req->argc > 0 && (arg_is(req, 0, "post") || arg_is(req, 0, "host:"));
}

/* "client|kill" style lookup, as COMMAND INFO/DOCS take it. */
static const struct sn_cmd *find_fullname(const char *name, size_t len)
{
	const char *bar = memchr(name, '|', len);
	if (bar == NULL)
		return find_in(cmd_table, name, len);
	const struct sn_cmd *top = find_in(cmd_table, name, (size_t)(bar - name));
	if (top == NULL || top->subs == NULL)
		return NULL;
	return find_in(top->subs, bar + 1, len - (size_t)(bar - name) - 1);
}

/* ---- PING ECHO QUIT ROLE SHUTDOWN SENTINEL PUBLISH ---------------------------------------- */

static void cmd_ping(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	if (req->argc > 2) {
		sn_resp_error(&c->out, "ERR wrong number of arguments for 'ping' command");
		return;
	}
	if (c->sub_count > 0 && c->proto == 2) {
		/* subscribed mode: ["pong", msg] */
		sn_resp_array(&c->out, 2);
		sn_resp_bulk(&c->out, "pong", 4);
		sn_resp_bulk(&c->out, req->argc == 2 ? req->argv[1] : "",
		             req->argc == 2 ? req->lens[1] : 0);
	} else if (req->argc == 2) {
		sn_resp_bulk(&c->out, req->argv[1], req->lens[1]);
	} else {
		sn_resp_status(&c->out, "PONG");
	}
}

static void cmd_echo(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	sn_resp_bulk(&c->out, req->argv[1], req->lens[1]);
}

static void cmd_quit(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	sn_resp_status(&c->out, "OK");
	c->close_after_reply = true;
}

static void cmd_role(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)req;
	if (s->hooks.role != NULL) {
		s->hooks.role(s->hooks.ctx, c);
		return;
	}
	sn_resp_array(&c->out, 2);
	sn_resp_bulk_str(&c->out, "sentinel");
	sn_resp_array(&c->out, 0);
}

static void cmd_shutdown(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	bool nosave = false, save = false, other = false, abort_req = false;
	for (int i = 1; i < req->argc; i++) {
		if (arg_is(req, i, "nosave")) {
			nosave = true;
		} else if (arg_is(req, i, "save")) {
			save = true;
		} else if (arg_is(req, i, "now") || arg_is(req, i, "force")) {
			other = true;
		} else if (arg_is(req, i, "abort")) {
			abort_req = true;
		} else {
			sn_resp_error(&c->out, SYNTAX_ERR);
			return;
		}
	}
	if ((abort_req && (nosave || save || other)) || (nosave && save)) {
		sn_resp_error(&c->out, SYNTAX_ERR);
		return;
	}
	if (abort_req) {
		sn_resp_error(&c->out, "ERR No shutdown in progress.");
		return;
	}
	if (s->hooks.shutdown == NULL) {
		sn_resp_error(&c->out, "ERR Errors trying to SHUTDOWN. Check logs.");
		return;
	}
	sn_log(SN_LOG_WARNING, "event=shutdown_requested id=%llu addr=%s",
	       (unsigned long long)c->id, c->addr);
	/* Redis exits without replying: the client just sees the connection close. */
	c->close_after_reply = true;
	s->hooks.shutdown(s->hooks.ctx);
}

static void cmd_sentinel(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (s->hooks.sentinel == NULL) {
		sn_resp_error(&c->out, "ERR Sentinel state is not available");
		return;
	}
	s->hooks.sentinel(s->hooks.ctx, c, req->argc, req->argv, req->lens);
}

static void cmd_publish(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (req->lens[1] != strlen(HELLO_CHANNEL) ||
	    memcmp(req->argv[1], HELLO_CHANNEL, req->lens[1]) != 0) {
		sn_resp_error(&c->out,
		              "ERR Only HELLO messages are accepted by Sentinel instances.");
		return;
	}
	/* Like Redis: :1 whether or not the hello was usable. */
	if (s->hooks.hello != NULL)
		(void)s->hooks.hello(s->hooks.ctx, req->argv[2], req->lens[2]);
	sn_resp_int(&c->out, 1);
}

/* ---- AUTH HELLO and client names --------------------------------------------------------- */

static void auth_failed(struct sn_client *c)
{
	/* Never log what was sent: it may be a real password for something else. */
	sn_log(SN_LOG_VERBOSE, "event=auth_failed id=%llu addr=%s", (unsigned long long)c->id,
	       c->addr);
	sn_resp_error(&c->out, WRONGPASS_ERR);
}

static void cmd_auth(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (req->argc > 3) {
		sn_resp_error(&c->out, SYNTAX_ERR);
		return;
	}
	if (req->argc == 2 && !sn_server_has_password(s)) {
		sn_resp_error(&c->out, "ERR AUTH <password> called without any password configured "
		                       "for the default user. Are you sure your configuration is "
		                       "correct?");
		return;
	}
	const char *user = req->argc == 3 ? req->argv[1] : NULL;
	size_t ulen = req->argc == 3 ? req->lens[1] : 0;
	int pi = req->argc - 1;
	if (sn_server_check_auth(s, user, ulen, req->argv[pi], req->lens[pi]) != 0) {
		auth_failed(c); /* a failed AUTH keeps an earlier success, as in Redis */
		return;
	}
	c->authed = true;
	sn_resp_status(&c->out, "OK");
}

/* Redis's clientSetNameOrReply: "" clears; only '!'..'~'. Returns 0 or -1 (error appended). */
static int set_client_name(struct sn_client *c, const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < '!' || ch > '~') {
			sn_resp_error(&c->out,
			              "ERR Client names cannot contain spaces, newlines or "
			              "special characters.");
			return -1;
		}
	}
	free(c->name);
	c->name = NULL;
	if (len == 0)
		return 0;
	c->name = malloc(len + 1);
	if (c->name == NULL)
		abort();
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	return 0;
}

struct hello_args {
	long long proto;
	int auth_at;    /* index of the user name, 0 = no AUTH */
	int setname_at; /* index of the name, 0 = no SETNAME */
};

/* Parse HELLO's arguments; returns 0 or -1 with the error appended. */
static int hello_parse(struct sn_client *c, const struct sn_req *req, struct hello_args *a)
{
	int j = 1;
	*a = (struct hello_args){0};
	if (req->argc >= 2) {
		if (sn_resp_parse_ll(req->argv[1], req->lens[1], &a->proto) != 0) {
			sn_resp_error(&c->out,
			              "ERR Protocol version is not an integer or out of range");
			return -1;
		}
		if (a->proto < 2 || a->proto > 3) {
			sn_resp_error(&c->out, "NOPROTO unsupported protocol version");
			return -1;
		}
		j = 2;
	}
	for (; j < req->argc; j++) {
		int more = req->argc - 1 - j;
		if (arg_is(req, j, "auth") && more >= 2) {
			a->auth_at = j + 1;
			j += 2;
		} else if (arg_is(req, j, "setname") && more >= 1) {
			a->setname_at = j + 1;
			j++;
		} else {
			sn_resp_error_fmt(&c->out, "ERR Syntax error in HELLO option '%s'",
			                  req->argv[j]);
			return -1;
		}
	}
	return 0;
}

static void cmd_hello(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	struct hello_args a;
	if (hello_parse(c, req, &a) != 0)
		return;
	if (a.auth_at != 0) {
		int u = a.auth_at;
		if (sn_server_check_auth(s, req->argv[u], req->lens[u], req->argv[u + 1],
		                         req->lens[u + 1]) != 0) {
			auth_failed(c);
			return;
		}
		c->authed = true;
	}
	if (!c->authed) {
		sn_resp_error(&c->out,
		              "NOAUTH HELLO must be called with the client already "
		              "authenticated, otherwise the HELLO AUTH <user> <pass> option "
		              "can be used to authenticate the client and select the RESP "
		              "protocol version at the same time");
		return;
	}
	if (a.setname_at != 0 &&
	    set_client_name(c, req->argv[a.setname_at], req->lens[a.setname_at]) != 0)
		return;
	if (a.proto != 0)
		c->proto = (int)a.proto;
	/* Sentinel mode: 6 fields, no "role" (sentinel-protocol.md §6.5). */
	sn_resp_map(&c->out, c->proto, 6);
	sn_resp_bulk_str(&c->out, "server");
	sn_resp_bulk_str(&c->out, "redis");
	sn_resp_bulk_str(&c->out, "version");
	sn_resp_bulk_str(&c->out, VIGIL_REDIS_VERSION);
	sn_resp_bulk_str(&c->out, "proto");
	sn_resp_int(&c->out, c->proto);
	sn_resp_bulk_str(&c->out, "id");
	sn_resp_int(&c->out, (long long)c->id);
	sn_resp_bulk_str(&c->out, "mode");
	sn_resp_bulk_str(&c->out, "sentinel");
	sn_resp_bulk_str(&c->out, "modules");
	sn_resp_array(&c->out, 0);
}

/* ---- pub/sub commands -------------------------------------------------------------------- */

static void sub_reply(struct sn_client *c, const char *kind, const char *name, size_t len)
{
	sn_resp_push(&c->out, c->proto, 3);
	sn_resp_bulk_str(&c->out, kind);
	if (name != NULL)
		sn_resp_bulk(&c->out, name, len);
	else
		sn_resp_null(&c->out, c->proto);
	sn_resp_int(&c->out, c->sub_count);
}

static void subscribe(struct sn_client *c, const struct sn_req *req, bool pattern)
{
	const char *kind = pattern ? "psubscribe" : "subscribe";
	for (int i = 1; i < req->argc; i++) {
		if (sn_client_sub_add(c, pattern, req->argv[i], req->lens[i]) < 0) {
			sn_resp_error_fmt(&c->out,
			                  "ERR too many subscriptions (at most %u, %u bytes)",
			                  SN_CLIENT_SUBS_MAX, SN_CLIENT_SUB_BYTES_MAX);
			return;
		}
		sub_reply(c, kind, req->argv[i], req->lens[i]);
	}
}

static void unsubscribe(struct sn_client *c, const struct sn_req *req, bool pattern)
{
	const char *kind = pattern ? "punsubscribe" : "unsubscribe";
	if (req->argc > 1) {
		for (int i = 1; i < req->argc; i++) {
			(void)sn_client_sub_remove(c, pattern, req->argv[i], req->lens[i]);
			sub_reply(c, kind, req->argv[i], req->lens[i]);
		}
		return;
	}
	uint32_t n = pattern ? c->pattern_count : c->channel_count;
	if (n == 0) {
		sub_reply(c, kind, NULL, 0);
		return;
	}
	/* All of them, oldest first; bounded by the count taken before. */
	for (uint32_t done = 0; done < n; done++) {
		uint32_t i = 0;
		while (i < c->sub_count && c->subs[i].pattern != pattern)
			i++;
		if (i == c->sub_count)
			break;
		struct sn_sub sub = c->subs[i];
		sn_resp_push(&c->out, c->proto, 3);
		sn_resp_bulk_str(&c->out, kind);
		sn_resp_bulk(&c->out, sub.name, sub.len);
		(void)sn_client_sub_remove(c, pattern, sub.name, sub.len); /* frees sub.name */
		sn_resp_int(&c->out, c->sub_count);
	}
}

static void cmd_subscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	subscribe(c, req, false);
}

static void cmd_psubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	subscribe(c, req, true);
}

static void cmd_unsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	unsubscribe(c, req, false);
}

static void cmd_punsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	unsubscribe(c, req, true);
}

/* ---- CLIENT ------------------------------------------------------------------------------ */

enum client_type { CT_NORMAL, CT_REPLICA, CT_PUBSUB, CT_MASTER, CT_UNKNOWN };

static enum client_type client_type_by_name(const struct sn_req *req, int i)
{
	if (arg_is(req, i, "normal"))
		return CT_NORMAL;
	if (arg_is(req, i, "slave") || arg_is(req, i, "replica"))
		return CT_REPLICA;
	if (arg_is(req, i, "pubsub"))
		return CT_PUBSUB;
	if (arg_is(req, i, "master"))
		return CT_MASTER;
	return CT_UNKNOWN;
}

static enum client_type client_type_of(const struct sn_client *c)
{
	return c->sub_count > 0 ? CT_PUBSUB : CT_NORMAL;
}

/* One CLIENT LIST line, fields in Redis 7.0's order (catClientInfoString). */
static void client_info_line(struct sn_buf *b, const struct sn_client *c, int64_t now_ms)
{
	char flags[4];
	size_t f = 0;
	if (c->sub_count > 0)
		flags[f++] = 'P';
	if (c->close_after_reply)
		flags[f++] = 'c';
	if (f == 0)
		flags[f++] = 'N';
	flags[f] = '\0';
	const char *events = ev_is_active(&c->read_io) ? (ev_is_active(&c->write_io) ? "rw" : "r")
	                                               : (ev_is_active(&c->write_io) ? "w" : "");
	size_t qbuf = sn_reqparser_pending(&c->parser);
	size_t rbs = c->parser.in.cap;
	size_t tot = sizeof(*c) + rbs + c->out.cap + c->sub_bytes + c->argv_mem;
	sn_buf_printf(b,
	              "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 "
	              "sub=%u psub=%u ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=%zu "
	              "multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=%s "
	              "cmd=%s user=default redir=-1 resp=%d\n",
	              (unsigned long long)c->id, c->addr, c->laddr, c->fd,
	              c->name != NULL ? c->name : "", (long long)((now_ms - c->created_ms) / 1000),
	              (long long)((now_ms - c->last_ms) / 1000), flags, c->channel_count,
	              c->pattern_count, qbuf, rbs > c->parser.in.len ? rbs - c->parser.in.len : 0,
	              c->argv_mem, rbs, rbs, c->out.len - c->out_sent, c->out.cap, tot, events,
	              c->last_cmd, c->proto);
}

static void cmd_client_getname(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	if (c->name != NULL)
		sn_resp_bulk_str(&c->out, c->name);
	else
		sn_resp_null(&c->out, c->proto);
}

static void cmd_client_setname(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	if (set_client_name(c, req->argv[2], req->lens[2]) == 0)
		sn_resp_status(&c->out, "OK");
}

static void cmd_client_id(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	sn_resp_int(&c->out, (long long)c->id);
}

static void cmd_client_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	struct sn_buf line;
	(void)s;
	(void)req;
	sn_buf_init(&line);
	client_info_line(&line, c, sn_clock_now_ms());
	sn_resp_verbatim(&c->out, c->proto, line.data, line.len);
	sn_buf_free(&line);
}

static void cmd_client_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	enum client_type type = CT_UNKNOWN;
	bool by_id = req->argc > 3 && arg_is(req, 2, "id");
	if (req->argc == 4 && arg_is(req, 2, "type")) {
		type = client_type_by_name(req, 3);
		if (type == CT_UNKNOWN) {
			sn_resp_error_fmt(&c->out, "ERR Unknown client type '%s'", req->argv[3]);
			return;
		}
	} else if (!by_id && req->argc != 2) {
		sn_resp_error(&c->out, SYNTAX_ERR);
		return;
	}
	struct sn_buf o;
	int64_t now_ms = sn_clock_now_ms();
	sn_buf_init(&o);
	for (int j = 3; by_id && j < req->argc; j++) {
		long long id;
		if (sn_resp_parse_ll(req->argv[j], req->lens[j], &id) != 0) {
			sn_buf_free(&o);
			sn_resp_error(&c->out, "ERR Invalid client ID");
			return;
		}
		for (struct sn_client *x = s->clients; x != NULL; x = x->next) {
			if ((long long)x->id == id)
				client_info_line(&o, x, now_ms);
		}
	}
	for (struct sn_client *x = s->clients; !by_id && x != NULL; x = x->next) {
		if (type == CT_UNKNOWN || client_type_of(x) == type)
			client_info_line(&o, x, now_ms);
	}
	sn_resp_verbatim(&c->out, c->proto, o.data != NULL ? o.data : "", o.len);
	sn_buf_free(&o);
}

struct kill_filter {
	const char *addr;
	const char *laddr;
	enum client_type type; /* CT_UNKNOWN = any */
	long long id;          /* 0 = any */
	bool skipme;
};

/* Parse "CLIENT KILL <option> <value> ..."; returns 0 or -1 with the error appended. */
static int kill_parse(struct sn_client *c, const struct sn_req *req, struct kill_filter *f)
{
	for (int i = 2; i < req->argc; i += 2) {
		bool more = req->argc > i + 1;
		const char *val = more ? req->argv[i + 1] : NULL;
		if (arg_is(req, i, "id") && more) {
			if (sn_resp_parse_ll(val, req->lens[i + 1], &f->id) != 0 || f->id < 1) {
				sn_resp_error(&c->out, "ERR client-id should be greater than 0");
				return -1;
			}
		} else if (arg_is(req, i, "type") && more) {
			f->type = client_type_by_name(req, i + 1);
			if (f->type == CT_UNKNOWN) {
				sn_resp_error_fmt(&c->out, "ERR Unknown client type '%s'", val);
				return -1;
			}
		} else if (arg_is(req, i, "addr") && more) {
			f->addr = val;
		} else if (arg_is(req, i, "laddr") && more) {
			f->laddr = val;
		} else if (arg_is(req, i, "user") && more) {
			if (!arg_is(req, i + 1, "default")) { /* every client is "default" */
				sn_resp_error_fmt(&c->out, "ERR No such user '%s'", val);
				return -1;
			}
		} else if (arg_is(req, i, "skipme") && more && arg_is(req, i + 1, "yes")) {
			f->skipme = true;
		} else if (arg_is(req, i, "skipme") && more && arg_is(req, i + 1, "no")) {
			f->skipme = false;
		} else {
			sn_resp_error(&c->out, SYNTAX_ERR);
			return -1;
		}
	}
	return 0;
}

static bool kill_matches(const struct kill_filter *f, const struct sn_client *x,
                         const struct sn_client *self)
{
	if (f->addr != NULL && strcmp(x->addr, f->addr) != 0)
		return false;
	if (f->laddr != NULL && strcmp(x->laddr, f->laddr) != 0)
		return false;
	if (f->type != CT_UNKNOWN && client_type_of(x) != f->type)
		return false;
	if (f->id != 0 && (long long)x->id != f->id)
		return false;
	return !(x == self && f->skipme);
}

static void cmd_client_kill(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	/* Old form: CLIENT KILL addr:port (may kill the caller); new form: option/value pairs. */
	struct kill_filter f = {.type = CT_UNKNOWN, .skipme = true};
	bool old_form = req->argc == 3;
	if (old_form) {
		f.addr = req->argv[2];
		f.skipme = false;
	} else if (kill_parse(c, req, &f) != 0) {
		return;
	}
	long long killed = 0;
	struct sn_client *next;
	for (struct sn_client *x = s->clients; x != NULL; x = next) {
		next = x->next;
		if (!kill_matches(&f, x, c))
			continue;
		sn_log(SN_LOG_NOTICE, "event=client_killed id=%llu addr=%s by_id=%llu",
		       (unsigned long long)x->id, x->addr, (unsigned long long)c->id);
		sn_server_kill_client(s, x); /* the caller itself closes after this reply */
		killed++;
	}
	if (!old_form)
		sn_resp_int(&c->out, killed);
	else if (killed == 0)
		sn_resp_error(&c->out, "ERR No such client");
	else
		sn_resp_status(&c->out, "OK");
}

static void reply_help(struct sn_client *c, const char *const *lines)
{
	size_t n = 0;
	while (lines[n] != NULL)
		n++;
	sn_resp_array(&c->out, n);
	for (size_t i = 0; i < n; i++)
		sn_resp_status(&c->out, lines[i]);
}

static void cmd_client_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	static const char *const lines[] = {
	    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	    "GETNAME",
	    "    Return the name of the current connection.",
	    "ID",
	    "    Return the ID of the current connection.",
	    "INFO",
	    "    Return information about the current client connection.",
	    "KILL <ip:port>",
	    "    Kill connection made from <ip:port>.",
	    "KILL <option> <value> [<option> <value> [...]]",
	    "    Kill connections. Options are:",
	    "    * ADDR (<ip:port>|<unixsocket>:0)",
	    "      Kill connections made from the specified address",
	    "    * LADDR (<ip:port>|<unixsocket>:0)",
	    "      Kill connections made to specified local address",
	    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	    "      Kill connections by type.",
	    "    * USER <username>",
	    "      Kill connections authenticated by <username>.",
	    "    * SKIPME (YES|NO)",
	    "      Skip killing current connection (default: yes).",
	    "LIST [options ...]",
	    "    Return information about client connections. Options:",
	    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	    "      Return clients of specified type.",
	    "SETNAME <name>",
	    "    Assign the name <name> to the current connection.",
	    "HELP",
	    "    Prints this help.",
	    NULL,
	};
	(void)s;
	(void)req;
	reply_help(c, lines);
}

/* ---- COMMAND ----------------------------------------------------------------------------- */

static size_t count_words(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p != '\0';) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		n++;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return n;
}

/* A set of the space-separated words of s, as status replies or bulk strings. */
static void put_words(struct sn_buf *b, int proto, const char *s, bool status)
{
	sn_resp_set(b, proto, count_words(s));
	for (const char *p = s; *p != '\0';) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p != ' ' && *p != '\0')
			p++;
		if (p == w)
			break;
		if (status) {
			sn_buf_printf(b, "+%.*s\r\n", (int)(p - w), w);
		} else {
			sn_resp_bulk(b, w, (size_t)(p - w));
		}
	}
}

static size_t table_len(const struct sn_cmd *tab)
{
	size_t n = 0;
	while (tab != NULL && tab[n].name != NULL)
		n++;
	return n;
}

/* One COMMAND INFO entry (10 fields); subcommands nest one level. */
static void put_cmd_info(struct sn_buf *b, int proto, const struct sn_cmd *cmd)
{
	sn_resp_array(b, 10);
	sn_resp_bulk_str(b, cmd->fullname);
	sn_resp_int(b, cmd->arity);
	put_words(b, proto, cmd->wire_flags, true);
	sn_resp_int(b, 0); /* first key */
	sn_resp_int(b, 0); /* last key */
	sn_resp_int(b, 0); /* step */
	put_words(b, proto, cmd->acl_cats, true);
	put_words(b, proto, cmd->tips, false);
	sn_resp_set(b, proto, 0); /* key specs */
	if (cmd->subs == NULL) {
		sn_resp_set(b, proto, 0);
		return;
	}
	size_t n = table_len(cmd->subs);
	sn_resp_array(b, n);
	for (size_t i = 0; i < n; i++)
		put_cmd_info(b, proto, &cmd->subs[i]);
}

/* One COMMAND DOCS map (summary, since, group, [complexity], [deprecation], [subcommands]). */
static void put_cmd_docs(struct sn_buf *b, int proto, const struct sn_cmd *cmd)
{
	const struct sn_cmd_doc *d = &cmd->doc;
	size_t n = 3 + (d->complexity != NULL) + (d->deprecated_since != NULL ? 3 : 0) +
	           (cmd->subs != NULL);
	sn_resp_map(b, proto, n);
	sn_resp_bulk_str(b, "summary");
	sn_resp_bulk_str(b, d->summary);
	sn_resp_bulk_str(b, "since");
	sn_resp_bulk_str(b, d->since);
	sn_resp_bulk_str(b, "group");
	sn_resp_bulk_str(b, d->group);
	if (d->complexity != NULL) {
		sn_resp_bulk_str(b, "complexity");
		sn_resp_bulk_str(b, d->complexity);
	}
	if (d->deprecated_since != NULL) {
		sn_resp_bulk_str(b, "doc_flags");
		put_words(b, proto, "deprecated", true);
		sn_resp_bulk_str(b, "deprecated_since");
		sn_resp_bulk_str(b, d->deprecated_since);
		sn_resp_bulk_str(b, "replaced_by");
		sn_resp_bulk_str(b, d->replaced_by != NULL ? d->replaced_by : "");
	}
	if (cmd->subs == NULL)
		return;
	size_t subs = table_len(cmd->subs);
	sn_resp_bulk_str(b, "subcommands");
	sn_resp_map(b, proto, subs);
	for (size_t i = 0; i < subs; i++) {
		sn_resp_bulk_str(b, cmd->subs[i].fullname);
		put_cmd_docs(b, proto, &cmd->subs[i]);
	}
}

static void cmd_command(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	size_t n = table_len(cmd_table);
	sn_resp_array(&c->out, n);
	for (size_t i = 0; i < n; i++)
		put_cmd_info(&c->out, c->proto, &cmd_table[i]);
}

static void cmd_command_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (req->argc == 2) {
		cmd_command(s, c, req);
		return;
	}
	sn_resp_array(&c->out, (size_t)req->argc - 2);
	for (int i = 2; i < req->argc; i++) {
		const struct sn_cmd *cmd = find_fullname(req->argv[i], req->lens[i]);
		if (cmd != NULL)
			put_cmd_info(&c->out, c->proto, cmd);
		else
			sn_resp_null(&c->out, c->proto);
	}
}

static void cmd_command_docs(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	if (req->argc == 2) {
		size_t n = table_len(cmd_table);
		sn_resp_map(&c->out, c->proto, n);
		for (size_t i = 0; i < n; i++) {
			sn_resp_bulk_str(&c->out, cmd_table[i].fullname);
			put_cmd_docs(&c->out, c->proto, &cmd_table[i]);
		}
		return;
	}
	size_t found = 0;
	for (int i = 2; i < req->argc; i++)
		found += find_fullname(req->argv[i], req->lens[i]) != NULL;
	sn_resp_map(&c->out, c->proto, found);
	for (int i = 2; i < req->argc; i++) {
		const struct sn_cmd *cmd = find_fullname(req->argv[i], req->lens[i]);
		if (cmd == NULL)
			continue; /* unknown names are skipped, as Redis does */
		sn_resp_bulk_str(&c->out, cmd->fullname);
		put_cmd_docs(&c->out, c->proto, cmd);
	}
}

static void cmd_command_count(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	sn_resp_int(&c->out, (long long)table_len(cmd_table));
}

enum list_filter { LF_NONE, LF_MODULE, LF_ACLCAT, LF_PATTERN };

static bool list_keep(enum list_filter f, const struct sn_req *req, const struct sn_cmd *cmd)
{
	if (f == LF_NONE)
		return true;
	if (f == LF_MODULE)
		return false; /* no modules here */
	const char *arg = req->argv[4];
	size_t alen = req->lens[4];
	if (f == LF_PATTERN)
		return sn_resp_glob_match(arg, alen, cmd->fullname, strlen(cmd->fullname), true);
	/* ACLCAT: "pubsub" matches "@pubsub" in the category list */
	for (const char *p = strchr(cmd->acl_cats, '@'); p != NULL; p = strchr(p + 1, '@')) {
		size_t wl = strcspn(p + 1, " ");
		if (wl == alen && strncasecmp(p + 1, arg, alen) == 0)
			return true;
	}
	return false;
}

/* Count the names COMMAND LIST keeps, appending them to out unless it is NULL. */
static size_t list_walk(struct sn_buf *out, enum list_filter f, const struct sn_req *req)
{
	size_t n = 0;
	for (const struct sn_cmd *t = cmd_table; t->name != NULL; t++) {
		size_t subs = table_len(t->subs);
		for (size_t i = 0; i <= subs; i++) {
			const struct sn_cmd *x = i == 0 ? t : &t->subs[i - 1];
			if (!list_keep(f, req, x))
				continue;
			if (out != NULL)
				sn_resp_bulk_str(out, x->fullname);
			n++;
		}
	}
	return n;
}

static void cmd_command_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	enum list_filter f = LF_NONE;
	(void)s;
	if (req->argc != 2) {
		if (req->argc != 5 || !arg_is(req, 2, "filterby")) {
			sn_resp_error(&c->out, SYNTAX_ERR);
			return;
		}
		f = arg_is(req, 3, "module")    ? LF_MODULE
		    : arg_is(req, 3, "aclcat")  ? LF_ACLCAT
		    : arg_is(req, 3, "pattern") ? LF_PATTERN
		                                : LF_NONE;
		if (f == LF_NONE) {
			sn_resp_error(&c->out, SYNTAX_ERR);
			return;
		}
	}
	sn_resp_array(&c->out, list_walk(NULL, f, req));
	(void)list_walk(&c->out, f, req);
}

static void cmd_command_getkeys(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	const struct sn_cmd *cmd = find_in(cmd_table, req->argv[2], req->lens[2]);
	if (cmd != NULL && cmd->subs != NULL && req->argc >= 4)
		cmd = find_in(cmd->subs, req->argv[3], req->lens[3]);
	/* None of our commands take keys. */
	sn_resp_error(&c->out, cmd == NULL ? "ERR Invalid command specified"
	                                   : "ERR The command has no key arguments");
}

static void cmd_command_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	static const char *const lines[] = {
	    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	    "(no subcommand)",
	    "    Return details about all Redis commands.",
	    "COUNT",
	    "    Return the total number of commands in this Redis server.",
	    "LIST",
	    "    Return a list of all commands in this Redis server.",
	    "INFO [<command-name> ...]",
	    "    Return details about multiple Redis commands.",
	    "    If no command names are given, documentation details for all",
	    "    commands are returned.",
	    "DOCS [<command-name> ...]",
	    "    Return documentation details about multiple Redis commands.",
	    "    If no command names are given, documentation details for all",
	    "    commands are returned.",
	    "GETKEYS <full-command>",
	    "    Return the keys from a full Redis command.",
	    "GETKEYSANDFLAGS <full-command>",
	    "    Return the keys and the access flags from a full Redis command.",
	    "HELP",
	    "    Prints this help.",
	    NULL,
	};
	(void)s;
	(void)req;
	reply_help(c, lines);
}

/* ---- INFO -------------------------------------------------------------------------------- */

enum info_section { SEC_SERVER, SEC_CLIENTS, SEC_CPU, SEC_STATS, SEC_SENTINEL };

static const char *const info_section_names[INFO_SECTIONS] = {"server", "clients", "cpu", "stats",
                                                              "sentinel"};

static const char *ev_backend_name(struct ev_loop *loop)
{
	unsigned b = ev_backend(loop);
	return b == EVBACKEND_EPOLL    ? "epoll"
	       : b == EVBACKEND_POLL   ? "poll"
	       : b == EVBACKEND_SELECT ? "select"
	       : b == EVBACKEND_KQUEUE ? "kqueue"
	                               : "libev";
}

static void info_server(struct sn_server *s, struct sn_buf *b)
{
	struct utsname u;
	struct timespec now;
	char exe[512];
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t up_s = (sn_clock_now_ms() - s->started_ms) / 1000;
	sn_buf_printf(b,
	              "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\n"
	              "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:sentinel\r\n"
	              "os:%s %s %s\r\narch_bits:%d\r\nmonotonic_clock:POSIX clock_gettime\r\n"
	              "multiplexing_api:%s\r\natomicvar_api:c11-builtin\r\ngcc_version:%d.%d.%d\r\n"
	              "process_id:%ld\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%u\r\n"
	              "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
	              "hz:10\r\nconfigured_hz:10\r\nlru_clock:%lld\r\nexecutable:%s\r\n"
	              "config_file:%s\r\nio_threads_active:0\r\nvigil_version:%s\r\n",
	              VIGIL_REDIS_VERSION, u.sysname, u.release, u.machine, (int)(sizeof(long) * 8),
	              ev_backend_name(s->loop), __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
	              (long)getpid(), s->run_id, (unsigned)s->port,
	              (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000, (long long)up_s,
	              (long long)(up_s / 86400), (long long)(now.tv_sec & ((1 << 24) - 1)), exe,
	              s->config_path != NULL ? s->config_path : "", VIGIL_VERSION);
}

static void info_clients(struct sn_server *s, struct sn_buf *b)
{
	sn_buf_printf(b,
	              "# Clients\r\nconnected_clients:%u\r\ncluster_connections:0\r\n"
	              "maxclients:%u\r\nclient_recent_max_input_buffer:%zu\r\n"
	              "client_recent_max_output_buffer:%zu\r\nblocked_clients:0\r\n"
	              "tracking_clients:0\r\nclients_in_timeout_table:0\r\n",
	              s->client_count, s->maxclients, s->stats.recent_max_input_bytes,
	              s->stats.recent_max_output_bytes);
}

static void info_cpu(struct sn_buf *b)
{
	struct rusage self, children;
	if (getrusage(RUSAGE_SELF, &self) != 0)
		memset(&self, 0, sizeof(self));
	if (getrusage(RUSAGE_CHILDREN, &children) != 0)
		memset(&children, 0, sizeof(children));
	/* single-threaded: the main thread is the process */
	sn_buf_printf(
	    b,
	    "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n"
	    "used_cpu_sys_children:%ld.%06ld\r\nused_cpu_user_children:%ld.%06ld\r\n"
	    "used_cpu_sys_main_thread:%ld.%06ld\r\nused_cpu_user_main_thread:%ld.%06ld\r\n",
	    (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec,
	    (long)self.ru_utime.tv_usec, (long)children.ru_stime.tv_sec,
	    (long)children.ru_stime.tv_usec, (long)children.ru_utime.tv_sec,
	    (long)children.ru_utime.tv_usec, (long)self.ru_stime.tv_sec,
	    (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec);
}

static int sub_cmp(const void *a, const void *b)
{
	const struct sn_sub *x = *(const struct sn_sub *const *)a;
	const struct sn_sub *y = *(const struct sn_sub *const *)b;
	if (x->pattern != y->pattern)
		return x->pattern ? 1 : -1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

/* Distinct channels and patterns with subscribers (Redis counts dict keys). Past
 * PUBSUB_DISTINCT_MAX subscriptions, fall back to plain sums rather than sort them all. */
static void count_pubsub(struct sn_server *s, size_t *channels, size_t *patterns)
{
	size_t total = 0, k = 0;
	*channels = *patterns = 0;
	for (struct sn_client *c = s->clients; c != NULL; c = c->next) {
		total += c->sub_count;
		*channels += c->channel_count;
		*patterns += c->pattern_count;
	}
	if (total == 0 || total > PUBSUB_DISTINCT_MAX)
		return;
	const struct sn_sub **all = malloc(total * sizeof(*all));
	if (all == NULL)
		return;
	for (struct sn_client *c = s->clients; c != NULL; c = c->next) {
		for (uint32_t i = 0; i < c->sub_count; i++)
			all[k++] = &c->subs[i];
	}
	qsort(all, total, sizeof(*all), sub_cmp);
	*channels = *patterns = 0;
	for (size_t i = 0; i < total; i++) {
		if (i > 0 && sub_cmp(&all[i - 1], &all[i]) == 0)
			continue;
		if (all[i]->pattern)
			(*patterns)++;
		else
			(*channels)++;
	}
	free(all);
}

static uint64_t inst_metric(const struct sn_server *s, int m)
{
	uint64_t sum = 0;
	for (int i = 0; i < SN_SERVER_STATS_SAMPLES; i++)
		sum += s->inst.samples[m][i];
	return sum / SN_SERVER_STATS_SAMPLES;
}

static void info_stats(struct sn_server *s, struct sn_buf *b)
{
	const struct sn_server_stats *st = &s->stats;
	size_t channels, patterns;
	count_pubsub(s, &channels, &patterns);
	sn_buf_printf(
	    b,
	    "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
	    "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
	    "total_net_output_bytes:%llu\r\ntotal_net_repl_input_bytes:0\r\n"
	    "total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:%.2f\r\n"
	    "instantaneous_output_kbps:%.2f\r\ninstantaneous_input_repl_kbps:0.00\r\n"
	    "instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%llu\r\n",
	    (unsigned long long)st->connections_received,
	    (unsigned long long)st->commands_processed, (unsigned long long)inst_metric(s, 0),
	    (unsigned long long)st->net_input_bytes, (unsigned long long)st->net_output_bytes,
	    (double)inst_metric(s, 1) / 1024, (double)inst_metric(s, 2) / 1024,
	    (unsigned long long)st->rejected_connections);
	/* The keyspace, replication, fork and defrag counters of a data node stay zero here. */
	sn_buf_append_str(
	    b, "sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n"
	       "expired_keys:0\r\nexpired_stale_perc:0.00\r\n"
	       "expired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\n"
	       "evicted_keys:0\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\n"
	       "current_eviction_exceeded_time:0\r\nkeyspace_hits:0\r\n"
	       "keyspace_misses:0\r\n");
	sn_buf_printf(b, "pubsub_channels:%zu\r\npubsub_patterns:%zu\r\n", channels, patterns);
	sn_buf_append_str(b, "pubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\n"
	                     "migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n"
	                     "active_defrag_hits:0\r\nactive_defrag_misses:0\r\n"
	                     "active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
	                     "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\n"
	                     "tracking_total_keys:0\r\ntracking_total_items:0\r\n"
	                     "tracking_total_prefixes:0\r\nunexpected_error_replies:0\r\n");
	sn_buf_printf(b,
	              "total_error_replies:%llu\r\ndump_payload_sanitizations:0\r\n"
	              "total_reads_processed:%llu\r\ntotal_writes_processed:%llu\r\n"
	              "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n"
	              "reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
	              (unsigned long long)st->error_replies,
	              (unsigned long long)st->reads_processed,
	              (unsigned long long)st->writes_processed);
}

/* Which sections INFO asked for: none = all five; "all"/"default"/"everything" = all five;
 * unknown names are ignored (sentinelInfoCommand). */
static void info_pick(const struct sn_req *req, bool want[INFO_SECTIONS])
{
	bool any = req->argc == 1;
	for (int i = 1; i < req->argc; i++) {
		if (arg_is(req, i, "all") || arg_is(req, i, "default") ||
		    arg_is(req, i, "everything"))
			any = true;
		for (int k = 0; k < INFO_SECTIONS; k++) {
			if (arg_is(req, i, info_section_names[k]))
				want[k] = true;
		}
	}
	for (int k = 0; any && k < INFO_SECTIONS; k++)
		want[k] = true;
}

static void cmd_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	bool want[INFO_SECTIONS] = {false};
	struct sn_buf b;
	info_pick(req, want);
	sn_buf_init(&b);
	/* Fixed order whatever the request order; a blank line between sections. */
	for (int k = 0; k < INFO_SECTIONS; k++) {
		if (!want[k])
			continue;
		if (k == SEC_SENTINEL && s->hooks.info_sentinel == NULL)
			continue;
		if (b.len > 0)
			sn_buf_append(&b, "\r\n", 2);
		switch ((enum info_section)k) {
		case SEC_SERVER:
			info_server(s, &b);
			break;
		case SEC_CLIENTS:
			info_clients(s, &b);
			break;
		case SEC_CPU:
			info_cpu(&b);
			break;
		case SEC_STATS:
			info_stats(s, &b);
			break;
		case SEC_SENTINEL:
			s->hooks.info_sentinel(s->hooks.ctx, &b);
			break;
		}
	}
	/* A bulk string even in RESP3, as redis-sentinel sends it. */
	sn_resp_bulk(&c->out, b.data != NULL ? b.data : "", b.len);
	sn_buf_free(&b);
}
