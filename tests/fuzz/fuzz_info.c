// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for sn_info_parse(): any bytes must parse without crashing, without reading
 * past the input (it is copied into a heap buffer of exactly that size, so ASan sees over-reads)
 * and leave struct qu_info consistent. It must never mask a failure: violations abort.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_info(int rc, const struct qu_info *info)
{
	check(rc == 0 || rc == -EINVAL);
	check(info->role == QU_ROLE_UNKNOWN || info->role == QU_ROLE_PRIMARY ||
	      info->role == QU_ROLE_REPLICA);
	check(strnlen(info->run_id, sizeof(info->run_id)) == (info->has_run_id ? QU_RUNID_LEN : 0));
	size_t host_len = strnlen(info->primary.host, QU_HOST_MAX);
	check(host_len < QU_HOST_MAX);
	check(info->has_primary == (host_len > 0));
	check(info->has_primary == (info->primary.port != 0));
	check(info->priority >= 0);
	check(info->repl_offset >= 0);
	check(info->primary_link_down_ms >= -1000 && info->primary_link_down_ms % 1000 == 0);
	check(info->replica_count <= QU_REPLICAS_MAX);
	check(!info->replicas_truncated || info->replica_count == QU_REPLICAS_MAX);
	for (uint32_t i = 0; i < info->replica_count; i++) {
		host_len = strnlen(info->replicas[i].host, QU_HOST_MAX);
		check(host_len > 0 && host_len < QU_HOST_MAX);
		check(info->replicas[i].port != 0);
		for (uint32_t j = 0; j < i; j++) /* no duplicated addresses */
			check(info->replicas[j].port != info->replicas[i].port ||
			      strcasecmp(info->replicas[j].host, info->replicas[i].host) != 0);
	}
	if (rc != 0) /* not INFO: only the defaults */
		check(info->role == QU_ROLE_UNKNOWN && !info->has_run_id && !info->has_primary &&
		      info->replica_count == 0 && info->priority == QU_DEFAULT_PRIORITY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);
	struct qu_info info;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	int rc = sn_info_parse(size > 0 ? copy : NULL, size, &info);

	check_info(rc, &info);
	free(copy);
	return 0;
}
