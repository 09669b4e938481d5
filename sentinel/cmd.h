/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command layer of the RESP port: the command table (names, arities, flags and the COMMAND
 * metadata as redis-sentinel 7.0.15 reports it), lookup with Redis's error texts, and the
 * commands. Also the private contract between the server files (server.c, server_client.c,
 * server_pubsub.c) and the command files (cmd.c, cmd_client.c, cmd_command.c, cmd_info.c,
 * cmd_table.c): struct sn_client and the few server operations commands need; no other file
 * may include this header. It never touches sentinel state; SENTINEL/ROLE/PUBLISH hello/
 * SHUTDOWN go through the hooks.
 */
#ifndef SN_CMD_H
#define SN_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "resp.h"
#include "server.h"
#include "version.h" /* VIGIL_VERSION, VIGIL_REDIS_VERSION */

#define SN_ADDR_STR_MAX 64 /* "ip:port", "[v6]:port" */
#define SN_CMD_NAME_MAX 64 /* "sentinel|is-master-down-by-addr" + NUL */

/* Dispatch flags of a table row. */
#define SN_CMD_NO_AUTH 0x1u    /* allowed before AUTH (AUTH, HELLO, QUIT) */
#define SN_CMD_PUBSUB_CTX 0x2u /* allowed for a RESP2 client in subscribed mode */

struct sn_sub {
	char *name;
	size_t len;
	bool pattern;
};

struct sn_client {
	struct sn_server *srv;
	struct sn_client *prev, *next;
	ev_io read_io;
	ev_io write_io;
	int fd;
	uint64_t id;
	int proto;
	bool authed;
	bool close_after_reply; /* QUIT, protocol error, CLIENT KILL of itself */
	bool dead;              /* detached; memory released when its callback unwinds */
	bool paused;            /* reading stopped: too much unsent output */
	char addr[SN_ADDR_STR_MAX];
	char laddr[SN_ADDR_STR_MAX];
	char *name; /* NULL = no name */
	struct sn_reqparser parser;
	struct sn_buf out;
	size_t out_sent;     /* bytes of out already written */
	struct sn_sub *subs; /* subscription order */
	uint32_t sub_count;
	uint32_t sub_cap;
	uint32_t channel_count;
	uint32_t pattern_count;
	size_t sub_bytes;
	int64_t created_ms; /* monotonic */
	int64_t last_ms;
	int64_t soft_limit_since_ms;    /* 0 = under the pubsub soft limit */
	char last_cmd[SN_CMD_NAME_MAX]; /* fullname of the last command run, "NULL" at first */
	size_t argv_mem;                /* bytes of the request being run */
};

struct sn_cmd;
typedef void (*sn_cmd_fn)(struct sn_server *s, struct sn_client *c, const struct sn_req *req);

struct sn_cmd_doc {
	const char *summary;
	const char *since;
	const char *group;
	const char *complexity;       /* NULL = not shown */
	const char *deprecated_since; /* NULL = not deprecated */
	const char *replaced_by;
};

struct sn_cmd {
	const char *name;          /* lowercase: "ping", "kill" */
	const char *fullname;      /* "ping", "client|kill" */
	int arity;                 /* Redis convention: -N = at least N */
	uint32_t flags;            /* SN_CMD_* */
	sn_cmd_fn fn;              /* NULL for a container called with a subcommand only */
	const struct sn_cmd *subs; /* container: table ended by a NULL name */
	const char *wire_flags;    /* COMMAND INFO flags, space-separated */
	const char *acl_cats;      /* "@fast @connection" */
	const char *tips;          /* "nondeterministic_output ..." or "" */
	struct sn_cmd_doc doc;
};

/*
 * Find the command (or subcommand) for req. On failure append Redis's exact error to out
 * (unknown command, unknown subcommand, wrong number of arguments) and return NULL.
 */
const struct sn_cmd *sn_cmd_lookup(const struct sn_req *req, struct sn_buf *out);

/* True for "post" and "host:" (cross-protocol scripting: Redis closes the connection). */
bool sn_cmd_is_http(const struct sn_req *req);

/* The top-level table, ended by a NULL name. */
const struct sn_cmd *sn_cmd_table(void);

/*
 * Implemented in server.c and server_pubsub.c for the command files.
 */

/* Check user/password like Redis's default user: user "default" (or NULL) and requirepass.
 * Constant time in the secret. Returns 0 on success, -1 otherwise. */
int sn_server_check_auth(const struct sn_server *s, const char *user, size_t ulen, const char *pass,
                         size_t plen) __attribute__((warn_unused_result));

/* True when a password is configured. */
bool sn_server_has_password(const struct sn_server *s);

/* Close another client now, or c itself after its reply (CLIENT KILL). */
void sn_server_kill_client(struct sn_server *s, struct sn_client *c);

/*
 * Add a subscription (channel, or pattern when pattern is true). Returns 1 if added, 0 if
 * already there, -1 over SN_CLIENT_SUBS_MAX / SN_CLIENT_SUB_BYTES_MAX.
 */
int sn_client_sub_add(struct sn_client *c, bool pattern, const char *name, size_t len)
    __attribute__((warn_unused_result));

/* Remove one; returns 1 if it was there. */
int sn_client_sub_remove(struct sn_client *c, bool pattern, const char *name, size_t len);

#endif
