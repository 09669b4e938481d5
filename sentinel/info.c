// SPDX-License-Identifier: BSD-3-Clause
/*
 * INFO reply parser: splits the text into lines, dispatches "<key>:<value>" through a table of
 * field handlers and checks every value strictly. It works on (pointer, length) pairs only, so it
 * must never assume NUL termination, allocate, log or read past the length it was given.
 */
#include "info.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parse_state {
	struct qu_info *out;
	bool has_role;
	bool has_primary_host;
	bool has_primary_port;
};

typedef void (*field_fn)(struct parse_state *st, const char *val, size_t len);

/* Strict decimal: optional '-', digits only, no spaces or '+', within [min, max]. */
static int parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *v)
{
	char buf[24]; /* "-9223372036854775808" is 20 bytes */

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] != '-' && (buf[0] < '0' || buf[0] > '9'))
		return -EINVAL;
	errno = 0;
	char *end;
	long long x = strtoll(buf, &end, 10);
	/* end != buf + len also catches a NUL byte inside the value. */
	if (errno != 0 || end != buf + len || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static bool is_graph(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Copy a host name or address; refuses empty, too long or non-printable ones. */
static int copy_host(char dst[QU_HOST_MAX], const char *s, size_t len)
{
	if (len == 0 || len >= QU_HOST_MAX || !is_graph(s, len))
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int parse_port(const char *s, size_t len, uint16_t *port)
{
	int64_t v;

	if (parse_i64(s, len, 1, UINT16_MAX, &v) != 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static void on_run_id(struct parse_state *st, const char *val, size_t len)
{
	/* Exactly 40 chars: Redis Sentinel remembers it for reboot detection (§9.2). */
	if (len != QU_RUNID_LEN || !is_graph(val, len))
		return;
	memcpy(st->out->run_id, val, len);
	st->out->run_id[len] = '\0';
	st->out->has_run_id = true;
}

static void on_role(struct parse_state *st, const char *val, size_t len)
{
	st->has_role = true;
	if (len == 6 && memcmp(val, "master", 6) == 0)
		st->out->role = QU_ROLE_PRIMARY;
	else if (len == 5 && memcmp(val, "slave", 5) == 0)
		st->out->role = QU_ROLE_REPLICA;
	else
		st->out->role = QU_ROLE_UNKNOWN;
}

static void on_primary_host(struct parse_state *st, const char *val, size_t len)
{
	if (copy_host(st->out->primary.host, val, len) == 0)
		st->has_primary_host = true;
}

static void on_primary_port(struct parse_state *st, const char *val, size_t len)
{
	if (parse_port(val, len, &st->out->primary.port) == 0)
		st->has_primary_port = true;
}

static void on_link_status(struct parse_state *st, const char *val, size_t len)
{
	/* Sentinel compares with strcasecmp: "up" is up, anything else is down. */
	st->out->primary_link_up = len == 2 && strncasecmp(val, "up", 2) == 0;
}

static void on_link_down_since(struct parse_state *st, const char *val, size_t len)
{
	int64_t s;

	/* Redis >= 6.2 prints -1 when the replica never connected; Sentinel keeps it as -1000. */
	if (parse_i64(val, len, -1, INT64_MAX / 1000, &s) == 0)
		st->out->primary_link_down_ms = s * 1000;
}

static void on_priority(struct parse_state *st, const char *val, size_t len)
{
	int64_t v;

	if (parse_i64(val, len, 0, INT32_MAX, &v) == 0)
		st->out->priority = (int32_t)v;
}

static void on_repl_offset(struct parse_state *st, const char *val, size_t len)
{
	int64_t v;

	if (parse_i64(val, len, 0, INT64_MAX, &v) == 0)
		st->out->repl_offset = v;
}

static void on_announced(struct parse_state *st, const char *val, size_t len)
{
	int64_t v;

	if (parse_i64(val, len, 0, 1, &v) == 0)
		st->out->replica_announced = v == 1;
}

/* Cut the next comma-separated field off (*s, *len) into (*f, *flen). */
static void next_field(const char **s, size_t *len, const char **f, size_t *flen)
{
	const char *comma = memchr(*s, ',', *len);
	size_t n = comma != NULL ? (size_t)(comma - *s) : *len;

	*f = *s;
	*flen = n;
	*s += comma != NULL ? n + 1 : n;
	*len -= comma != NULL ? n + 1 : n;
}

/* "ip=<host>,port=<port>,state=...": the first valid ip= and port= fields win, in any order. */
static int parse_replica_kv(const char *s, size_t len, struct qu_addr *a)
{
	bool has_ip = false, has_port = false;

	while (len > 0) { /* each pass consumes at least one byte */
		const char *f;
		size_t flen;

		next_field(&s, &len, &f, &flen);
		if (!has_ip && flen >= 3 && memcmp(f, "ip=", 3) == 0)
			has_ip = copy_host(a->host, f + 3, flen - 3) == 0;
		else if (!has_port && flen >= 5 && memcmp(f, "port=", 5) == 0)
			has_port = parse_port(f + 5, flen - 5, &a->port) == 0;
	}
	return has_ip && has_port ? 0 : -EINVAL;
}

/* Pre-2.8 "<host>,<port>,<state>": Sentinel requires the comma after the port. */
static int parse_replica_old(const char *s, size_t len, struct qu_addr *a)
{
	const char *ip, *port;
	size_t ip_len, port_len;

	next_field(&s, &len, &ip, &ip_len);
	next_field(&s, &len, &port, &port_len);
	if (port + port_len >= s) /* no comma after the port */
		return -EINVAL;
	if (copy_host(a->host, ip, ip_len) != 0 || parse_port(port, port_len, &a->port) != 0)
		return -EINVAL;
	return 0;
}

static void add_replica(struct qu_info *out, const struct qu_addr *a)
{
	for (uint32_t i = 0; i < out->replica_count; i++)
		if (out->replicas[i].port == a->port &&
		    strcasecmp(out->replicas[i].host, a->host) == 0)
			return;
	if (out->replica_count == QU_REPLICAS_MAX) {
		out->replicas_truncated = true;
		return;
	}
	out->replicas[out->replica_count++] = *a;
}

static void on_replica(struct parse_state *st, const char *val, size_t len)
{
	struct qu_addr a;
	int rc;

	memset(&a, 0, sizeof(a));
	if (memchr(val, '=', len) != NULL)
		rc = parse_replica_kv(val, len, &a);
	else
		rc = parse_replica_old(val, len, &a);
	if (rc == 0)
		add_replica(st->out, &a);
}

/* clang-format off */
#define FIELD(name, fn) {name, sizeof(name) - 1, fn}
/* clang-format on */

/* The wire names Sentinel reads from INFO (sentinel-protocol.md §9.3). */
/* clang-format off */
static const struct field {
	const char *name;
	size_t len;
	field_fn fn;
} fields[] = {
	FIELD("run_id", on_run_id),
	FIELD("role", on_role),
	FIELD("master_host", on_primary_host),
	FIELD("master_port", on_primary_port),
	FIELD("master_link_status", on_link_status),
	FIELD("master_link_down_since_seconds", on_link_down_since),
	FIELD("slave_priority", on_priority),
	FIELD("replica_priority", on_priority),
	FIELD("slave_repl_offset", on_repl_offset),
	FIELD("replica_announced", on_announced),
};
/* clang-format on */

/* "slave<N>" with N all digits; "slave_priority" and friends are not replica lines. */
static bool is_replica_key(const char *key, size_t len)
{
	if (len <= 5 || memcmp(key, "slave", 5) != 0)
		return false;
	for (size_t i = 5; i < len; i++)
		if (key[i] < '0' || key[i] > '9')
			return false;
	return true;
}

static void parse_line(struct parse_state *st, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);

	if (colon == NULL)
		return;
	size_t key_len = (size_t)(colon - line);
	const char *val = colon + 1;
	size_t val_len = len - key_len - 1;

	if (is_replica_key(line, key_len)) {
		on_replica(st, val, val_len);
		return;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].len == key_len && memcmp(fields[i].name, line, key_len) == 0) {
			fields[i].fn(st, val, val_len);
			return;
		}
	}
}

static void reset_info(struct qu_info *out)
{
	memset(out, 0, sizeof(*out));
	out->priority = QU_DEFAULT_PRIORITY;
	out->replica_announced = true;
}

int sn_info_parse(const char *text, size_t len, struct qu_info *out)
{
	struct parse_state st = {.out = out};
	size_t pos = 0;

	reset_info(out);
	while (pos < len) { /* each pass consumes at least one byte */
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl != NULL ? (size_t)(nl - line) : len - pos;

		pos += nl != NULL ? line_len + 1 : line_len;
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		parse_line(&st, line, line_len);
	}
	if (!st.has_role) {
		reset_info(out);
		return -EINVAL;
	}
	if (!st.has_primary_host || !st.has_primary_port)
		memset(&out->primary, 0, sizeof(out->primary));
	else
		out->has_primary = true;
	return 0;
}
