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

void qu_wire_node_name(const struct qu_addr *addr, char *out, size_t size)
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
	qu_wire_node_name(&n->addr, name, sizeof(name));
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

/* Field [start, end) of payload. */
struct span {
	const char *p;
	size_t len;
};

static bool span_copy_token(struct span f, char *out, size_t size)
{
	if (f.len == 0 || f.len >= size)
		return false;
	for (size_t i = 0; i < f.len; i++)
		if ((unsigned char)f.p[i] <= 0x20 || (unsigned char)f.p[i] >= 0x7f)
			return false;
	memcpy(out, f.p, f.len);
	out[f.len] = '\0';
	return true;
}

static bool span_u64(struct span f, uint64_t max, uint64_t *out)
{
	if (f.len == 0 || f.len > 19)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < f.len; i++) {
		if (f.p[i] < '0' || f.p[i] > '9')
			return false;
		v = v * 10u + (uint64_t)(f.p[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool span_port(struct span f, uint16_t *out)
{
	uint64_t v;
	if (!span_u64(f, 65535, &v) || v == 0)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool span_runid(struct span f, char *out)
{
	if (f.len != QU_RUNID_LEN)
		return false;
	for (size_t i = 0; i < f.len; i++) {
		char c = f.p[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		if (!hex)
			return false;
	}
	memcpy(out, f.p, QU_RUNID_LEN);
	out[QU_RUNID_LEN] = '\0';
	return true;
}

static int split_fields(const char *payload, size_t len, struct span f[8])
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && payload[i] != ',')
			continue;
		if (n == 8)
			return QU_WIRE_EFIELDS;
		f[n].p = payload + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n == 8 ? 0 : QU_WIRE_EFIELDS;
}

int qu_wire_hello_parse(const char *payload, size_t len, struct qu_hello *out)
{
	struct span f[8];
	int rc = split_fields(payload, len, f);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (!span_copy_token(f[0], out->watcher.host, sizeof(out->watcher.host)) ||
	    !span_port(f[1], &out->watcher.port))
		return QU_WIRE_EADDR;
	if (!span_runid(f[2], out->runid))
		return QU_WIRE_ERUNID;
	if (!span_u64(f[3], (uint64_t)INT64_MAX, &out->current_epoch) ||
	    !span_u64(f[7], (uint64_t)INT64_MAX, &out->config_epoch))
		return QU_WIRE_EEPOCH;
	if (!span_copy_token(f[4], out->name, sizeof(out->name)))
		return QU_WIRE_ENAME;
	if (!span_copy_token(f[5], out->primary.host, sizeof(out->primary.host)) ||
	    !span_port(f[6], &out->primary.port))
		return QU_WIRE_EADDR;
	return 0;
}

void qu_wire_emit_hello(struct qu_core *core, uint32_t group, uint32_t endpoint)
{
	const struct qu_group *g = &core->groups[group];
	qu_vote_persist_before_reveal(core); /* a hello reveals our epochs */
	struct qu_action *a = qu_core_emit(core, QU_ACT_SEND_HELLO, group, endpoint);
	a->epoch = core->current_epoch;
	/* Fields 2..7 of the hello; the shell prepends our address as seen on that link. */
	snprintf(a->text, sizeof(a->text), "%s,%llu,%s,%s,%u,%llu", core->myid,
		 (unsigned long long)core->current_epoch, g->conf.name, g->conf.addr.host,
		 (unsigned)g->conf.addr.port, (unsigned long long)g->config_epoch);
}
