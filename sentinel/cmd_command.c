// SPDX-License-Identifier: BSD-3-Clause
/*
 * COMMAND and its subcommands (INFO, DOCS, COUNT, LIST, GETKEYS, GETKEYSANDFLAGS, HELP): they
 * render the rows of cmd_table.c in redis-sentinel 7.0.15's reply shapes, RESP2 and RESP3.
 * Pure rendering: it never changes the table, a client or the server.
 */
#include "cmd.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cmd_internal.h"

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
/* "client|kill" style lookup, as COMMAND INFO/DOCS take it. */
static const struct sn_cmd *find_fullname(const char *name, size_t len)
{
	const char *bar = memchr(name, '|', len);
	if (bar == NULL)
		return sn_cmd_find(sn_cmd_table(), name, len);
	const struct sn_cmd *top = sn_cmd_find(sn_cmd_table(), name, (size_t)(bar - name));
	if (top == NULL || top->subs == NULL)
		return NULL;
	return sn_cmd_find(top->subs, bar + 1, len - (size_t)(bar - name) - 1);
}

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

void sn_cmd_run_command(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	const struct sn_cmd *tab = sn_cmd_table();
	size_t n = table_len(tab);
	sn_resp_array(&c->out, n);
	for (size_t i = 0; i < n; i++)
		put_cmd_info(&c->out, c->proto, &tab[i]);
}

void sn_cmd_run_command_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	if (req->argc == 2) {
		sn_cmd_run_command(s, c, req);
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

void sn_cmd_run_command_docs(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	if (req->argc == 2) {
		const struct sn_cmd *tab = sn_cmd_table();
		size_t n = table_len(tab);
		sn_resp_map(&c->out, c->proto, n);
		for (size_t i = 0; i < n; i++) {
			sn_resp_bulk_str(&c->out, tab[i].fullname);
			put_cmd_docs(&c->out, c->proto, &tab[i]);
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

void sn_cmd_run_command_count(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	(void)req;
	sn_resp_int(&c->out, (long long)table_len(sn_cmd_table()));
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
	for (const struct sn_cmd *t = sn_cmd_table(); t->name != NULL; t++) {
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

void sn_cmd_run_command_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	enum list_filter f = LF_NONE;
	(void)s;
	if (req->argc != 2) {
		if (req->argc != 5 || !sn_cmd_arg_is(req, 2, "filterby")) {
			sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
			return;
		}
		f = sn_cmd_arg_is(req, 3, "module")    ? LF_MODULE
		    : sn_cmd_arg_is(req, 3, "aclcat")  ? LF_ACLCAT
		    : sn_cmd_arg_is(req, 3, "pattern") ? LF_PATTERN
		                                       : LF_NONE;
		if (f == LF_NONE) {
			sn_resp_error(&c->out, SN_CMD_SYNTAX_ERR);
			return;
		}
	}
	sn_resp_array(&c->out, list_walk(NULL, f, req));
	(void)list_walk(&c->out, f, req);
}

void sn_cmd_run_command_getkeys(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	(void)s;
	const struct sn_cmd *cmd = sn_cmd_find(sn_cmd_table(), req->argv[2], req->lens[2]);
	if (cmd != NULL && cmd->subs != NULL && req->argc >= 4)
		cmd = sn_cmd_find(cmd->subs, req->argv[3], req->lens[3]);
	/* None of our commands take keys. */
	sn_resp_error(&c->out, cmd == NULL ? "ERR Invalid command specified"
	                                   : "ERR The command has no key arguments");
}

void sn_cmd_run_command_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	static const char *const lines[] = {
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
	    NULL,
	};
	(void)s;
	(void)req;
	sn_cmd_reply_help(c, "COMMAND", lines);
}
