/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value types shared by the quorum core and the sentinel shell: addresses, parsed INFO, the
 * inputs fed to qu_step() and the actions it emits, and the event table (Sentinel wire names).
 * Nothing here allocates or does I/O; these are plain structs.
 */
#ifndef QU_QUORUM_TYPES_H
#define QU_QUORUM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define QU_NAME_MAX 128            /* group (primary) name, incl. NUL */
#define QU_HOST_MAX 256            /* ip or hostname, incl. NUL */
#define QU_RUNID_LEN 40            /* Sentinel ids and redis run_ids are 40 hex chars */
#define QU_REPLICAS_MAX 64         /* replicas tracked per primary */
#define QU_PEERS_MAX 64            /* other watchers tracked per primary */
#define QU_AUTH_MAX 256            /* auth-user / auth-pass, incl. NUL */
#define QU_TEXT_MAX 1024           /* rendered event payload, incl. NUL */
#define QU_NONE UINT32_MAX         /* "no index" for group/node fields */

/* Sentinel 7.0 timing constants (sentinel-protocol.md §1.5). */
#define QU_PING_PERIOD_MS 1000
#define QU_INFO_PERIOD_MS 10000
#define QU_INFO_FAST_PERIOD_MS 1000
#define QU_PUBLISH_PERIOD_MS 2000
#define QU_MIN_LINK_RECONNECT_MS 15000
#define QU_DEFAULT_DOWN_AFTER_MS 30000
#define QU_DEFAULT_FAILOVER_TIMEOUT_MS 180000
#define QU_DEFAULT_PRIORITY 100
#define QU_ASK_PERIOD_MS 1000
#define QU_ELECTION_TIMEOUT_MS 10000
#define QU_SLAVE_RECONF_TIMEOUT_MS 10000
#define QU_TILT_TRIGGER_MS 2000     /* a gap between ticks this long means the process stalled */
#define QU_TILT_PERIOD_MS 30000     /* no anomaly for this long ends TILT */
#define QU_EPOCH_MAX INT64_MAX /* epochs travel as signed 64-bit decimals on the wire */

struct qu_addr {
	char host[QU_HOST_MAX];
	uint16_t port;
};

enum qu_role {
	QU_ROLE_UNKNOWN = 0,
	QU_ROLE_PRIMARY,
	QU_ROLE_REPLICA,
};

/* What a node's INFO reply says, as far as the core cares (sentinel-protocol.md §9.3). */
struct qu_info {
	bool has_run_id;
	char run_id[QU_RUNID_LEN + 1];
	enum qu_role role;
	/* replica side */
	bool has_primary;                 /* master_host and master_port were both present */
	struct qu_addr primary;           /* master_host / master_port */
	bool primary_link_up;             /* master_link_status:up */
	int64_t primary_link_down_ms;     /* master_link_down_since_seconds * 1000, 0 if absent */
	int32_t priority;                 /* slave_priority / replica-priority, default 100 */
	int64_t repl_offset;              /* slave_repl_offset, 0 if absent */
	bool replica_announced;           /* replica_announced, default true */
	/* primary side: slave<N>: lines */
	uint32_t replica_count;
	bool replicas_truncated;          /* more than QU_REPLICAS_MAX listed */
	struct qu_addr replicas[QU_REPLICAS_MAX];
};

/*
 * The event table: (code, Sentinel wire name = pub/sub channel, level).
 * Levels: D debug (not published), V verbose, N notice, W warning (sentinel-protocol.md §7).
 */
#define QU_EVENTS(X)                                                                               \
	X(MONITOR, "+monitor", W)                                                                  \
	X(UNMONITOR, "-monitor", W)                                                                \
	X(SET, "+set", W)                                                                          \
	X(RESET_MASTER, "+reset-master", W)                                                        \
	X(REPLICA_ADDED, "+slave", N)                                                              \
	X(SENTINEL_ADDED, "+sentinel", N)                                                          \
	X(SENTINEL_ADDRESS_SWITCH, "+sentinel-address-switch", N)                                  \
	X(SENTINEL_INVALID_ADDR, "+sentinel-invalid-addr", N)                                      \
	X(SDOWN, "+sdown", W)                                                                      \
	X(SDOWN_CLEARED, "-sdown", W)                                                              \
	X(ODOWN, "+odown", W)                                                                      \
	X(ODOWN_CLEARED, "-odown", W)                                                              \
	X(NEW_EPOCH, "+new-epoch", W)                                                              \
	X(VOTE_FOR_LEADER, "+vote-for-leader", W)                                                  \
	X(TRY_FAILOVER, "+try-failover", W)                                                        \
	X(ELECTED_LEADER, "+elected-leader", W)                                                    \
	X(FAILOVER_STATE_SELECT_SLAVE, "+failover-state-select-slave", W)                          \
	X(ABORT_NOT_ELECTED, "-failover-abort-not-elected", W)                                     \
	X(CONFIG_UPDATE_FROM, "+config-update-from", W)                                            \
	X(ABORT_NO_GOOD_SLAVE, "-failover-abort-no-good-slave", W)                                 \
	X(ABORT_SLAVE_TIMEOUT, "-failover-abort-slave-timeout", W)                                 \
	X(SELECTED_SLAVE, "+selected-slave", W)                                                    \
	X(FAILOVER_STATE_SEND_SLAVEOF_NOONE, "+failover-state-send-slaveof-noone", N)              \
	X(FAILOVER_STATE_WAIT_PROMOTION, "+failover-state-wait-promotion", N)                      \
	X(PROMOTED_SLAVE, "+promoted-slave", W)                                                    \
	X(FAILOVER_STATE_RECONF_SLAVES, "+failover-state-reconf-slaves", W)                        \
	X(SLAVE_RECONF_SENT, "+slave-reconf-sent", N)                                              \
	X(SLAVE_RECONF_INPROG, "+slave-reconf-inprog", N)                                          \
	X(SLAVE_RECONF_DONE, "+slave-reconf-done", N)                                              \
	X(SLAVE_RECONF_SENT_BE, "+slave-reconf-sent-be", N)                                        \
	X(SLAVE_RECONF_SENT_TIMEOUT, "-slave-reconf-sent-timeout", N)                              \
	X(FAILOVER_END_FOR_TIMEOUT, "+failover-end-for-timeout", W)                                \
	X(FAILOVER_END, "+failover-end", W)                                                        \
	X(CONVERT_TO_SLAVE, "+convert-to-slave", N)                                                \
	X(SWITCH_MASTER, "+switch-master", W)                                                      \
	X(REBOOT, "+reboot", N)                                                                    \
	X(ROLE_CHANGE_OK, "+role-change", V)                                                       \
	X(ROLE_CHANGE_BAD, "-role-change", V)                                                      \
	X(TILT, "+tilt", W)                                                                        \
	X(TILT_CLEARED, "-tilt", W)                                                                \
	X(CMD_LINK_RECONNECT, "-cmd-link-reconnection", D)                                         \
	X(PUBSUB_LINK_RECONNECT, "-pubsub-link-reconnection", D)

enum qu_event {
#define QU_EVENT_ENUM(code, wire, level) QU_EV_##code,
	QU_EVENTS(QU_EVENT_ENUM)
#undef QU_EVENT_ENUM
	QU_EV_COUNT
};

enum qu_level {
	QU_LEVEL_D = 0,
	QU_LEVEL_V,
	QU_LEVEL_N,
	QU_LEVEL_W,
};

/* Options of SENTINEL SET that the core applies: (code, wire name). */
#define QU_SETTINGS(X)                                                                             \
	X(DOWN_AFTER, "down-after-milliseconds")                                                   \
	X(FAILOVER_TIMEOUT, "failover-timeout")                                                    \
	X(PARALLEL_SYNCS, "parallel-syncs")                                                        \
	X(QUORUM, "quorum")                                                                        \
	X(AUTH_PASS, "auth-pass")                                                                  \
	X(AUTH_USER, "auth-user")

enum qu_setting {
#define QU_SETTING_ENUM(code, wire) QU_SET_##code,
	QU_SETTINGS(QU_SETTING_ENUM)
#undef QU_SETTING_ENUM
	QU_SET_COUNT
};

/* Settings of one monitored primary, as configured. */
struct qu_group_conf {
	char name[QU_NAME_MAX];
	struct qu_addr addr;
	uint32_t quorum;
	int64_t down_after_ms;
	int64_t failover_timeout_ms;
	uint32_t parallel_syncs;
	char auth_user[QU_AUTH_MAX];
	char auth_pass[QU_AUTH_MAX];
};

enum qu_link_kind {
	QU_LINK_CMD = 0,
	QU_LINK_PUBSUB,
};

enum qu_input_kind {
	QU_IN_TICK = 0,        /* periodic; drives every timed decision */
	QU_IN_LINK,            /* a link to a node came up or went down */
	QU_IN_PING_REPLY,      /* any reply to a PING we sent */
	QU_IN_INFO_REPLY,      /* a parsed INFO reply */
	QU_IN_PUBSUB_ACTIVITY, /* anything arrived on the node's pub/sub link */
	QU_IN_HELLO_SENT,      /* a PUBLISH of our hello got a non-error reply */
	QU_IN_ADMIN,           /* a configuration change (startup, SENTINEL MONITOR/REMOVE/SET/RESET) */
	QU_IN_HELLO,           /* a hello message (pub/sub of a node, or PUBLISH to us) */
	QU_IN_VOTE_REQUEST,    /* SENTINEL IS-MASTER-DOWN-BY-ADDR from a client or peer */
	QU_IN_VOTE_REPLY,      /* a peer's reply to our IS-MASTER-DOWN-BY-ADDR */
	QU_IN_PERSIST_FAILED,  /* the last PERSIST could not be written: withdraw what it covered */
	QU_IN_STALL,           /* the shell saw the loop stall or the wall clock jump: enter TILT */
};

enum qu_admin_op {
	QU_ADMIN_MONITOR = 0,  /* add a group: .conf */
	QU_ADMIN_REMOVE,       /* remove group .group */
	QU_ADMIN_SET,          /* .group, .setting, .num or .str */
	QU_ADMIN_RESET,        /* .group: forget replicas and peers, clear flags */
	QU_ADMIN_KNOWN_REPLICA,/* .group, .addr: a replica remembered from the state file */
	QU_ADMIN_EPOCHS,       /* .group, .num = config epoch (from the state file) */
	QU_ADMIN_VOTE,         /* .group, .str = leader runid, .num = leader epoch (state file) */
	QU_ADMIN_KNOWN_PEER,   /* .group, .addr, .str = runid: a watcher remembered (state file) */
	QU_ADMIN_FAILOVER,     /* .group: SENTINEL FAILOVER (QU_EBUSY in progress, QU_ENOREPLICA) */
};

struct qu_admin {
	enum qu_admin_op op;
	bool quiet;                       /* restoring at boot: no events, no PERSIST */
	uint32_t group;
	const struct qu_group_conf *conf; /* MONITOR */
	enum qu_setting setting;          /* SET */
	int64_t num;                      /* SET numeric value, EPOCHS */
	const char *str;                  /* SET string value */
	struct qu_addr addr;              /* KNOWN_REPLICA */
};

struct qu_hello;

struct qu_vote_request {
	struct qu_addr primary;                /* the primary is found by address */
	uint64_t epoch;                        /* the sender's current epoch */
	char runid[QU_RUNID_LEN + 1];          /* candidate, or "*" for "is it down?" only */
};

struct qu_vote_reply {
	uint32_t group;
	bool down;
	char leader[QU_RUNID_LEN + 1];         /* "*" when no vote is reported */
	uint64_t leader_epoch;
};

struct qu_input {
	enum qu_input_kind kind;
	int64_t now_ms; /* monotonic milliseconds, read once per shell callback */
	uint32_t node;  /* LINK, PING_REPLY, INFO_REPLY, PUBSUB_ACTIVITY, HELLO_SENT */
	union {
		struct {
			enum qu_link_kind which;
			bool up;
		} link;
		struct {
			bool valid; /* +PONG, -LOADING or -MASTERDOWN (sentinel-protocol.md §3.1) */
		} ping;
		const struct qu_info *info;
		struct qu_admin admin;
		const struct qu_hello *hello;
		struct qu_vote_request vote_request;
		struct qu_vote_reply vote_reply; /* .node is the peer watcher's endpoint */
		struct {
			uint32_t group; /* which group's hello a watcher acknowledged */
		} hello_sent;
	} u;
};

enum qu_action_kind {
	QU_ACT_NODE_ADD = 0, /* create links for .node (its address is in the node table) */
	QU_ACT_NODE_DEL,     /* close and forget the links of .node */
	QU_ACT_RELINK,       /* close .link of .node; the shell reconnects it */
	QU_ACT_SEND_PING,
	QU_ACT_SEND_INFO,
	QU_ACT_SEND_HELLO,   /* publish our hello for .group on .node: "<our ip>,<our port>," + .text */
	QU_ACT_EVENT,        /* log and publish .event with payload .text */
	QU_ACT_PERSIST,      /* durable state changed: write the state file now, before going on */
	QU_ACT_SEND_ASK,     /* SENTINEL is-master-down-by-addr to watcher .node for .group (.epoch, .runid) */
	QU_ACT_VOTE_REPLY,   /* answer to the QU_IN_VOTE_REQUEST being processed (.flag=down, .runid, .epoch) */
	QU_ACT_ELECTED,      /* we lead the failover of .group in .epoch */
	QU_ACT_PROMOTE,      /* make .node a primary: MULTI, SLAVEOF NO ONE, CONFIG REWRITE,
	                        CLIENT KILL TYPE normal/pubsub, EXEC (sentinel-protocol.md §5.4) */
	QU_ACT_REPOINT,      /* make .node replicate .addr: the same transaction with SLAVEOF .addr */
};

struct qu_action {
	enum qu_action_kind kind;
	uint32_t group;
	uint32_t node;
	enum qu_link_kind link;
	enum qu_event event;
	bool flag;
	uint64_t epoch;
	char runid[QU_RUNID_LEN + 1];
	struct qu_addr addr; /* REPOINT target */
	char text[QU_TEXT_MAX];
};

#endif
