// SPDX-License-Identifier: BSD-3-Clause
/*
 * The dispatcher's side of the command layer (lookup with Redis's error texts) and the generic
 * commands of the RESP port: PING, ECHO, AUTH, HELLO, QUIT, ROLE, (P)(UN)SUBSCRIBE, PUBLISH,
 * SHUTDOWN, and SENTINEL's hand-off to the hook. CLIENT, COMMAND and INFO have files of their
 * own; the table is in cmd_table.c. It never reads or changes sentinel state itself and never
 * echoes a password.
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd_internal.h"
#include "log.h"

#define HELLO_CHANNEL "__sentinel__:hello"
#define WRONGPASS_ERR "WRONGPASS invalid username-password pair or user is disabled."

/* ---- lookup ------------------------------------------------------------------------------ */

bool sn_cmd_arg_is(const struct sn_req *req, int i, const char *word)
{
	size_t n = strlen(word);
	return req->lens[i] == n && strncasecmp(req->argv[i], word, n) == 0;
}

const struct sn_cmd *sn_cmd_find(const struct sn_cmd *tab, const char *name, size_t len)
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
	const struct sn_cmd *cmd = sn_cmd_find(sn_cmd_table(), req->argv[0], req->lens[0]);
	if (cmd == NULL) {
		reply_unknown_command(req, out);
		return NULL;
	}
	if (cmd->subs != NULL && req->argc >= 2) {
		const struct sn_cmd *sub = sn_cmd_find(cmd->subs, req->argv[1], req->lens[1]);
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
	return req->argc > 0 && (sn_cmd_arg_is(req, 0, "post") || sn_cmd_arg_is(req, 0, "host:"));
}

/* Redis's addReplyHelp: a header line naming the command, the lines, then HELP itself. */
void sn_cmd_reply_help(struct sn_client *c, const char *name, const char *const *lines)
{
	char head[SN_CMD_NAME_MAX + 64];
	size_t n = 0;
	while (lines[n] != NULL)
		n++;
	snprintf(head, sizeof(head),
	         "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name);
	sn_resp_array(&c->out, n + 3);
	sn_resp_status(&c->out, head);
	for (size_t i = 0; i < n; i++)
		sn_resp_status(&c->out, lines[i]);
	sn_resp_status(&c->out, "HELP");
	sn_resp_status(&c->out, "    Prints this help.");
}

/* ---- PING ECHO QUIT ROLE SHUTDOWN SENTINEL PUBLISH ---------------------------------------- */

void sn_cmd_run_ping(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
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

void sn_cmd_run_echo(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	sn_resp_bulk(&c->out, req->argv[1], req->lens[1]);
}

void sn_cmd_run_quit(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	sn_resp_status(&c->out, "OK");
	c->close_after_reply = true;
}

void sn_cmd_run_role(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
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

void sn_cmd_run_shutdown(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	bool nosave = false, save = false, other = false, abort_req = false;
	for (int i = 1; i < req->argc; i++) {
		if (sn_cmd_arg_is(req, i, "nosave")) {
			nosave = true;
		} else if (sn_cmd_arg_is(req, i, "save")) {
			save = true;
		} else if (sn_cmd_arg_is(req, i, "now") || sn_cmd_arg_is(req, i, "force")) {
			other = true;
		} else if (sn_cmd_arg_is(req, i, "abort")) {
			abort_req = true;
		} else {
			sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
			return;
		}
	}
	if ((abort_req && (nosave || save || other)) || (nosave && save)) {
		sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
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

void sn_cmd_run_sentinel(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (s->hooks.sentinel == NULL) {
		sn_resp_error(&c->out, "ERR Sentinel state is not available");
		return;
	}
	s->hooks.sentinel(s->hooks.ctx, c, req->argc, req->argv, req->lens);
}

void sn_cmd_run_publish(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
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

void sn_cmd_run_auth(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (req->argc > 3) {
		sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
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
		if (sn_cmd_arg_is(req, j, "auth") && more >= 2) {
			a->auth_at = j + 1;
			j += 2;
		} else if (sn_cmd_arg_is(req, j, "setname") && more >= 1) {
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

void sn_cmd_run_hello(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
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
	    sn_cmd_client_set_name(c, req->argv[a.setname_at], req->lens[a.setname_at]) != 0)
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

void sn_cmd_run_subscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	subscribe(c, req, false);
}

void sn_cmd_run_psubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	subscribe(c, req, true);
}

void sn_cmd_run_unsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	unsubscribe(c, req, false);
}

void sn_cmd_run_punsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	unsubscribe(c, req, true);
}
