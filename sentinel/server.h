/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client-facing RESP port: listeners, client connections with their buffers and limits,
 * command dispatch, AUTH state and pub/sub delivery, all on the daemon's one libev loop.
 * It owns no sentinel state: SENTINEL, ROLE, INFO's sentinel section, hello messages and
 * SHUTDOWN go to the hooks. It must never block, trust a client's lengths, or log a password.
 */
#ifndef SN_SERVER_H
#define SN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "err.h"
#include "quorum_types.h"
#include "resp.h"

#define SN_SERVER_BINDS_MAX 16
#define SN_SERVER_LISTENERS_MAX (SN_SERVER_BINDS_MAX + 1) /* "no bind" = 0.0.0.0 and :: */
#define SN_SERVER_MAXCLIENTS_DEFAULT 10000u
#define SN_SERVER_RUNID_LEN 40
#define SN_SERVER_CRON_MS 100
#define SN_SERVER_STATS_SAMPLES 16

/* Output limits (Redis: client-output-buffer-limit pubsub 32mb 8mb 60). */
#define SN_CLIENT_PUBSUB_HARD_BYTES (32u * 1024u * 1024u)
#define SN_CLIENT_PUBSUB_SOFT_BYTES (8u * 1024u * 1024u)
#define SN_CLIENT_PUBSUB_SOFT_MS 60000
/* Normal clients: stop reading requests while this much output is unsent (back-pressure),
 * and close the client if a single burst still pushes it past the hard cap. */
#define SN_CLIENT_OUT_PAUSE_BYTES (1024u * 1024u)
#define SN_CLIENT_OUT_HARD_BYTES (64u * 1024u * 1024u)
/* Subscriptions per client (channels + patterns) and their total name bytes. */
#define SN_CLIENT_SUBS_MAX 1024u
#define SN_CLIENT_SUB_BYTES_MAX (1024u * 1024u)

struct sn_server_conf {
	const char (*binds)[QU_HOST_MAX]; /* IPv4/IPv6 literals; bind_count 0 = 0.0.0.0 and :: */
	size_t bind_count;
	uint16_t port;           /* 0 = ephemeral (tests): see sn_server_port() */
	const char *requirepass; /* NULL or "" = no password (user "default" is nopass) */
	uint32_t maxclients;     /* 0 = SN_SERVER_MAXCLIENTS_DEFAULT */
	const char *config_path; /* shown in INFO server config_file; may be NULL */
	const char *myid;        /* 40-hex sentinel id (kept for the hooks' use); may be NULL */
};

struct sn_client; /* opaque outside the server and command files (see cmd.h) */

struct sn_server_hooks {
	void *ctx;
	/* SENTINEL <sub> ...: append exactly one reply to sn_client_out(c), synchronously (c is
	 * only valid during the call). argv[0] is "SENTINEL"; the subcommand is one of 7.0.15's
	 * and its arity is already checked (cmd_table.c). */
	void (*sentinel)(void *ctx, struct sn_client *c, int argc, char **argv, size_t *lens);
	/* ROLE: append the reply (["sentinel", [names...]]). */
	void (*role)(void *ctx, struct sn_client *c);
	/* Append the "# Sentinel\r\n..." INFO section (CRLF line ends, no trailing blank line). */
	void (*info_sentinel)(void *ctx, struct sn_buf *out);
	/* Append the "# Vigil\r\n..." INFO section (counters of our own; INFO vigil / everything). */
	void (*info_vigil)(void *ctx, struct sn_buf *out);
	/* PUBLISH __sentinel__:hello <payload>: returns 0 if processed. The reply is :1 either way.
	 */
	int (*hello)(void *ctx, const char *payload, size_t len);
	/* SHUTDOWN: stop the daemon cleanly (may call sn_server_stop()). No reply is sent. */
	void (*shutdown)(void *ctx);
};

struct sn_listener {
	ev_io io;
	int fd;
	struct sn_server *srv;
	char addr[QU_HOST_MAX + 8];
};

struct sn_server_stats {
	uint64_t connections_received;
	uint64_t rejected_connections;
	uint64_t commands_processed;
	uint64_t error_replies;
	uint64_t net_input_bytes;
	uint64_t net_output_bytes;
	uint64_t pubsub_messages;
	uint64_t reads_processed;
	uint64_t writes_processed;
	size_t recent_max_input_bytes;
	size_t recent_max_output_bytes;
};

/* Redis's instantaneous metrics: SN_SERVER_STATS_SAMPLES samples taken every cron tick. */
struct sn_server_inst {
	int64_t last_ms;
	uint64_t last_value[3];
	uint64_t samples[3][SN_SERVER_STATS_SAMPLES];
	uint32_t idx;
};

/* Embed in the daemon; every field is private to the server and command files (cmd.h). */
struct sn_server {
	struct ev_loop *loop;
	struct sn_server_hooks hooks;
	uint16_t port;
	uint32_t maxclients;
	char *requirepass; /* heap copy, wiped on stop; NULL = none */
	size_t requirepass_len;
	char *config_path;
	char myid[SN_SERVER_RUNID_LEN + 1];
	char run_id[SN_SERVER_RUNID_LEN + 1];
	struct sn_listener listeners[SN_SERVER_LISTENERS_MAX];
	size_t listener_count;
	bool listeners_paused; /* accept() hit EMFILE: retried by the cron */
	ev_timer cron;
	struct sn_client *clients; /* doubly linked, newest first */
	struct sn_client *current; /* the client whose requests are being run, or NULL */
	uint32_t client_count;
	uint32_t pubsub_client_count;
	uint64_t next_client_id;
	int64_t started_ms; /* monotonic */
	int64_t started_unix_s;
	struct sn_server_stats stats;
	struct sn_server_inst inst;
	bool running;
};

/*
 * Copy conf (strings included), open one non-blocking listening socket per bind address
 * (SO_REUSEADDR, IPV6_V6ONLY for IPv6, backlog 511) and start accepting on loop. hooks is
 * copied; any hook may be NULL (that feature then answers an error or nothing). Returns 0, or
 * a negative errno with err filled ("bind 127.0.0.1:26379: Address already in use"); on failure
 * nothing stays open.
 */
int sn_server_start(struct sn_server *s, struct ev_loop *loop, const struct sn_server_conf *conf,
                    const struct sn_server_hooks *hooks, struct sn_err *err)
    __attribute__((warn_unused_result));

/*
 * Close the listeners and every client, stop the cron, wipe the password. Safe to call twice,
 * and from inside a hook: the client being served is then released when its callback unwinds,
 * so keep *s alive until control is back in the loop.
 */
void sn_server_stop(struct sn_server *s);

/* The TCP port actually bound (the conf port, or the ephemeral one when that was 0). */
uint16_t sn_server_port(const struct sn_server *s);

/*
 * Deliver an event to every client subscribed to channel (RESP2 "message" array, RESP3 push)
 * and to every matching PSUBSCRIBE pattern ("pmessage"), in the order Redis uses per client.
 * Subscribers past their output limits are disconnected. Never blocks; output is flushed by the
 * loop.
 */
void sn_server_publish(struct sn_server *s, const char *channel, const char *payload, size_t len);

/* The buffer a hook appends its reply to. */
struct sn_buf *sn_client_out(struct sn_client *c);

/* The client's protocol: 2, or 3 after HELLO 3. */
int sn_client_proto(const struct sn_client *c);

/* The client's CLIENT ID. */
uint64_t sn_client_id(const struct sn_client *c);

#endif
