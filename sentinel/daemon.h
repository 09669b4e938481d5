/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * struct sn_daemon owns everything a watcher has: the loop, the config, the core's memory, the
 * links to cache nodes and the client server. It is the one place where I/O becomes core inputs
 * (sn_daemon_feed) and core actions become I/O; it decides nothing itself.
 */
#ifndef SN_DAEMON_H
#define SN_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "conf.h"
#include "err.h"
#include "link.h"
#include "quorum.h"
#include "quorum_wire.h"
#include "script.h"
#include "server.h"

#define SN_TICK_MS 100
#define SN_DEFER_MAX 1024
#define SN_GROUPS_MAX 256 /* <= SN_STATE_GROUPS_MAX */
#define SN_NODES_MAX 4096
#define SN_WATCHERS_MAX 1024
#define SN_TAG_IGNORE 0x0fffffffu /* link command tag: the reply is not needed */

/* Per node, what the shell keeps beside the core: the raw INFO text for SENTINEL INFO-CACHE. */
struct sn_node_cache {
	char *info;
	size_t info_len;
	int64_t info_at_ms;
};

struct sn_daemon {
	struct ev_loop *loop;
	char conf_path[4096];
	struct sn_conf conf; /* as loaded from the config file (never changed) */
	struct sn_conf live; /* globals in force: conf + state file + CONFIG SET (no groups) */
	void *core_mem;
	struct qu_core *core;
	struct sn_links links;
	struct sn_server server;
	struct sn_scripts scripts;   /* notification-script / client-reconfig-script runs */
	struct sn_node_cache *cache; /* qu_nodes_max() entries */
	ev_timer tick;
	ev_timer wake; /* one-shot: the core's next deadline, if before the tick */
	ev_signal sig_term;
	ev_signal sig_int;
	ev_signal sig_hup;
	int64_t started_ms;
	int64_t last_tick_ms;          /* monotonic time of the last periodic tick (stall check) */
	int64_t last_tick_wall_ms;     /* wall time of it (clock jump check) */
	uint64_t seed;
	bool booting; /* defer state writes until boot is complete */
	bool feeding; /* inside sn_daemon_feed: inputs are queued */
	bool persist_wanted;
	int persist_rc; /* result of the last state write (0 or -errno) */
	uint32_t defer_head;
	uint32_t defer_len;
	struct qu_input defer[SN_DEFER_MAX];
	struct qu_info *defer_info[SN_DEFER_MAX];
	struct qu_hello *defer_hello[SN_DEFER_MAX];
	uint64_t hello_received;        /* gossip counters */
	uint64_t hello_rejected;        /* malformed, or naming a primary we do not monitor */
	uint64_t vote_reply_rejected;   /* malformed IS-MASTER-DOWN-BY-ADDR replies from peers */
	uint64_t vote_request_rejected; /* malformed IS-MASTER-DOWN-BY-ADDR requests */
	uint64_t persist_failures;      /* state file writes that failed */
	struct {
		bool valid; /* set by the VOTE_REPLY action of the last request */
		bool down;
		char leader[QU_RUNID_LEN + 1];
		uint64_t leader_epoch;
	} vote_answer;
};

/*
 * Build a daemon from a loaded config: read (or create) the state file under conf->dir, size and
 * restore the core, open the client port, start monitoring. On error fills err and returns a
 * negative value; sn_daemon_free() is then still safe. Takes ownership of *conf.
 */
int sn_daemon_init(struct sn_daemon *d, struct ev_loop *loop, const char *conf_path,
                   struct sn_conf *conf, struct sn_err *err) __attribute__((warn_unused_result));

/* Flush state and release everything. */
void sn_daemon_free(struct sn_daemon *d);

/*
 * Feed one input to the core and execute the actions it emits, in order; returns qu_step()'s
 * result. Re-entrant calls (from I/O callbacks fired while executing) are queued and fed after.
 * The caller fills in->now_ms from sn_clock_now_ms().
 */
int sn_daemon_feed(struct sn_daemon *d, const struct qu_input *in);

/* Write the state file now. Returns 0 or -errno (also kept in d->persist_rc). */
int sn_daemon_persist(struct sn_daemon *d);

/* The SENTINEL command (cmd_sentinel.c). */
void sn_cmd_sentinel(void *ctx, struct sn_client *c, int argc, char **argv, size_t *lens);
void sn_cmd_role(void *ctx, struct sn_client *c);
void sn_cmd_info_sentinel(void *ctx, struct sn_buf *out);
void sn_cmd_info_vigil(void *ctx, struct sn_buf *out);

#endif
