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

#define QU_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (!(cond))                                                                       \
			qu_panic(__FILE__, __LINE__, #cond);                                       \
	} while (0)

#define QU_GROUPS_LIMIT 100000u
#define QU_NODES_LIMIT 1000000u
#define QU_ACTIONS_PER_NODE 8u   /* per TICK: link checks, PING, INFO, hello, events */
#define QU_ACTIONS_EXTRA 64u

struct qu_core {
	struct qu_limits limits;
	uint64_t prng;
	char myid[QU_RUNID_LEN + 1];
	uint64_t current_epoch;
	int64_t now_ms;                 /* of the input being processed */
	struct qu_group *groups;        /* limits.groups_max */
	struct qu_node *nodes;          /* limits.nodes_max */
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
bool qu_addr_equal(const struct qu_addr *a, const struct qu_addr *b);

/* detect.c: periodic probes, link health, subjective down */
void qu_detect_tick(struct qu_core *core);
void qu_detect_on_link(struct qu_core *core, uint32_t node, enum qu_link_kind which, bool up);
void qu_detect_on_ping(struct qu_core *core, uint32_t node, bool valid);
void qu_detect_node_reset(struct qu_node *n, int64_t now_ms);

/* admin.c: configuration changes */
int qu_admin_step(struct qu_core *core, const struct qu_admin *admin);

/* wire.c: Sentinel event payloads ("instance details", sentinel-protocol.md §7) */
void qu_wire_details(const struct qu_core *core, uint32_t group, uint32_t node, char *out,
		     size_t size);

/* prng.c */
uint64_t qu_prng_next(uint64_t *state);

#pragma GCC poison time clock_gettime gettimeofday rand random srand malloc calloc realloc free
#pragma GCC poison printf fprintf syslog getenv

#endif
