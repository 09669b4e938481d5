/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sentinel 7.0 messages as a pure codec: the hello gossip payload (sentinel-protocol.md §2.1).
 * No I/O, no allocation.
 */
#ifndef QU_QUORUM_WIRE_H
#define QU_QUORUM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "quorum_types.h"

#define QU_HELLO_CHANNEL "__sentinel__:hello"

struct qu_hello {
	struct qu_addr watcher;            /* sender's announced address */
	char runid[QU_RUNID_LEN + 1];
	uint64_t current_epoch;
	char name[QU_NAME_MAX];
	struct qu_addr primary;
	uint64_t config_epoch;
};

/*
 * Render h as "ip,port,runid,current_epoch,name,primary_ip,primary_port,config_epoch" into out.
 * Returns the length, or -1 if it does not fit in size.
 */
int qu_wire_hello_format(const struct qu_hello *h, char *out, size_t size);

/*
 * Parse a hello payload (len bytes, need not be NUL-terminated). Strict: exactly 8 comma-separated
 * fields, no empty ones; ports 1..65535; epochs decimal without sign, at most 19 digits; runid
 * exactly QU_RUNID_LEN hex digits; hosts and the name printable without spaces and short enough
 * for their buffers. Returns 0, or QU_WIRE_E* (negative) naming the first problem; *out is then
 * unspecified.
 */
int qu_wire_hello_parse(const char *payload, size_t len, struct qu_hello *out)
	__attribute__((warn_unused_result));

/* A replica's Sentinel name: "ip:port", or "[ip]:port" for IPv6 (Sentinel's announceSentinelAddr).
 * Truncated to size (which includes the NUL). */
void qu_wire_node_name(const struct qu_addr *addr, char *out, size_t size);

#define QU_WIRE_EFIELDS (-1)  /* not 8 fields */
#define QU_WIRE_EADDR (-2)    /* bad watcher or primary address */
#define QU_WIRE_ERUNID (-3)   /* runid not 40 hex digits */
#define QU_WIRE_EEPOCH (-4)   /* epoch not a decimal number that fits */
#define QU_WIRE_ENAME (-5)    /* empty or too long name, bad bytes */

#endif
