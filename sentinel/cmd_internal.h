/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the command files (cmd.c, cmd_client.c, cmd_command.c, cmd_info.c, cmd_table.c) share
 * and nothing else may include: the handlers the table in cmd_table.c points to, and the few
 * helpers more than one of them uses. It declares no state and adds no wire strings beyond
 * the one error text several handlers send.
 */
#ifndef SN_CMD_INTERNAL_H
#define SN_CMD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"
#include "resp.h"
#include "server.h"

#define SN_CMD_SYNTAX_ERR "ERR syntax error"

/*
 * Handlers (type sn_cmd_fn). server_client.c's dispatcher calls one only after lookup, arity,
 * AUTH and the pub/sub context were checked. It appends its reply to c->out (one per channel
 * for (P)(UN)SUBSCRIBE, none for SHUTDOWN), and neither keeps req nor frees it.
 */

/* cmd.c: connection, hand-offs to the hooks, pub/sub. */
void sn_cmd_run_ping(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_echo(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_auth(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_hello(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_quit(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_role(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_subscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_unsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_psubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_punsubscribe(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_publish(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_shutdown(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_sentinel(struct sn_server *s, struct sn_client *c, const struct sn_req *req);

/* cmd_info.c */
void sn_cmd_run_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req);

/* cmd_client.c: CLIENT <sub>. */
void sn_cmd_run_client_getname(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_client_setname(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_client_id(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_client_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_client_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_client_kill(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_client_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req);

/* cmd_command.c: COMMAND and COMMAND <sub> (GETKEYSANDFLAGS shares GETKEYS's handler). */
void sn_cmd_run_command(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_command_docs(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_command_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_command_count(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_command_list(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_command_getkeys(struct sn_server *s, struct sn_client *c, const struct sn_req *req);
void sn_cmd_run_command_help(struct sn_server *s, struct sn_client *c, const struct sn_req *req);

/*
 * Helpers.
 */

/* True when req->argv[i] (i < argc) equals word, ignoring ASCII case. */
bool sn_cmd_arg_is(const struct sn_req *req, int i, const char *word);

/* The row of tab (ended by a NULL name) whose name is name[0..len), ignoring case; or NULL. */
const struct sn_cmd *sn_cmd_find(const struct sn_cmd *tab, const char *name, size_t len);

/*
 * Append a HELP reply as Redis's addReplyHelp does: an array of status lines, "<name>
 * <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", then `lines` (ended by NULL),
 * then "HELP" and "    Prints this help.". name is the command in upper case ("CLIENT").
 */
void sn_cmd_reply_help(struct sn_client *c, const char *name, const char *const *lines);

/*
 * Redis's clientSetNameOrReply (CLIENT SETNAME, HELLO SETNAME): "" clears the name; only
 * '!'..'~' are allowed. Returns 0, or -1 with the error appended to c->out (name unchanged).
 */
int sn_cmd_client_set_name(struct sn_client *c, const char *name, size_t len)
    __attribute__((warn_unused_result));

#endif
