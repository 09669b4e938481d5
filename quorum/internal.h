/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private layout of the quorum core. Only the .c files of quorum/ and white-box unit tests include this. It ends
 * by poisoning every clock, allocator and I/O function: the core must stay pure (STYLE.md §3).
 */
#ifndef QU_INTERNAL_H
#define QU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h> /* snprintf only: formatting is pure */
#include <strings.h>
#include <stdint.h>
#include <string.h>

#include "quorum.h"
#include "quorum_wire.h"

#define QU_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (!(cond))                                                                       \
			qu_panic(__FILE__, __LINE__, #cond);                                       \
	} while (0)

#define QU_GROUPS_LIMIT 100000u
#define QU_NODES_LIMIT 1000000u
#define QU_ACTIONS_PER_NODE 8u   /* per TICK: link checks, PING, INFO, hello, events */
#define QU_ACTIONS_PER_PEER 4u   /* per TICK and group: ask, hello, events */
#define QU_PEER_REPLY_VALID_MS (5 * QU_ASK_PERIOD_MS) /* a peer's opinion expires (§3.3) */
#define QU_ACTIONS_EXTRA 64u

struct qu_core {
	struct qu_limits limits;
	uint64_t prng;
	char myid[QU_RUNID_LEN + 1];
	uint64_t current_epoch;
	int64_t now_ms;                 /* of the input being processed */
	struct qu_group *groups;        /* limits.groups_max */
	struct qu_node *nodes;          /* limits.nodes_max */
	struct qu_watcher *watchers;    /* limits.watchers_max */
	bool dirty;                     /* a PERSIST failed: persist again before revealing */
	bool persist_queued;            /* a PERSIST in the outbox not yet followed by a reveal */
	bool tilt;                      /* sentinel-protocol.md §9.1: observe, do not act */
	int64_t tilt_since_ms;
	int64_t tilt_last_stall_ms;
	struct qu_action *outbox;
	uint32_t outbox_max;
	uint32_t outbox_len;
	uint32_t outbox_pos;
};

/* core.c: outbox */
struct qu_action *qu_core_emit(struct qu_core *core, enum qu_action_kind kind, uint32_t group,
			       uint32_t node);
void qu_core_event(struct qu_core *core, enum qu_event ev, uint32_t group, uint32_t node,
		   const char *suffix);

/* topology.c: nodes of a group */
uint32_t qu_topology_node_add(struct qu_core *core, uint32_t group, enum qu_role kind,
			      const struct qu_addr *addr);
void qu_topology_node_del(struct qu_core *core, uint32_t node);
void qu_topology_on_info(struct qu_core *core, uint32_t node, const struct qu_info *info);
/* leader: we promoted it (the +switch-master event carries .flag = leader). */
void qu_topology_switch(struct qu_core *core, uint32_t group, const struct qu_addr *addr,
			bool leader);
bool qu_addr_equal(const struct qu_addr *a, const struct qu_addr *b);

/* detect.c: periodic probes, link health, subjective down */
void qu_detect_tick(struct qu_core *core);
void qu_detect_on_link(struct qu_core *core, uint32_t node, enum qu_link_kind which, bool up);
void qu_detect_on_ping(struct qu_core *core, uint32_t node, bool valid);
void qu_detect_node_reset(struct qu_node *n, int64_t now_ms);
void qu_detect_stall(struct qu_core *core);

/* detect.c: probe helpers shared by nodes and watchers */
void qu_probe_reset(struct qu_probe *p, int64_t now_ms);
bool qu_probe_ping_due(struct qu_probe *p, int64_t now_ms, int64_t down_after_ms);
void qu_probe_on_reply(struct qu_probe *p, int64_t now_ms, bool valid);
void qu_probe_on_loss(struct qu_probe *p, int64_t now_ms);
int64_t qu_probe_deadline(const struct qu_probe *p, int64_t down_after_ms, bool connected);
bool qu_probe_timed_out(const struct qu_probe *p, int64_t now_ms, int64_t down_after_ms,
			bool connected);

/* peers.c: other watchers learned from hellos; objective down */
void qu_peers_tick(struct qu_core *core);
int qu_peers_on_hello(struct qu_core *core, const struct qu_hello *h);
void qu_peers_on_link(struct qu_core *core, uint32_t watcher, bool up);
void qu_peers_on_ping(struct qu_core *core, uint32_t watcher, bool valid);
void qu_peers_drop_group(struct qu_core *core, uint32_t group);
int qu_peers_restore(struct qu_core *core, uint32_t group, const struct qu_addr *addr,
		     const char *runid);
void qu_peers_check_odown(struct qu_core *core, uint32_t group);
void qu_peers_ask(struct qu_core *core, uint32_t group);
/* A majority (us included) confirmed our config epoch by hellos received after since_ms. */
bool qu_peers_config_confirmed(const struct qu_group *g, int64_t since_ms);

/* vote.c: epochs, votes, leader election */
/* A well-formed request: runid "*" or 40 hex digits, epoch within QU_EPOCH_MAX. */
bool qu_vote_request_ok(const struct qu_vote_request *req);
void qu_vote_on_request(struct qu_core *core, const struct qu_vote_request *req);
int qu_vote_on_reply(struct qu_core *core, uint32_t watcher, const struct qu_vote_reply *rep);
void qu_vote_tick_group(struct qu_core *core, uint32_t group);
/* When the group's election logic next needs a tick (INT64_MAX: nothing timed). */
int64_t qu_vote_deadline(const struct qu_core *core, uint32_t group);
void qu_vote_persist_failed(struct qu_core *core);
/* Emit PERSIST now if a previous one failed (call before anything that reveals state). */
void qu_vote_persist_before_reveal(struct qu_core *core);
void qu_core_new_epoch(struct qu_core *core, uint64_t epoch);

void qu_vote_cast_self(struct qu_core *core, uint32_t group);

/* failover.c: the failover proper, led by the elected watcher */
void qu_failover_step(struct qu_core *core, uint32_t group);
void qu_failover_on_info(struct qu_core *core, uint32_t node, const struct qu_info *info);
int qu_failover_force(struct qu_core *core, uint32_t group);

/* admin.c: configuration changes */
int qu_admin_step(struct qu_core *core, const struct qu_admin *admin);

/* wire.c: Sentinel event payloads ("instance details", sentinel-protocol.md §7) */
void qu_wire_details(const struct qu_core *core, uint32_t group, uint32_t node, char *out,
		     size_t size);

/* Emit SEND_HELLO for group to endpoint, with the hello's state fields rendered now (so that a
 * later change in the same step can never ride on it before its PERSIST). */
void qu_wire_emit_hello(struct qu_core *core, uint32_t group, uint32_t endpoint);

/* prng.c */
uint64_t qu_prng_next(uint64_t *state);

#pragma GCC poison time clock_gettime gettimeofday rand random srand malloc calloc realloc free
#pragma GCC poison printf fprintf syslog getenv

#endif
