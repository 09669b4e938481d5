// SPDX-License-Identifier: BSD-3-Clause
/*
 * CLIENT and its subcommands (GETNAME, SETNAME, ID, INFO, LIST, KILL, HELP) with Redis 7.0's
 * reply formats and error texts, plus the client-name rule HELLO SETNAME shares. It reads the
 * server's client list and may ask the server to close clients; it never frees one itself.
 */
#include "cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd_internal.h"
#include "log.h"

/* Redis's clientSetNameOrReply (contract in cmd_internal.h). */
int sn_cmd_client_set_name(struct sn_client *c, const char *name, size_t len)
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

enum client_type { CT_NORMAL, CT_REPLICA, CT_PUBSUB, CT_MASTER, CT_UNKNOWN };

static enum client_type client_type_by_name(const struct sn_req *req, int i)
{
	if (sn_cmd_arg_is(req, i, "normal"))
		return CT_NORMAL;
	if (sn_cmd_arg_is(req, i, "slave") || sn_cmd_arg_is(req, i, "replica"))
		return CT_REPLICA;
	if (sn_cmd_arg_is(req, i, "pubsub"))
		return CT_PUBSUB;
	if (sn_cmd_arg_is(req, i, "master"))
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

void sn_cmd_run_client_getname(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	if (c->name != NULL)
		sn_resp_bulk_str(&c->out, c->name);
	else
		sn_resp_null(&c->out, c->proto);
}

void sn_cmd_run_client_setname(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	if (sn_cmd_client_set_name(c, req->argv[2], req->lens[2]) == 0)
		sn_resp_status(&c->out, "OK");
}

void sn_cmd_run_client_id(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	sn_resp_int(&c->out, (long long)c->id);
}

void sn_cmd_run_client_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	struct sn_buf line;
	(void)s;
	(void)req;
	sn_buf_init(&line);
	client_info_line(&line, c, sn_clock_now_ms());
	sn_resp_verbatim(&c->out, c->proto, line.data, line.len);
	sn_buf_free(&line);
}

void sn_cmd_run_client_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	enum client_type type = CT_UNKNOWN;
	bool by_id = req->argc > 3 && sn_cmd_arg_is(req, 2, "id");
	if (req->argc == 4 && sn_cmd_arg_is(req, 2, "type")) {
		type = client_type_by_name(req, 3);
		if (type == CT_UNKNOWN) {
			sn_resp_error_fmt(&c->out, "ERR Unknown client type '%s'", req->argv[3]);
			return;
		}
	} else if (!by_id && req->argc != 2) {
		sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
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
		if (sn_cmd_arg_is(req, i, "id") && more) {
			if (sn_resp_parse_ll(val, req->lens[i + 1], &f->id) != 0 || f->id < 1) {
				sn_resp_error(&c->out, "ERR client-id should be greater than 0");
				return -1;
			}
		} else if (sn_cmd_arg_is(req, i, "type") && more) {
			f->type = client_type_by_name(req, i + 1);
			if (f->type == CT_UNKNOWN) {
				sn_resp_error_fmt(&c->out, "ERR Unknown client type '%s'", val);
				return -1;
			}
		} else if (sn_cmd_arg_is(req, i, "addr") && more) {
			f->addr = val;
		} else if (sn_cmd_arg_is(req, i, "laddr") && more) {
			f->laddr = val;
		} else if (sn_cmd_arg_is(req, i, "user") && more) {
			if (!sn_cmd_arg_is(req, i + 1, "default")) { /* every client is "default" */
				sn_resp_error_fmt(&c->out, "ERR No such user '%s'", val);
				return -1;
			}
		} else if (sn_cmd_arg_is(req, i, "skipme") && more &&
		           sn_cmd_arg_is(req, i + 1, "yes")) {
			f->skipme = true;
		} else if (sn_cmd_arg_is(req, i, "skipme") && more &&
		           sn_cmd_arg_is(req, i + 1, "no")) {
			f->skipme = false;
		} else {
			sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
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

void sn_cmd_run_client_kill(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
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

void sn_cmd_run_client_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	static const char *const lines[] = {
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
	    NULL,
	};
	(void)s;
	(void)req;
	sn_cmd_reply_help(c, "CLIENT", lines);
}
