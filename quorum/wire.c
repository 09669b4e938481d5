// SPDX-License-Identifier: BSD-3-Clause
/*
 * Sentinel 7.0 wire text produced by the core: the "instance details" prefix of event payloads
 * (sentinel-protocol.md §7) and the hello payload (§2.1). The master/slave vocabulary lives here and in the shell's tables only.
 */
#include "internal.h"

#include "quorum_wire.h"


static const char *const kind_wire[] = {
	[QU_ROLE_UNKNOWN] = "?",
	[QU_ROLE_PRIMARY] = "master",
	[QU_ROLE_REPLICA] = "slave",
};

/* Replica names are "ip:port", "[ip]:port" for IPv6 (Sentinel's announceSentinelAddr). */
static void node_name(const struct qu_addr *addr, char *out, size_t size)
{
	if (strchr(addr->host, ':') != NULL)
		snprintf(out, size, "[%s]:%u", addr->host, (unsigned)addr->port);
	else
		snprintf(out, size, "%s:%u", addr->host, (unsigned)addr->port);
}

void qu_wire_details(const struct qu_core *core, uint32_t group, uint32_t node, char *out,
		     size_t size)
{
	QU_ASSERT(group < core->limits.groups_max);
	const struct qu_group *g = &core->groups[group];
	if (node == QU_NONE || node == g->primary) {
		snprintf(out, size, "master %s %s %u", g->conf.name, g->conf.addr.host,
			 (unsigned)g->conf.addr.port);
		return;
	}
	QU_ASSERT(node < core->limits.nodes_max);
	const struct qu_node *n = &core->nodes[node];
	char name[QU_HOST_MAX + 8];
	node_name(&n->addr, name, sizeof(name));
	snprintf(out, size, "%s %s %s %u @ %s %s %u", kind_wire[n->kind], name, n->addr.host,
		 (unsigned)n->addr.port, g->conf.name, g->conf.addr.host,
		 (unsigned)g->conf.addr.port);
}

int qu_wire_hello_format(const struct qu_hello *h, char *out, size_t size)
{
	int n = snprintf(out, size, "%s,%u,%s,%llu,%s,%s,%u,%llu", h->watcher.host,
			 (unsigned)h->watcher.port, h->runid, (unsigned long long)h->current_epoch,
			 h->name, h->primary.host, (unsigned)h->primary.port,
			 (unsigned long long)h->config_epoch);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}
