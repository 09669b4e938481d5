/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What cmd_sentinel.c (the SENTINEL subcommands) and cmd_describe.c (instance descriptions)
 * share and nothing else may include: the per-request context and the reply builders both use.
 * It declares no state and no wire strings.
 */
#ifndef SN_CMD_SENTINEL_INTERNAL_H
#define SN_CMD_SENTINEL_INTERNAL_H

#include <stdint.h>

#include "daemon.h"
#include "quorum.h"
#include "resp.h"
#include "server.h"

/* One SENTINEL request: built by sn_cmd_sentinel(), valid only while its handler runs. */
struct req {
	struct sn_daemon *d;
	struct sn_client *c;
	struct sn_buf *out;
	int proto;
	int argc;
	char **argv;
	int64_t now_ms; /* one clock reading for the whole reply */
};

/*
 * Append one field/value pair: key and value each as a bulk string (the value of
 * sn_cmd_field_ll in decimal). The caller opened the map or array with sn_resp_map() and
 * counted this pair in it.
 */
void sn_cmd_field_str(struct sn_buf *out, const char *key, const char *val);
void sn_cmd_field_ll(struct sn_buf *out, const char *key, long long val);

/*
 * Append the description of node `node` of group `group` (its primary or a replica) in Sentinel
 * 7.0's field order (sentinel-protocol.md §6.3): one map (RESP3) or flat array (RESP2). Both
 * indexes must name live entries of r->d->core.
 */
void sn_cmd_describe_node(struct req *r, uint32_t group, uint32_t node);

/*
 * Append the description of peer p, one of group g's other watchers, as SENTINEL SENTINELS shows
 * it (sentinel-protocol.md §6.3, sentinel kind). p must be one of g->peers.
 */
void sn_cmd_describe_peer(struct req *r, const struct qu_group *g, const struct qu_peer *p);

#endif
