/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The quorum core: a pure state machine that owns the monitored topology (groups, nodes) and every
 * decision about it. The shell feeds inputs through qu_step() and executes the actions it emits,
 * strictly in order. The core never reads a clock, never allocates, never does I/O.
 */
#ifndef QU_QUORUM_H
#define QU_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include "quorum_types.h"

/* Error codes returned by qu_step() (negative). */
#define QU_OK 0
#define QU_EINVAL (-1)   /* a malformed input or out-of-range value */
#define QU_EEXIST (-2)   /* MONITOR: duplicate group name */
#define QU_ENOENT (-3)   /* unknown group or node */
#define QU_EFULL (-4)    /* a table (groups, nodes, replicas) is full */
#define QU_EBUSY (-5)    /* a failover is already in progress */
#define QU_ENOREPLICA (-6) /* no replica qualifies for promotion */

struct qu_limits {
	uint32_t groups_max;
	uint32_t nodes_max;    /* primaries + replicas over all groups */
	uint32_t watchers_max; /* other watchers over all groups (shared across groups) */
};

/*
 * Endpoints: anything the shell keeps a link to. Ids below nodes_max are cache nodes (command +
 * pub/sub links); ids from nodes_max to nodes_max + watchers_max - 1 are other watchers (a command
 * link only). Inputs and actions name links by endpoint id.
 */

struct qu_params {
	struct qu_limits limits;
	uint64_t seed;                     /* for jitter; the shell logs it */
	char myid[QU_RUNID_LEN + 1];       /* our persistent Sentinel id */
	uint64_t current_epoch;            /* restored from the state file */
};

/* Where a replica is in being repointed during a failover (sentinel-protocol.md §5.6). */
enum qu_reconf {
	QU_RECONF_NONE = 0,
	QU_RECONF_SENT,                    /* REPLICAOF sent */
	QU_RECONF_INPROG,                  /* it reports the new primary */
	QU_RECONF_DONE,                    /* and its link to it is up */
};

/* Liveness bookkeeping of anything we PING (sentinel-protocol.md §1.3, §3). */
struct qu_probe {
	int64_t ping_pending_since_ms;     /* oldest unanswered PING; 0 if none */
	int64_t ping_sent_at_ms;
	int64_t ping_ok_at_ms;             /* last valid reply */
	int64_t ping_reply_at_ms;          /* last reply of any kind */
	bool sdown;
	int64_t sdown_since_ms;
};

/* Public read-only view of a monitored node (primary or replica). Ages are derived by callers. */
struct qu_node {
	bool used;
	uint32_t group;
	enum qu_role kind;                 /* what we monitor it as: primary or replica */
	struct qu_addr addr;
	bool has_run_id;
	char run_id[QU_RUNID_LEN + 1];
	/* links */
	bool cmd_up;
	bool pubsub_up;
	int64_t cmd_since_ms;              /* when the command link came up */
	int64_t pubsub_since_ms;
	int64_t pubsub_activity_at_ms;
	struct qu_probe probe;
	/* INFO */
	int64_t info_at_ms;                /* last INFO reply; 0 if never */
	int64_t info_sent_at_ms;           /* last INFO request; 0 if none pending */
	enum qu_role role_reported;
	int64_t role_reported_at_ms;
	/* what a replica last reported about its primary (INFO) */
	bool has_primary;
	struct qu_addr reported_primary;
	bool primary_link_up;
	int64_t primary_link_down_ms;
	int32_t priority;
	int64_t repl_offset;
	bool replica_announced;
	int64_t primary_changed_at_ms;     /* replica: when its reported primary last changed */
	int64_t hello_sent_at_ms;          /* last successful hello publish */
	int64_t hello_tried_at_ms;         /* last hello publish attempt */
	bool info_now;                     /* INFO wanted at once (link just came up) */
	/* failover bookkeeping */
	enum qu_reconf reconf;
	int64_t reconf_sent_at_ms;
	int64_t convert_sent_at_ms;        /* last +convert-to-slave sent to it */
};

/* Another watcher, shared by every group it gossips about (Sentinel shares one link per runid). */
struct qu_watcher {
	bool used;
	char runid[QU_RUNID_LEN + 1];
	struct qu_addr addr;
	uint32_t refs;                     /* groups whose peer list names it */
	bool cmd_up;
	int64_t cmd_since_ms;
	struct qu_probe probe;
};

/* A watcher as one group sees it. */
struct qu_peer {
	uint32_t watcher;                  /* index into the watcher table */
	int64_t hello_at_ms;               /* last hello about this group */
	uint64_t config_epoch;             /* the config epoch that hello carried */
	int64_t hello_sent_at_ms;          /* our last acknowledged hello to it for this group */
	int64_t hello_tried_at_ms;
	bool primary_down;                 /* its last is-master-down-by-addr reply said 1 */
	int64_t down_reply_at_ms;          /* last valid reply; 0 if none */
	int64_t down_asked_at_ms;
	uint64_t vote_asked_epoch;         /* our candidacy it was last asked to vote on */
	char leader[QU_RUNID_LEN + 1];     /* the vote it reported, "" if none */
	uint64_t leader_epoch;
};

enum qu_failover_state {
	QU_FO_NONE = 0,
	QU_FO_WAIT_START,                  /* election in progress */
	QU_FO_SELECT_REPLICA,              /* elected: choose the replica to promote */
	QU_FO_SEND_PROMOTE,                /* waiting for the chosen replica's link to send */
	QU_FO_WAIT_PROMOTION,              /* promotion sent; waiting for INFO role:master */
	QU_FO_RECONF_REPLICAS,             /* promoted: repointing the other replicas */
};


/* Public read-only view of a monitored primary and its settings. */
struct qu_group {
	bool used;
	struct qu_group_conf conf;         /* conf.addr is the current primary address */
	uint32_t primary;                  /* node index */
	uint32_t replica_count;
	uint32_t replicas[QU_REPLICAS_MAX];/* node indices */
	uint64_t config_epoch;
	/* agreement */
	uint32_t peer_count;
	struct qu_peer peers[QU_PEERS_MAX];
	char leader[QU_RUNID_LEN + 1];     /* whom we voted for, "" if nobody */
	uint64_t leader_epoch;             /* and in which epoch (persisted) */
	bool odown;
	int64_t odown_since_ms;
	enum qu_failover_state failover_state;
	uint64_t failover_epoch;
	int64_t failover_started_at_ms;
	int64_t failover_retry_at_ms;      /* earliest next attempt after a failed election */
	int64_t failover_state_at_ms;      /* when the current failover state was entered */
	uint32_t promoted;                 /* node being promoted (QU_NONE outside a failover) */
	bool forced;                       /* SENTINEL FAILOVER: no agreement needed */
	struct qu_addr failover_from;      /* the primary being replaced */
	int64_t last_failover_at_ms;       /* when the last failover ended (0: never) */
};

struct qu_core;

/* Bytes of memory the shell must provide for a core with these limits. */
size_t qu_core_size(const struct qu_limits *limits);

/*
 * Lay out a core in mem (qu_core_size() bytes, suitably aligned for uint64_t). The core keeps
 * pointers into mem only. Returns the core, or NULL if the limits are zero or too large.
 */
struct qu_core *qu_core_init(void *mem, const struct qu_params *params);

/*
 * Feed one input. Appends actions to the outbox (which must have been drained by the shell since
 * the previous call). Returns QU_OK or a negative QU_E* code; on error no state changed and the
 * outbox is empty.
 */
int qu_step(struct qu_core *core, const struct qu_input *in) __attribute__((warn_unused_result));

/*
 * The earliest time at which a TICK would change a decision that is pending now (a node reaching
 * SDOWN, an election starting or timing out), or INT64_MAX. The shell may feed a TICK then rather
 * than waiting for its periodic one; periodic TICKs are still needed for everything else.
 */
int64_t qu_next_deadline_ms(const struct qu_core *core);

/* Next pending action, in order, or NULL when the outbox is empty (and then it is reset). */
const struct qu_action *qu_action_next(struct qu_core *core);

/* Read-only views. Index out of range or unused slot: NULL. */
const struct qu_group *qu_group_at(const struct qu_core *core, uint32_t group);
const struct qu_node *qu_node_at(const struct qu_core *core, uint32_t node);
/* Watcher by index (0 .. watchers_max - 1), or NULL. */
const struct qu_watcher *qu_watcher_at(const struct qu_core *core, uint32_t watcher);
uint32_t qu_watchers_max(const struct qu_core *core);
/* Endpoint id of a watcher index (nodes_max + watcher). */
uint32_t qu_watcher_endpoint(const struct qu_core *core, uint32_t watcher);
uint32_t qu_groups_max(const struct qu_core *core);
uint32_t qu_nodes_max(const struct qu_core *core);
/* Group index by name, or QU_NONE. */
uint32_t qu_group_find(const struct qu_core *core, const char *name);
/* Node of group by address (primary or replica), or QU_NONE. */
uint32_t qu_node_find(const struct qu_core *core, uint32_t group, const struct qu_addr *addr);
const char *qu_myid(const struct qu_core *core);
/* Whether the core is in TILT (monitoring only, no decisions); *since_ms gets when it began. */
bool qu_in_tilt(const struct qu_core *core, int64_t *since_ms);
uint64_t qu_current_epoch(const struct qu_core *core);

/* Event table lookups. */
const char *qu_event_name(enum qu_event ev);
enum qu_level qu_event_level(enum qu_event ev);
const char *qu_setting_name(enum qu_setting s);
/* Setting by wire name (case-insensitive), or -1. */
int qu_setting_from_name(const char *name);

/* Supplied by the embedder: report a broken invariant and do not return. */
void qu_panic(const char *file, int line, const char *expr) __attribute__((noreturn));

/*
 * The replica of group to promote, by Sentinel's rules (sentinel-protocol.md §5.3), or QU_NONE when
 * none qualifies. Pure: reads the core's views only.
 */
uint32_t qu_select_replica(const struct qu_core *core, uint32_t group, int64_t now_ms);

#endif
