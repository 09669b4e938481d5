/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared fixture of the core suites (detect, peers, vote): one quorum core in malloc'd memory
 * driven through qu_step() with a fake clock, its outbox copied out after every step, and builders
 * for the inputs those suites feed. It holds no test logic and must never reach past quorum.h.
 */
#ifndef UT_FIXTURE_CORE_H
#define UT_FIXTURE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "quorum.h"
#include "quorum_wire.h"

#define FX_ACTS_MAX 512
#define FX_MYID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* the core's own run id */

/* The core under test and what its last step emitted. Suites run one test at a time. */
struct fx_core {
	void *mem;
	struct qu_core *core;
	int64_t now_ms; /* the fake clock: stamped on every input by fx_step() */
	struct qu_action acts[FX_ACTS_MAX];
	int count; /* actions of the last step, in outbox order */
};

extern struct fx_core fx;

/* What fx_given_core() varies; a zero field takes the default shown. */
struct fx_setup {
	uint32_t quorum;             /* 2 */
	uint32_t watchers_max;       /* 8 */
	int64_t failover_timeout_ms; /* 180000 */
	uint64_t seed;               /* 42 */
};

/*
 * Free the previous core, then build a core "aaaa..." (FX_MYID) with 4 groups and 16 nodes at
 * fx.now_ms = 1000000 that monitors "mymaster" at 127.0.0.1:6379 (down-after 5000 ms). Asserts
 * (fatally) that both succeed; the outbox is drained. Returns the group's index.
 */
uint32_t fx_given_core(struct fx_setup s);

/* fx_given_core() with every default. */
uint32_t fx_given_default_core(void);

/* Free the core (the last test of a suite calls it; fx_given_core() does it for the others). */
void fx_release(void);

/* Stamp in with fx.now_ms, step the core and copy the outbox into fx.acts. Returns qu_step's. */
int fx_step(struct qu_input *in);

/* Monitoring conf for name at 127.0.0.1:port: quorum 2, down-after 5 s, failover 180 s. */
struct qu_group_conf fx_group_conf(const char *name, int port);

/* MONITOR name at 127.0.0.1:port (asserted to succeed, fatally); the group's index. */
uint32_t fx_monitor(const char *name, int port, uint32_t quorum, int64_t failover_timeout_ms);

/* An ADMIN input for op on group; the caller fills the rest of .u.admin. */
struct qu_input fx_admin(enum qu_admin_op op, uint32_t group);

/* Each feeds one input and asserts (not fatally) that the core accepted it. */
void fx_tick(void);
void fx_link_up(uint32_t node); /* the command link, then the pub/sub link */
void fx_pong(uint32_t node, bool valid);
void fx_info(uint32_t node, const struct qu_info *info);
/* A vote reply from endpoint node about group g; leader '*' is "no vote", else a runid letter. */
void fx_vote_reply(uint32_t node, uint32_t g, bool down, char leader, uint64_t leader_epoch);

/* The primary has never answered: SDOWN on the first tick after down-after (5000 ms). */
void fx_primary_goes_sdown(void);

/* INFO of a primary listing replicas at 127.0.0.1:6380, 6381, ... (no run id). */
struct qu_info fx_primary_info(int replicas);

/* The run id "<c><c>...": QU_RUNID_LEN times c, NUL-terminated. */
void fx_runid_of(char c, char out[QU_RUNID_LEN + 1]);

/* A hello from watcher "<c>..." at 127.0.0.1:port about group name, primary 127.0.0.1:6379. */
struct qu_hello fx_hello(char c, int port, const char *name);

/* Feed a hello; qu_step's result. */
int fx_feed_hello(const struct qu_hello *h);

/* Feed fx_hello(c, port, name), asserted (fatally) to be accepted. */
void fx_learn(char c, int port, const char *name);

/* Watcher index of run id "<c>...", or QU_NONE. */
uint32_t fx_watcher_of(char c);

/* Over the last step's actions: how many of a kind or event, the first index (-1: none). */
int fx_count_kind(enum qu_action_kind kind);
int fx_count_event(enum qu_event ev);
int fx_index_of_kind(enum qu_action_kind kind);
int fx_index_of_event(enum qu_event ev);

/* The first EVENT action carrying ev, or NULL. */
const struct qu_action *fx_find_event(enum qu_event ev);

#endif
