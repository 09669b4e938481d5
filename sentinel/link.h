/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outgoing links to monitored redis nodes: per node a command connection and a pub/sub connection
 * (hiredis 0.14.1 async on the daemon's libev loop), with handshake, reconnect backoff and reply
 * deadlines. It translates replies into hook calls and never decides anything about monitoring.
 */
#ifndef SN_LINK_H
#define SN_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "quorum_types.h"

#define SN_LINK_PENDING_MAX 100 /* commands awaiting reply on a command link (Sentinel's cap) */
#define SN_LINK_RING 128        /* send-time slots: the cap plus the handshake, power of two */
#define SN_LINK_IP_MAX 64       /* textual local address, incl. NUL */
#define SN_LINK_NAME_ID_LEN 8   /* CLIENT SETNAME sentinel-<first 8 chars of myid>-cmd */
#define SN_LINK_NODES_MAX 65536 /* sanity bound on nodes_max */
#define SN_LINK_TIMEOUT_MAX_MS 86400000 /* sanity bound on reply_timeout_ms (one day) */

/*
 * Node indices passed to any function below must be < nodes_max: anything else is a programmer
 * error and aborts (qu_panic).
 *
 * What the links report. Every hook runs from the libev loop (a hiredis or timer callback), never
 * from inside an sn_links_* call. Hooks may call any sn_links_* function except sn_links_init and
 * sn_links_free (closing or dropping the very node being reported is fine). Pointer arguments are
 * valid only for the duration of the call: copy what you keep. Any hook may be NULL.
 */
struct redisReply;

struct sn_link_hooks {
	void *ctx;
	/* A connection finished its handshake (up) or an up connection was lost or dropped (down).
	 * Per connection, up and down strictly alternate, starting with up. */
	void (*on_state)(void *ctx, uint32_t node, enum qu_link_kind which, bool up);
	/* A real reply to PING: valid = status or error starting with PONG, LOADING or MASTERDOWN
	 * (sentinel-protocol.md §3.1). */
	void (*on_ping)(void *ctx, uint32_t node, bool valid);
	/* The bulk reply to INFO (error replies are not reported): len bytes at text. */
	void (*on_info)(void *ctx, uint32_t node, const char *text, size_t len);
	/* A "message" on the pub/sub link: channel is NUL-terminated, payload has len bytes. */
	void (*on_message)(void *ctx, uint32_t node, const char *channel, const char *payload,
	                   size_t len);
	/* The reply to a PUBLISH we sent (tag as given): ok = not an error reply. */
	void (*on_publish)(void *ctx, uint32_t node, uint32_t tag, bool ok);
	/* The reply to an sn_links_command() (tag as given); r is hiredis's, valid for the call. */
	void (*on_reply)(void *ctx, uint32_t node, uint32_t tag, const struct redisReply *r);
};

enum sn_conn_state {
	SN_CONN_IDLE = 0,  /* node not open */
	SN_CONN_WAIT,      /* closed; the retry timer reopens it */
	SN_CONN_HANDSHAKE, /* connecting or handshake replies outstanding */
	SN_CONN_UP,        /* handshake done, on_state(up) reported */
};

struct redisAsyncContext;
struct sn_links;

/* One connection (private to link.c; public only so that struct sn_links can be embedded). */
struct sn_link_conn {
	struct sn_links *owner;
	struct redisAsyncContext *ac; /* NULL while closed */
	uint32_t node;
	enum qu_link_kind which;
	enum sn_conn_state state;
	uint32_t gen;          /* bumped whenever ac changes; stale callbacks are dropped */
	bool down_owed;        /* on_state(down) to report from the loop (after a drop) */
	uint32_t failures;     /* consecutive attempts that did not come up */
	int64_t attempt_at_ms; /* last connection attempt (monotonic) */
	int64_t retry_at_ms;   /* next attempt while WAIT */
	uint32_t sent_head;    /* oldest outstanding command in sent_at_ms */
	uint32_t sent_count;   /* commands awaiting reply */
	int64_t sent_at_ms[SN_LINK_RING]; /* send time of each outstanding command, FIFO */
	char local_ip[SN_LINK_IP_MAX];    /* "" until the TCP connect completes */
	ev_timer deadline;                /* connect/reply deadline while open */
	ev_timer retry;                   /* reconnect (and owed down report) while closed */
};

/* Per node slot (private to link.c). */
struct sn_link_node {
	bool open;
	struct qu_addr addr;
	char auth_user[QU_AUTH_MAX];
	char auth_pass[QU_AUTH_MAX];
	int64_t reply_timeout_ms;
	struct sn_link_conn conn[2]; /* indexed by enum qu_link_kind */
};

/* All links of the daemon. Embed it; treat the fields as private. */
struct sn_links {
	struct ev_loop *loop;
	struct sn_link_hooks hooks;
	uint32_t nodes_max;
	struct sn_link_node *nodes;            /* nodes_max slots, allocated by sn_links_init */
	char name_id[SN_LINK_NAME_ID_LEN + 1]; /* first 8 chars of myid */
	uint64_t prng;                         /* jitter state, seeded from myid */
	uint32_t hook_depth;                   /* > 0 while a hook runs */
};

/*
 * Prepare l for nodes 0..nodes_max-1 (1..SN_LINK_NODES_MAX) on loop. myid (at least 8 chars) names
 * our connections and seeds the reconnect jitter; hooks is copied. Returns 0, -EINVAL or -ENOMEM;
 * on error l needs no sn_links_free (calling it is harmless).
 */
int sn_links_init(struct sn_links *l, struct ev_loop *loop, uint32_t nodes_max, const char *myid,
                  const struct sn_link_hooks *hooks) __attribute__((warn_unused_result));

/*
 * Close every connection without calling hooks and release all memory. Idempotent. Call it while
 * the loop still exists, and not from inside a hook.
 */
void sn_links_free(struct sn_links *l);

/*
 * Start keeping both links of node open to addr (an IPv4 or IPv6 literal, port > 0; hostnames are
 * refused so the loop never blocks in DNS) with these credentials (NULL or "" = none; AUTH is sent
 * only with a password), reconnecting after failures. The first attempt happens from the loop.
 * reply_timeout_ms (> 0): a connection whose oldest outstanding reply (or connect) is older than
 * this is closed and re-opened. If node was already open it is first closed as by sn_links_close.
 * Strings are copied. Returns 0 or -EINVAL (bad address, credentials over QU_AUTH_MAX - 1 chars,
 * timeout outside 1..SN_LINK_TIMEOUT_MAX_MS).
 */
int sn_links_open(struct sn_links *l, uint32_t node, const struct qu_addr *addr,
                  const char *auth_user, const char *auth_pass, int64_t reply_timeout_ms)
    __attribute__((warn_unused_result));

/* As sn_links_open, but only the command link (other watchers: sentinel-protocol.md §1.1). */
int sn_links_open_cmd(struct sn_links *l, uint32_t node, const struct qu_addr *addr,
		      const char *auth_user, const char *auth_pass, int64_t reply_timeout_ms)
    __attribute__((warn_unused_result));

/*
 * Forget node: close both connections now, drop outstanding commands and never call a hook for
 * node again (until it is reopened). Safe anytime, also from a hook and on a closed node.
 */
void sn_links_close(struct sn_links *l, uint32_t node);

/*
 * Close one connection of node now and reconnect it later (backoff rules). If it was up, the hooks
 * get on_state(down) from the loop shortly after. No-op if node is not open or that connection is
 * already closed. Safe from a hook.
 */
void sn_links_drop(struct sn_links *l, uint32_t node, enum qu_link_kind which);

/*
 * Queue PING / INFO / PUBLISH channel payload on node's command link; the reply comes through
 * on_ping / on_info / on_publish. Returns 0, -ENOTCONN (not open or the command link is not up),
 * -EBUSY (SN_LINK_PENDING_MAX commands already awaiting replies), -EINVAL (NULL strings) or
 * -EIO (hiredis refused the command). Commands outstanding when a link dies get no hook call.
 */
int sn_links_ping(struct sn_links *l, uint32_t node) __attribute__((warn_unused_result));
int sn_links_info(struct sn_links *l, uint32_t node) __attribute__((warn_unused_result));
int sn_links_publish(struct sn_links *l, uint32_t node, const char *channel, const char *payload,
		     uint32_t tag) __attribute__((warn_unused_result));

/*
 * Queue any command (argc 1..8 NUL-terminated strings) on node's command link; its reply comes to
 * on_reply with tag (0 .. 2^28-1). Same errors as sn_links_ping, -EINVAL for bad arguments.
 */
int sn_links_command(struct sn_links *l, uint32_t node, uint32_t tag, int argc, const char **argv)
    __attribute__((warn_unused_result));

/* Commands awaiting a reply on node's command link (handshake included); 0 if closed. */
uint32_t sn_links_pending(const struct sn_links *l, uint32_t node);

/* True if that connection of node has completed its handshake and is up. */
bool sn_links_is_up(const struct sn_links *l, uint32_t node, enum qu_link_kind which);

/*
 * Local IP of node's command socket (for the hello's "my ip"), "" if not connected. Writes at most
 * len bytes including the NUL (nothing if len is 0).
 */
void sn_links_local_ip(const struct sn_links *l, uint32_t node, char *ip, size_t len);

#endif
