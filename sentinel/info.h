/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pure parser of a node's INFO reply into struct qu_info (sentinel-protocol.md §9.3). It owns the
 * field-name table and the strict number and host checks; it must never do I/O, allocate, log,
 * decide anything about the topology, or read outside the bytes it was given.
 */
#ifndef SN_INFO_H
#define SN_INFO_H

#include <stddef.h>

#include "quorum_types.h"

/*
 * Parse an INFO reply (default sections) into out. text need not be NUL-terminated. Returns 0, or
 * -EINVAL when text is not INFO at all (no "role:" line). Never reads past len, never crashes.
 *
 * text: len bytes, borrowed for the call only (NULL is allowed when len is 0); NUL bytes inside
 * are ordinary bytes. out: caller-owned, must not be NULL; it is fully overwritten (reset to the
 * defaults below first), also on -EINVAL, where it holds only the defaults.
 *
 * Lines end at LF, one CR before it is dropped. A line is "<key>:<value>"; unknown keys, lines
 * without a colon and section headers are skipped. When a key repeats, the last valid value wins.
 * A malformed value (bad number, out of range, host empty, longer than QU_HOST_MAX - 1 or with
 * bytes outside 0x21..0x7e) is ignored and the field keeps its default; it never fails the parse.
 * - run_id: exactly QU_RUNID_LEN bytes in 0x21..0x7e, else has_run_id is false.
 * - role: master -> QU_ROLE_PRIMARY, slave -> QU_ROLE_REPLICA, anything else QU_ROLE_UNKNOWN
 *   (the line still makes the text INFO).
 * - master_host, master_port: primary; has_primary only when both are valid (port 1..65535).
 * - master_link_status: "up" (any case) sets primary_link_up, anything else clears it.
 * - master_link_down_since_seconds: -1..INT64_MAX/1000, times 1000 (-1 gives -1000); default 0.
 * - slave_priority, replica_priority: 0..INT32_MAX; default QU_DEFAULT_PRIORITY.
 * - slave_repl_offset: 0..INT64_MAX; default 0.
 * - replica_announced: 0 or 1; default true.
 * - slave<N> (N all digits): "ip=<host>,port=<port>,..." with fields in any order, or the old
 *   "<host>,<port>,<state>"; appended to replicas[] unless that address (host compared
 *   case-insensitively) is already there; past QU_REPLICAS_MAX distinct ones, replicas_truncated.
 * slave<N> lines are collected whatever the role line says (a replica with sub-replicas lists
 * them too): as in Redis Sentinel, whether they matter depends on how the node is monitored,
 * which is the core's decision.
 */
int sn_info_parse(const char *text, size_t len, struct qu_info *out)
    __attribute__((warn_unused_result));

#endif
