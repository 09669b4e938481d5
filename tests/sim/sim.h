/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The deterministic simulator of the quorum core (STYLE.md §10, issue 3): N watcher cores, three
 * simulated cache nodes, a virtual clock and a seeded lossy network, all in one process. Nothing
 * here may read a clock, call rand() or depend on anything but the seed: same seed, same trace.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "quorum.h"
#include "quorum_wire.h"

#define SIM_WATCHERS_MAX 7
#define SIM_NODES 3          /* node 0 is the primary, 1 and 2 its replicas */
#define SIM_CORE_NODES 8     /* qu_limits.nodes_max of every core */
#define SIM_CORE_WATCHERS 16 /* qu_limits.watchers_max of every core */
#define SIM_ENDPOINTS (SIM_CORE_NODES + SIM_CORE_WATCHERS)
#define SIM_EPOCHS_MAX 4096 /* epochs a run may reach; beyond that the run fails */
#define SIM_EVENTS_MAX 4096 /* events in flight at once (20,000 seeds never needed 512) */
#define SIM_SNAP_PEERS 16
#define SIM_SNAP_REPLICAS 4
#define SIM_T0_MS 1000000000 /* virtual time starts here: a monotonic clock is never ~0 */
#define SIM_TICK_MS 100
#define SIM_TICK_JITTER_MS 10  /* a tick fires every 100 +- 10 ms, like a loaded ev_timer */
#define SIM_STEPS_MAX 2000000u /* a run that needs more steps is a failure */
#define SIM_TAIL_MS 1000       /* invariants keep being checked this long after liveness */
#define SIM_GROUP_NAME "mymaster"
#define SIM_NONE UINT32_MAX
#define SIM_NO_VOTE (-1) /* sim_watcher.revealed/persisted: nothing recorded */
#define SIM_FOREIGN (-2) /* a runid that names no simulated watcher */

/*
 * Liveness bound (docs/simulation.md): once the faults heal, the primary is down and at least
 * quorum (>= a majority) of watchers are up and connected, one of them leads within
 *   max(down_after, SIM_LINK_RECOVERY_MS) + SIM_LIVE_ROUNDS * (election_timeout + 1 s)
 * of simulated time, where election_timeout = min(failover_timeout, QU_ELECTION_TIMEOUT_MS) and
 * 1 s is the core's longest back-off after a lost election (vote.c: 100 ms + up to 900 ms).
 * SIM_LINK_RECOVERY_MS: a watcher link that hung behind the partition (5 s connect timeout, then
 * up to 2 s + 100 ms of back-off, as link.c does).
 */
#define SIM_LINK_RECOVERY_MS 7100
#define SIM_LIVE_ROUNDS 3
#define SIM_LIVE_BACKOFF_MS 1000

/* ---- PRNG (splitmix64) and the event queue ------------------------------------------------ */

uint64_t sim_rng_next(uint64_t *state);
/* Uniform in [lo, hi] (inclusive); hi >= lo. */
int64_t sim_rng_range(uint64_t *state, int64_t lo, int64_t hi);
/* True with probability ppm / 1e6. */
bool sim_rng_ppm(uint64_t *state, uint32_t ppm);

enum sim_ev_kind {
	SIM_EV_TICK = 0,   /* .to: feed TICK, keep its links, schedule the next tick */
	SIM_EV_BOOT,       /* .to: restart a crashed watcher from its snapshot (.gen = token) */
	SIM_EV_CONNECTED,  /* .to .endpoint .which .gen: a connect attempt finished */
	SIM_EV_LINK_DOWN,  /* .to .endpoint .which: report a dropped link (RELINK) */
	SIM_EV_PING_REPLY, /* .to .endpoint .gen */
	SIM_EV_INFO_REPLY, /* .to .endpoint .gen, .from = node, .from_inc = its incarnation */
	SIM_EV_HELLO,      /* .to, .hello; .endpoint/.gen of the pub/sub link or SIM_NONE */
	SIM_EV_HELLO_SENT, /* .to .endpoint .gen .group: a PUBLISH was acknowledged */
	SIM_EV_ASK,        /* .to = target, .from/.from_inc = asker, .endpoint/.gen asker's link */
	SIM_EV_VOTE_REPLY, /* .to = asker .endpoint .gen .group .flag .runid .epoch */
	SIM_EV_FAULT,      /* inject the next fault */
	SIM_EV_HEAL,       /* end of the fault phase */
};

struct sim_event {
	enum sim_ev_kind kind;
	uint32_t to;
	uint32_t to_inc;
	uint32_t endpoint;
	uint32_t which;
	uint32_t gen;
	uint32_t from;
	uint32_t from_inc;
	uint32_t group;
	bool flag;
	uint64_t epoch;
	char runid[QU_RUNID_LEN + 1];
	struct qu_hello hello; /* HELLO; ASK carries the primary address in .hello.primary */
};

struct sim_slot {
	int64_t at_ms;
	uint64_t seq; /* insertion order: ties break deterministically */
	uint32_t event;
};

struct sim_queue {
	uint32_t len;
	uint32_t free_len;
	uint64_t seq;
	struct sim_slot heap[SIM_EVENTS_MAX];
	uint32_t free_list[SIM_EVENTS_MAX];
	struct sim_event events[SIM_EVENTS_MAX];
};

struct sim;

void sim_queue_init(struct sim_queue *q);
/* A zeroed event to fill and then hand to sim_queue_push(); fails the run when full. */
struct sim_event *sim_queue_alloc(struct sim *s);
void sim_queue_push(struct sim *s, struct sim_event *ev, int64_t at_ms);
/* Earliest event (ties: first pushed) or NULL; valid until the next sim_queue_release(). */
struct sim_event *sim_queue_pop(struct sim_queue *q, int64_t *at_ms);
void sim_queue_release(struct sim_queue *q, struct sim_event *ev);

/* ---- the world ---------------------------------------------------------------------------- */

enum sim_conn_state { SIM_CONN_IDLE = 0, SIM_CONN_WAIT, SIM_CONN_CONNECTING, SIM_CONN_UP };

/* One TCP connection of a watcher's shell (command or pub/sub), as link.c keeps it. */
struct sim_conn {
	enum sim_conn_state state;
	uint32_t gen;     /* bumped whenever it goes away: stale replies are dropped */
	uint32_t far_inc; /* incarnation of the far end it connected to */
	uint32_t failures;
	int64_t retry_at_ms;
	int64_t noticed_at_ms; /* UP but broken: when the shell notices it; 0 if healthy */
};

struct sim_link {
	bool open; /* between NODE_ADD and NODE_DEL */
	bool to_watcher;
	uint32_t far;            /* sim node or sim watcher index, SIM_NONE if unknown */
	struct sim_conn conn[2]; /* by enum qu_link_kind */
};

/* What a PERSIST writes, and all a restart gets back (the daemon's state file). */
struct sim_snap {
	uint64_t current_epoch;
	char leader[QU_RUNID_LEN + 1];
	uint64_t leader_epoch;
	uint64_t config_epoch;
	struct qu_addr primary;
	uint32_t replica_count;
	struct qu_addr replicas[SIM_SNAP_REPLICAS];
	uint32_t peer_count;
	char peer_runid[SIM_SNAP_PEERS][QU_RUNID_LEN + 1];
	struct qu_addr peer_addr[SIM_SNAP_PEERS];
};

struct sim_watcher {
	uint32_t index;
	char runid[QU_RUNID_LEN + 1];
	struct qu_addr addr;
	bool alive;
	bool permadead;      /* crashed for good when the faults healed */
	uint32_t inc;        /* incarnation, bumped by every crash */
	uint32_t boot_token; /* only the latest scheduled BOOT counts */
	void *mem;
	struct qu_core *core;
	struct sim_link links[SIM_ENDPOINTS];
	struct sim_snap snap;
	uint32_t restarts;
	int8_t revealed[SIM_EPOCHS_MAX];  /* whom it told anyone it voted for, per epoch */
	int8_t persisted[SIM_EPOCHS_MAX]; /* whom a PERSIST recorded as its vote, per epoch */
};

struct sim_node {
	struct qu_addr addr;
	char run_id[QU_RUNID_LEN + 1];
	bool alive;
	uint32_t inc;
	int64_t repl_offset;
	bool primary;     /* role:master (node 0 at the start; PROMOTE makes others) */
	uint32_t follows; /* the node it replicates while not a primary */
};

/* Deliberate shell bugs, to prove that the invariant checkers catch them (sim-test). */
enum sim_sabotage {
	SIM_SABOTAGE_NONE = 0,
	SIM_SABOTAGE_LOSE_PERSIST, /* acknowledge every PERSIST without writing anything */
	SIM_SABOTAGE_FORGET_VOTE,  /* restart without restoring the vote */
};

/* Everything a seed decides before the run starts. */
struct sim_conf {
	uint64_t seed;
	uint32_t n;
	uint32_t quorum;
	int64_t down_after_ms;
	int64_t failover_timeout_ms;
	int64_t warmup_ms;    /* fault-free start: watchers find each other and the replicas */
	int64_t chaos_ms;     /* then faults, until the heal */
	int64_t fault_gap_ms; /* mean time between two faults */
	uint32_t drop_ppm;
	uint32_t dup_ppm;
	uint32_t slow_ppm; /* messages delayed by up to slow_max_ms (reordering) */
	int64_t delay_max_ms;
	int64_t slow_max_ms;
	uint32_t crash_action_ppm;  /* crash before executing an action */
	uint32_t crash_persist_ppm; /* crash right after a PERSIST, before what follows it */
	uint32_t persist_fail_ppm;
	uint32_t dead_at_heal; /* watchers left crashed for good after the heal (< n - quorum) */
	uint64_t steps_limit;  /* stop after this many steps (replay); 0 = no limit */
	bool lenient_epochs;   /* only count epochs revealed before persisted, do not fail */
	enum sim_sabotage sabotage; /* break the shell on purpose: the checkers must notice */
};

struct sim_coverage {
	bool split_vote;          /* 2 candidates in one epoch, none elected, a later one elected */
	bool crash_persist_reply; /* crashed after persisting a new vote, before replying */
	uint32_t elections;
	uint32_t crashes;
	uint32_t persist_failures;
	uint32_t dropped_msgs;
	uint32_t dup_msgs;
	uint32_t epoch_reveals; /* epochs revealed before being persisted (core issue, see docs) */
};

struct sim {
	struct sim_conf conf;
	uint64_t rng;
	int64_t now_ms;
	uint64_t steps;
	bool trace;
	FILE *out;
	bool failed;
	bool stopped; /* conf.steps_limit reached (replay) */
	char fail_msg[512];
	bool healed;
	int64_t heal_at_ms;
	int64_t live_at_ms; /* first time a live watcher led after the heal; -1 */
	int64_t bound_ms;
	int64_t end_at_ms;
	int side[SIM_WATCHERS_MAX + SIM_NODES]; /* partition side: watchers, then nodes */
	bool cut[SIM_WATCHERS_MAX][SIM_WATCHERS_MAX + SIM_NODES];
	struct sim_node nodes[SIM_NODES];
	struct sim_watcher w[SIM_WATCHERS_MAX];
	int8_t elected[SIM_EPOCHS_MAX];
	int8_t promoted[SIM_EPOCHS_MAX]; /* node promoted in that epoch, SIM_NO_VOTE if none */
	uint8_t candidates[SIM_EPOCHS_MAX]; /* bit per watcher in WAIT_START */
	uint64_t max_epoch;
	uint64_t hash;
	struct sim_coverage cov;
	/* the batch being executed */
	bool batch_crash;
	bool batch_persisted_vote;
	uint32_t ask_from; /* VOTE_REQUEST being answered: asker, else SIM_NONE */
	const struct sim_event *ask;
	struct qu_info info; /* scratch for one INFO reply (16 KiB) */
	struct sim_queue q;  /* last: sim_run() resets everything before it */
};

/* ---- run (sim_run.c) ---------------------------------------------------------------------- */

struct sim_result {
	bool ok;
	uint64_t steps;
	int64_t sim_ms;
	int64_t live_ms; /* heal to a leader; -1 if never */
	int64_t bound_ms;
	uint64_t max_epoch;
	uint64_t hash;
	struct sim_coverage cov;
	char fail_msg[512];
};

/* Draw the whole run's configuration from the seed; n = 0 picks 3, 5 or 7 from the seed. */
void sim_conf_from_seed(struct sim_conf *c, uint64_t seed, uint32_t n);
/*
 * Run one seed to completion on s (caller-owned, large: keep it off the stack). trace != NULL
 * prints every step there. Returns the result; never exits.
 */
void sim_run(struct sim *s, const struct sim_conf *conf, FILE *trace, struct sim_result *res);
/* The running simulation, for qu_panic() only (NULL between runs). */
const struct sim *sim_current(void);

/* ---- the network and faults (sim_net.c) --------------------------------------------------- */

/* Between the fault-free warm-up and the heal: the only time faults are injected. */
bool sim_in_chaos(const struct sim *s);
/* Node (0..2) is up and no partition or cut path separates watcher w from it. */
bool sim_reach_node(const struct sim *s, uint32_t w, uint32_t node);
/* Both watchers are up and no partition or cut path separates them. */
bool sim_reach_watcher(const struct sim *s, uint32_t a, uint32_t b);
/* Schedule ev (allocated by sim_queue_alloc) after a network delay; may drop or duplicate it. */
void sim_net_send(struct sim *s, struct sim_event *ev);
/* Keep one watcher's connections: notice broken ones, reconnect (before each TICK). */
void sim_net_links(struct sim *s, uint32_t w);
/* Open, close or drop connections for the core's NODE_ADD / NODE_DEL / RELINK. */
void sim_net_open(struct sim *s, uint32_t w, uint32_t endpoint);
void sim_net_close(struct sim *s, uint32_t w, uint32_t endpoint);
void sim_net_relink(struct sim *s, uint32_t w, uint32_t endpoint, enum qu_link_kind which);
/* A CONNECTED event arrived. */
void sim_net_on_connected(struct sim *s, const struct sim_event *ev);
/* The connection an event came back on is still the one it was sent on. */
bool sim_net_conn_current(const struct sim *s, const struct sim_event *ev);
/* Restart crashed watcher w at at_ms (only the latest scheduled restart counts). */
void sim_schedule_boot(struct sim *s, uint32_t w, int64_t at_ms);
/* Inject one random fault and schedule the next one (fault phase only). */
void sim_fault_inject(struct sim *s);
/* End of the fault phase: repair the network, kill the primary for good, crash up to
 * n - quorum watchers for good, restart the others, and set the liveness deadline. */
void sim_fault_heal(struct sim *s);

/* ---- watchers: the shell (sim_shell.c) ---------------------------------------------------- */

/* (Re)start watcher w from its snapshot, as the daemon boots; no-op if up or dead for good. */
void sim_watcher_boot(struct sim *s, uint32_t w);
/* Crash now: memory and connections gone, only the snapshot stays. */
void sim_watcher_crash(struct sim *s, uint32_t w);
/* Feed one input and execute its actions in order (with injected crashes and persist faults). */
void sim_feed(struct sim *s, uint32_t w, const struct qu_input *in);
/* Act on an event popped from the queue (the caller releases it afterwards). */
void sim_deliver(struct sim *s, const struct sim_event *ev);

/* ---- invariants and coverage (sim_check.c) ------------------------------------------------ */

/* Record the run's first broken invariant (later ones are ignored); the run then stops. */
void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
/* Fold v into the run's trace hash (FNV-1a 64). */
void sim_hash(struct sim *s, uint64_t v);
/* Fold a runid (at most QU_RUNID_LEN chars) or an event text into the trace hash. */
void sim_hash_str(struct sim *s, const char *str);
void sim_hash_text(struct sim *s, const char *text);
/* Index of the watcher with this runid, SIM_FOREIGN if none. */
int sim_watcher_by_runid(const struct sim *s, const char *runid);
/* A PERSIST just replaced prev with w's new snapshot. */
void sim_check_persist(struct sim *s, uint32_t w, const struct sim_snap *prev);
/* w reveals that it voted for leader in epoch (a VOTE_REPLY, its candidacy, ELECTED). */
void sim_check_reveal(struct sim *s, uint32_t w, const char *leader, uint64_t epoch,
                      const char *how);
/* w reveals its current epoch (hello, ask): it must have been persisted (unless lenient). */
void sim_check_epoch_reveal(struct sim *s, uint32_t w, uint64_t epoch, const char *how);
/* w executes ELECTED a: one leader per epoch, ODOWN, enough real votes (docs/simulation.md). */
void sim_check_elected(struct sim *s, uint32_t w, const struct qu_action *a);
/* A PROMOTE of node k by watcher w: only its failover epoch's leader, one node per epoch. */
void sim_check_promote(struct sim *s, uint32_t w, const struct qu_action *a, uint32_t k);
/* After every step of w (w up): epochs vs snapshot, candidates, liveness. */
void sim_check_step(struct sim *s, uint32_t w);
/* At the end of the run: coverage flags. */
void sim_check_finish(struct sim *s);

#endif
