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

#endif
