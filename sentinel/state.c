// SPDX-License-Identifier: BSD-3-Clause
/*
 * The state file's codec: a strict line decoder, the canonical encoder, quoting, and the setting
 * accessors that state_diff.c shares. Pure: no disk (state_file.c), no core, no clock, and it
 * never accepts a record it would not write back byte for byte.
 */
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TOKENS_MAX 5   /* keyword + the 4 fields of "monitor" and "known-sentinel" */
#define TOKEN_MAX 1024 /* decoded bytes of one field, incl. NUL */
#define SHOWN_MAX 48   /* bytes of a field echoed in an error message */
#define HEADER "# vigil state file: written by vigil, do not edit while it runs\n"

/* ---- settings (names from the QU_SETTINGS table) ---- */

static const char *const setting_names[QU_SET_COUNT] = {
#define SETTING_NAME(code, wire) [QU_SET_##code] = wire,
    QU_SETTINGS(SETTING_NAME)
#undef SETTING_NAME
};

static int setting_lookup(const char *name)
{
	for (int s = 0; s < (int)QU_SET_COUNT; s++)
		if (strcmp(name, setting_names[s]) == 0)
			return s;
	return -1;
}

static bool setting_is_str(enum qu_setting s)
{
	return s == QU_SET_AUTH_PASS || s == QU_SET_AUTH_USER;
}

static const char *setting_str(const struct qu_group_conf *c, enum qu_setting s)
{
	return s == QU_SET_AUTH_PASS ? c->auth_pass : c->auth_user;
}

static int64_t setting_num(const struct qu_group_conf *c, enum qu_setting s)
{
	switch (s) {
	case QU_SET_DOWN_AFTER:
		return c->down_after_ms;
	case QU_SET_FAILOVER_TIMEOUT:
		return c->failover_timeout_ms;
	case QU_SET_PARALLEL_SYNCS:
		return c->parallel_syncs;
	case QU_SET_QUORUM:
		return c->quorum;
	default:
		return -1;
	}
}

/* Largest value a numeric setting's field holds. */
static uint64_t setting_max(enum qu_setting s)
{
	return s == QU_SET_PARALLEL_SYNCS || s == QU_SET_QUORUM ? UINT32_MAX : INT64_MAX;
}

/* snprintf(dst, size, "%s", src) without the format-truncation noise of a bounded caller. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void setting_put(struct qu_group_conf *c, enum qu_setting s, int64_t num, const char *str)
{
	switch (s) {
	case QU_SET_DOWN_AFTER:
		c->down_after_ms = num;
		break;
	case QU_SET_FAILOVER_TIMEOUT:
		c->failover_timeout_ms = num;
		break;
	case QU_SET_PARALLEL_SYNCS:
		c->parallel_syncs = (uint32_t)num;
		break;
	case QU_SET_QUORUM:
		c->quorum = (uint32_t)num;
		break;
	case QU_SET_AUTH_PASS:
		copy_str(c->auth_pass, sizeof(c->auth_pass), str);
		break;
	case QU_SET_AUTH_USER:
		copy_str(c->auth_user, sizeof(c->auth_user), str);
		break;
	default:
		break;
	}
}

void sn_state_setting_copy(struct qu_group_conf *dst, const struct qu_group_conf *src,
                           enum qu_setting s)
{
	setting_put(dst, s, setting_num(src, s), setting_is_str(s) ? setting_str(src, s) : "");
}

bool sn_state_setting_equal(const struct qu_group_conf *a, const struct qu_group_conf *b,
                            enum qu_setting s)
{
	if (setting_is_str(s))
		return strcmp(setting_str(a, s), setting_str(b, s)) == 0;
	return setting_num(a, s) == setting_num(b, s);
}

bool sn_state_addr_equal(const struct qu_addr *a, const struct qu_addr *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

bool sn_state_is_runid(const char *s)
{
	return strnlen(s, QU_RUNID_LEN + 1) == QU_RUNID_LEN &&
	       strspn(s, "0123456789abcdefABCDEF") == QU_RUNID_LEN;
}

/* The config file's rule (conf.c): Sentinel takes hostnames only with resolve-hostnames. */
bool sn_state_is_announce_ip(const char *s)
{
	unsigned char bin[sizeof(struct in6_addr)];
	if (strnlen(s, QU_HOST_MAX) >= QU_HOST_MAX)
		return false;
	return s[0] == '\0' || inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

/* ---- encoder ---- */

struct buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void put_u64(struct buf *b, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), " %" PRIu64, v);
	buf_put(b, num, (size_t)n);
}

static bool is_bare_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_escaped(struct buf *b, unsigned char c)
{
	static const char specials[] = "\\\"\n\r\t";
	static const char *const escapes[] = {"\\\\", "\\\"", "\\n", "\\r", "\\t"};
	const char *sp = c != '\0' ? strchr(specials, c) : NULL;
	char hex[8];

	if (sp != NULL)
		buf_put(b, escapes[sp - specials], 2);
	else if (c >= 0x20 && c < 0x7f)
		buf_put(b, (const char *)&c, 1);
	else
		buf_put(b, hex, (size_t)snprintf(hex, sizeof(hex), "\\x%02x", c));
}

/* " token": bare when that is unambiguous, else quoted and escaped. */
static void put_token(struct buf *b, const char *s, bool force_quote)
{
	size_t n = strlen(s);
	bool quote = force_quote || n == 0 || s[0] == '#';
	for (size_t i = 0; i < n && !quote; i++)
		quote = !is_bare_char((unsigned char)s[i]);
	buf_put(b, " ", 1);
	if (!quote) {
		buf_put(b, s, n);
		return;
	}
	buf_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++)
		put_escaped(b, (unsigned char)s[i]);
	buf_put(b, "\"", 1);
}

static void put_record(struct buf *b, const char *keyword, const char *name)
{
	buf_str(b, keyword);
	put_token(b, name, false);
}

static void put_addr(struct buf *b, const struct qu_addr *a)
{
	put_token(b, a->host, false);
	put_u64(b, a->port);
}

static void encode_sets(struct buf *b, const struct sn_state_group *g)
{
	for (int s = 0; s < (int)QU_SET_COUNT; s++) {
		if ((g->set_mask & (1u << s)) == 0)
			continue;
		put_record(b, "set", g->name);
		buf_put(b, " ", 1);
		buf_str(b, setting_names[s]);
		if (setting_is_str((enum qu_setting)s))
			put_token(b, setting_str(&g->set, (enum qu_setting)s), true);
		else
			put_u64(b, (uint64_t)setting_num(&g->set, (enum qu_setting)s));
		buf_put(b, "\n", 1);
	}
}

static void encode_group(struct buf *b, const struct sn_state_group *g)
{
	if (g->monitor) {
		put_record(b, "monitor", g->name);
		put_addr(b, &g->monitor_addr);
		put_u64(b, g->monitor_quorum);
		buf_put(b, "\n", 1);
	}
	if (g->remove) {
		put_record(b, "remove", g->name);
		buf_put(b, "\n", 1);
	}
	encode_sets(b, g);
	if (g->has_address) {
		put_record(b, "address", g->name);
		put_addr(b, &g->address);
		buf_put(b, "\n", 1);
	}
	if (g->has_config_epoch) {
		put_record(b, "config-epoch", g->name);
		put_u64(b, g->config_epoch);
		buf_put(b, "\n", 1);
	}
	if (g->has_leader) {
		put_record(b, "leader-epoch", g->name);
		put_token(b, g->leader, false);
		put_u64(b, g->leader_epoch);
		buf_put(b, "\n", 1);
	}
	for (size_t i = 0; i < g->replica_count; i++) {
		put_record(b, "known-replica", g->name);
		put_addr(b, &g->replicas[i]);
		buf_put(b, "\n", 1);
	}
	for (size_t i = 0; i < g->peer_count; i++) {
		put_record(b, "known-sentinel", g->name);
		put_addr(b, &g->peers[i].addr);
		put_token(b, g->peers[i].runid, false);
		buf_put(b, "\n", 1);
	}
}

int sn_state_encode(const struct sn_state *st, char **text, size_t *len)
{
	struct buf b = {0};
	buf_str(&b, HEADER);
	buf_str(&b, "version");
	put_u64(&b, SN_STATE_VERSION);
	buf_put(&b, "\n", 1);
	if (st->has_myid) {
		buf_str(&b, "myid");
		put_token(&b, st->myid, false);
		buf_put(&b, "\n", 1);
	}
	buf_str(&b, "current-epoch");
	put_u64(&b, st->current_epoch);
	buf_put(&b, "\n", 1);
	if (st->has_announce_ip) {
		buf_str(&b, "announce-ip");
		put_token(&b, st->announce_ip, true);
		buf_put(&b, "\n", 1);
	}
	if (st->has_announce_port) {
		buf_str(&b, "announce-port");
		put_u64(&b, st->announce_port);
		buf_put(&b, "\n", 1);
	}
	for (size_t i = 0; i < st->group_count; i++)
		encode_group(&b, &st->groups[i]);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	/* Never write what we cannot read back. */
	struct sn_state check;
	struct sn_err err;
	int rc = sn_state_decode(b.p, b.len, &check, &err);
	sn_state_free(&check);
	if (rc != 0) {
		free(b.p);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	*text = b.p;
	*len = b.len;
	return 0;
}

/* ---- decoder ---- */

struct token {
	size_t len;
	bool quoted;
	char s[TOKEN_MAX];
};

struct dec {
	struct sn_state *st;
	struct sn_err *err;
	size_t line;
	char what[QU_NAME_MAX + 64]; /* the record being decoded, for messages */
	bool seen_version;
	bool seen_epoch;
	size_t groups_cap;
	uint32_t *index;   /* open addressing over st->groups: index + 1, 0 empty */
	size_t index_size; /* a power of two, at least twice group_count */
};

static int dec_fail(struct dec *d, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));

static int dec_fail(struct dec *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sn_err_set(d->err, "line %zu: %s%s%s", d->line, d->what, d->what[0] != '\0' ? ": " : "",
	           msg);
	return -EINVAL;
}

static int dec_nomem(struct dec *d)
{
	sn_err_set(d->err, "line %zu: out of memory", d->line);
	return -ENOMEM;
}

/* A field as it may be echoed in a message: printable ASCII, cut short. */
static const char *shown(const char *s, char out[SHOWN_MAX])
{
	size_t i = 0;
	for (; i < SHOWN_MAX - 4 && s[i] != '\0'; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
	if (s[i] != '\0')
		for (int k = 0; k < 3; k++)
			out[i++] = '.';
	out[i] = '\0';
	return out;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The escape after a backslash at *pp: its byte value, or -1. Advances *pp. */
static int unescape(const char **pp, const char *end)
{
	static const char names[] = "\\\"nrt";
	static const char bytes[] = "\\\"\n\r\t";
	const char *p = *pp;
	int v = -1;
	if (p >= end)
		return -1;
	char c = *p++;
	const char *sp = c != '\0' ? strchr(names, c) : NULL;
	if (sp != NULL) {
		v = bytes[sp - names];
	} else if (c == 'x' && end - p >= 2 && hex_digit(p[0]) >= 0 && hex_digit(p[1]) >= 0) {
		v = hex_digit(p[0]) * 16 + hex_digit(p[1]);
		p += 2;
	}
	*pp = p;
	return v;
}

static int token_add(struct dec *d, struct token *t, unsigned char c)
{
	if (t->len + 1 >= TOKEN_MAX)
		return dec_fail(d, "field longer than %d bytes", TOKEN_MAX - 1);
	t->s[t->len++] = (char)c;
	return 0;
}

static int read_quoted(struct dec *d, const char **pp, const char *end, struct token *t)
{
	const char *p = *pp + 1;
	t->quoted = true;
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p++;
		if (c == '\\') {
			int v = unescape(&p, end);
			if (v == 0)
				return dec_fail(d, "\\x00 is not allowed in a string");
			if (v < 0)
				return dec_fail(d, "bad escape in a string");
			c = (unsigned char)v;
		} else if (c < 0x20 || c == 0x7f) {
			return dec_fail(d, "control byte 0x%02x in a string", c);
		}
		if (token_add(d, t, c) != 0)
			return -EINVAL;
	}
	if (p >= end)
		return dec_fail(d, "unterminated string");
	p++;
	if (p < end && *p != ' ' && *p != '\t')
		return dec_fail(d, "no space after a string");
	*pp = p;
	return 0;
}

static int read_bare(struct dec *d, const char **pp, const char *end, struct token *t)
{
	const char *p = *pp;
	for (; p < end && *p != ' ' && *p != '\t'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c >= 0x7f)
			return dec_fail(d, "control or non-ASCII byte 0x%02x outside quotes", c);
		if (!is_bare_char(c))
			return dec_fail(d, "'%c' inside an unquoted field", c);
		if (token_add(d, t, c) != 0)
			return -EINVAL;
	}
	*pp = p;
	return 0;
}

static int split_line(struct dec *d, const char *p, const char *end, struct token *toks,
                      size_t *count)
{
	size_t n = 0;
	for (size_t i = 0; i <= TOKENS_MAX; i++) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		if (n == TOKENS_MAX)
			return dec_fail(d, "too many fields");
		struct token *t = &toks[n++];
		t->len = 0;
		t->quoted = false;
		int rc = *p == '"' ? read_quoted(d, &p, end, t) : read_bare(d, &p, end, t);
		if (rc != 0)
			return rc;
		t->s[t->len] = '\0';
	}
	*count = n;
	return 0;
}

/* Decimal, no sign, no leading zeros, min..max. */
static int dec_num(struct dec *d, const char *field, const struct token *t, uint64_t min,
                   uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool ok = t->len > 0 && t->len <= 20 && (t->s[0] != '0' || t->len == 1);
	for (size_t i = 0; i < t->len && ok; i++) {
		unsigned digit = (unsigned)((unsigned char)t->s[i] - '0');
		ok = digit <= 9 && v <= (UINT64_MAX - digit) / 10;
		if (ok)
			v = v * 10 + digit;
	}
	if (ok && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	char buf[SHOWN_MAX];
	return dec_fail(d, "%s: \"%s\" is not a number in %" PRIu64 "..%" PRIu64, field,
	                shown(t->s, buf), min, max);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The slot holding name, or the empty slot where it goes. The index is at most half full. */
static size_t index_slot(const struct dec *d, const char *name)
{
	size_t mask = d->index_size - 1;
	size_t i = (size_t)name_hash(name) & mask;
	for (size_t n = 0; n < d->index_size; n++, i = (i + 1) & mask)
		if (d->index[i] == 0 || strcmp(d->st->groups[d->index[i] - 1].name, name) == 0)
			return i;
	return 0; /* unreachable */
}

static int index_grow(struct dec *d)
{
	uint32_t *old = d->index;
	size_t old_size = d->index_size;
	size_t size = old_size != 0 ? old_size * 2 : 64;
	d->index = calloc(size, sizeof(*d->index));
	if (d->index == NULL) {
		d->index = old;
		return -ENOMEM;
	}
	d->index_size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i] != 0)
			d->index[index_slot(d, d->st->groups[old[i] - 1].name)] = old[i];
	free(old);
	return 0;
}

int sn_state_groups_reserve(struct sn_state *st, size_t *cap)
{
	if (st->group_count < *cap)
		return 0;
	if (st->group_count >= SN_STATE_GROUPS_MAX)
		return -E2BIG;
	size_t n = *cap != 0 ? *cap * 2 : 8;
	n = n > SN_STATE_GROUPS_MAX ? SN_STATE_GROUPS_MAX : n;
	struct sn_state_group *g = realloc(st->groups, n * sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	st->groups = g;
	*cap = n;
	return 0;
}

/* The group named by t, created on first mention. */
static int dec_group(struct dec *d, const struct token *t, struct sn_state_group **out)
{
	struct sn_state *st = d->st;
	if (t->len == 0 || t->len >= QU_NAME_MAX)
		return dec_fail(d, "group name must be 1..%d bytes", QU_NAME_MAX - 1);
	if ((st->group_count + 1) * 2 > d->index_size && index_grow(d) != 0)
		return dec_nomem(d);
	size_t slot = index_slot(d, t->s);
	if (d->index[slot] == 0) {
		int rc = sn_state_groups_reserve(st, &d->groups_cap);
		if (rc == -E2BIG)
			return dec_fail(d, "more than %d groups", SN_STATE_GROUPS_MAX);
		if (rc != 0)
			return dec_nomem(d);
		struct sn_state_group *g = &st->groups[st->group_count++];
		memset(g, 0, sizeof(*g));
		memcpy(g->name, t->s, t->len + 1);
		d->index[slot] = (uint32_t)st->group_count;
	}
	*out = &st->groups[d->index[slot] - 1];
	return 0;
}

/* A group that may take overrides: not one the file removes. */
static int dec_live_group(struct dec *d, const struct token *t, struct sn_state_group **out)
{
	int rc = dec_group(d, t, out);
	if (rc == 0 && (*out)->remove)
		return dec_fail(d, "the group is removed by an earlier record");
	return rc;
}

static int dec_addr(struct dec *d, const struct token *host, const struct token *port,
                    struct qu_addr *out)
{
	uint64_t p = 0;
	if (host->len == 0 || host->len >= QU_HOST_MAX)
		return dec_fail(d, "address must be 1..%d bytes", QU_HOST_MAX - 1);
	if (dec_num(d, "port", port, 1, 65535, &p) != 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out->host, host->s, host->len + 1);
	out->port = (uint16_t)p;
	return 0;
}

static int rec_version(struct dec *d, const struct token *a)
{
	char buf[SHOWN_MAX];
	if (d->seen_version)
		return dec_fail(d, "duplicate record");
	if (strcmp(a[0].s, "1") != 0)
		return dec_fail(d, "unsupported version \"%s\" (this vigil reads %d)",
		                shown(a[0].s, buf), SN_STATE_VERSION);
	d->seen_version = true;
	return 0;
}

static int rec_myid(struct dec *d, const struct token *a)
{
	if (d->st->has_myid)
		return dec_fail(d, "duplicate record");
	if (a[0].len != QU_RUNID_LEN || !sn_state_is_runid(a[0].s))
		return dec_fail(d, "must be %d hex digits", QU_RUNID_LEN);
	memcpy(d->st->myid, a[0].s, QU_RUNID_LEN + 1);
	d->st->has_myid = true;
	return 0;
}

static int rec_current_epoch(struct dec *d, const struct token *a)
{
	if (d->seen_epoch)
		return dec_fail(d, "duplicate record");
	d->seen_epoch = true;
	return dec_num(d, "epoch", &a[0], 0, UINT64_MAX, &d->st->current_epoch);
}

static int rec_announce_ip(struct dec *d, const struct token *a)
{
	char buf[SHOWN_MAX];
	if (d->st->has_announce_ip)
		return dec_fail(d, "duplicate record");
	if (!a[0].quoted)
		return dec_fail(d, "the value must be quoted");
	if (a[0].len >= QU_HOST_MAX || !sn_state_is_announce_ip(a[0].s))
		return dec_fail(d, "\"%s\" is neither empty nor an IPv4 or IPv6 address",
		                shown(a[0].s, buf));
	memcpy(d->st->announce_ip, a[0].s, a[0].len + 1);
	d->st->has_announce_ip = true;
	return 0;
}

static int rec_announce_port(struct dec *d, const struct token *a)
{
	uint64_t port = 0;
	if (d->st->has_announce_port)
		return dec_fail(d, "duplicate record");
	if (dec_num(d, "port", &a[0], 0, 65535, &port) != 0)
		return -EINVAL;
	d->st->announce_port = (uint16_t)port;
	d->st->has_announce_port = true;
	return 0;
}

static int rec_monitor(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	uint64_t quorum = 0;
	if (dec_group(d, &a[0], &g) != 0)
		return -EINVAL;
	if (g->monitor)
		return dec_fail(d, "duplicate record");
	if (g->remove)
		return dec_fail(d, "the group is also removed");
	if (dec_addr(d, &a[1], &a[2], &g->monitor_addr) != 0 ||
	    dec_num(d, "quorum", &a[3], 1, UINT32_MAX, &quorum) != 0)
		return -EINVAL;
	g->monitor = true;
	g->monitor_quorum = (uint32_t)quorum;
	return 0;
}

static int rec_remove(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	if (dec_group(d, &a[0], &g) != 0)
		return -EINVAL;
	if (g->remove)
		return dec_fail(d, "duplicate record");
	if (g->monitor || g->set_mask != 0 || g->has_address || g->has_config_epoch ||
	    g->has_leader || g->replica_count != 0 || g->peer_count != 0)
		return dec_fail(d, "a removed group cannot have other records");
	g->remove = true;
	return 0;
}

static int rec_set(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	char buf[SHOWN_MAX];
	uint64_t num = 0;
	if (dec_live_group(d, &a[0], &g) != 0)
		return -EINVAL;
	int s = setting_lookup(a[1].s);
	if (s < 0)
		return dec_fail(d, "unknown setting \"%s\"", shown(a[1].s, buf));
	if (g->set_mask & (1u << s))
		return dec_fail(d, "%s: duplicate record", setting_names[s]);
	if (setting_is_str((enum qu_setting)s) && !a[2].quoted)
		return dec_fail(d, "%s: the value must be quoted", setting_names[s]);
	if (setting_is_str((enum qu_setting)s) && a[2].len >= QU_AUTH_MAX)
		return dec_fail(d, "%s: longer than %d bytes", setting_names[s], QU_AUTH_MAX - 1);
	if (!setting_is_str((enum qu_setting)s) &&
	    dec_num(d, setting_names[s], &a[2], 1, setting_max((enum qu_setting)s), &num) != 0)
		return -EINVAL;
	setting_put(&g->set, (enum qu_setting)s, (int64_t)num, a[2].s);
	g->set_mask |= 1u << s;
	return 0;
}

static int rec_address(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	if (dec_live_group(d, &a[0], &g) != 0)
		return -EINVAL;
	if (g->has_address)
		return dec_fail(d, "duplicate record");
	if (dec_addr(d, &a[1], &a[2], &g->address) != 0)
		return -EINVAL;
	g->has_address = true;
	return 0;
}

static int rec_config_epoch(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	if (dec_live_group(d, &a[0], &g) != 0)
		return -EINVAL;
	if (g->has_config_epoch)
		return dec_fail(d, "duplicate record");
	g->has_config_epoch = true;
	return dec_num(d, "epoch", &a[1], 0, UINT64_MAX, &g->config_epoch);
}

static int rec_known_replica(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	struct qu_addr addr;
	if (dec_live_group(d, &a[0], &g) != 0 || dec_addr(d, &a[1], &a[2], &addr) != 0)
		return -EINVAL;
	for (size_t i = 0; i < g->replica_count; i++)
		if (sn_state_addr_equal(&g->replicas[i], &addr))
			return dec_fail(d, "duplicate replica");
	if (g->replica_count == QU_REPLICAS_MAX)
		return dec_fail(d, "more than %d replicas", QU_REPLICAS_MAX);
	struct qu_addr *r = realloc(g->replicas, (g->replica_count + 1) * sizeof(*r));
	if (r == NULL)
		return dec_nomem(d);
	g->replicas = r;
	g->replicas[g->replica_count++] = addr;
	return 0;
}

/* "*" stands for a vote whose candidate was no valid id: the epoch still binds us. */
static int rec_leader_epoch(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	char buf[SHOWN_MAX];
	if (dec_live_group(d, &a[0], &g) != 0)
		return -EINVAL;
	if (g->has_leader)
		return dec_fail(d, "duplicate record");
	if (strcmp(a[1].s, "*") != 0 && (a[1].len != QU_RUNID_LEN || !sn_state_is_runid(a[1].s)))
		return dec_fail(d, "leader \"%s\" is neither %d hex digits nor \"*\"",
		                shown(a[1].s, buf), QU_RUNID_LEN);
	if (dec_num(d, "epoch", &a[2], 0, INT64_MAX, &g->leader_epoch) != 0)
		return -EINVAL;
	memcpy(g->leader, a[1].s, a[1].len + 1);
	g->has_leader = true;
	return 0;
}

static int rec_known_sentinel(struct dec *d, const struct token *a)
{
	struct sn_state_group *g;
	struct sn_state_peer peer;
	char buf[SHOWN_MAX];
	if (dec_live_group(d, &a[0], &g) != 0 || dec_addr(d, &a[1], &a[2], &peer.addr) != 0)
		return -EINVAL;
	if (a[3].len != QU_RUNID_LEN || !sn_state_is_runid(a[3].s))
		return dec_fail(d, "runid \"%s\" is not %d hex digits", shown(a[3].s, buf),
		                QU_RUNID_LEN);
	memcpy(peer.runid, a[3].s, QU_RUNID_LEN + 1);
	for (size_t i = 0; i < g->peer_count; i++) {
		if (strcmp(g->peers[i].runid, peer.runid) == 0)
			return dec_fail(d, "duplicate sentinel id");
		if (sn_state_addr_equal(&g->peers[i].addr, &peer.addr))
			return dec_fail(d, "duplicate sentinel address");
	}
	if (g->peer_count == QU_PEERS_MAX)
		return dec_fail(d, "more than %d sentinels", QU_PEERS_MAX);
	struct sn_state_peer *p = realloc(g->peers, (g->peer_count + 1) * sizeof(*p));
	if (p == NULL)
		return dec_nomem(d);
	g->peers = p;
	g->peers[g->peer_count++] = peer;
	return 0;
}

static const struct record {
	const char *keyword;
	size_t fields;
	bool named; /* the first field is a group name */
	int (*decode)(struct dec *d, const struct token *fields);
} records[] = {
    {"version", 1, false, rec_version},
    {"myid", 1, false, rec_myid},
    {"current-epoch", 1, false, rec_current_epoch},
    {"announce-ip", 1, false, rec_announce_ip},
    {"announce-port", 1, false, rec_announce_port},
    {"monitor", 4, true, rec_monitor},
    {"remove", 1, true, rec_remove},
    {"set", 3, true, rec_set},
    {"address", 3, true, rec_address},
    {"config-epoch", 2, true, rec_config_epoch},
    {"leader-epoch", 3, true, rec_leader_epoch},
    {"known-replica", 3, true, rec_known_replica},
    {"known-sentinel", 4, true, rec_known_sentinel},
};

static int decode_line(struct dec *d, const char *p, const char *eol)
{
	struct token toks[TOKENS_MAX];
	size_t n = 0;
	char buf[SHOWN_MAX];
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	d->what[0] = '\0';
	if (p == eol || *p == '#')
		return 0;
	if (split_line(d, p, eol, toks, &n) != 0)
		return -EINVAL;
	const struct record *r = NULL;
	for (size_t i = 0; i < ARRAY_LEN(records) && r == NULL; i++)
		r = strcmp(toks[0].s, records[i].keyword) == 0 ? &records[i] : NULL;
	if (r == NULL)
		return dec_fail(d, "unknown record \"%s\"", shown(toks[0].s, buf));
	if (!d->seen_version && r->decode != rec_version)
		return dec_fail(d, "expected \"version %d\" first", SN_STATE_VERSION);
	snprintf(d->what, sizeof(d->what), "%s", r->keyword);
	if (n - 1 != r->fields)
		return dec_fail(d, "%zu fields, expected %zu", n - 1, r->fields);
	if (r->named)
		snprintf(d->what, sizeof(d->what), "%s \"%s\"", r->keyword, shown(toks[1].s, buf));
	return r->decode(d, toks + 1);
}

int sn_state_decode(const char *text, size_t len, struct sn_state *out, struct sn_err *err)
{
	struct dec d = {.st = out, .err = err};
	const char *p = text;
	const char *end = text + len;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (rc == 0 && p < end) {
		d.line++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL) {
			d.what[0] = '\0';
			rc = dec_fail(&d, "no newline at the end: truncated file?");
			break;
		}
		rc = decode_line(&d, p, eol);
		p = eol + 1;
	}
	if (rc == 0 && !d.seen_version) {
		sn_err_set(err, "no \"version %d\" record: empty file?", SN_STATE_VERSION);
		rc = -EINVAL;
	}
	free(d.index);
	if (rc != 0)
		sn_state_free(out);
	return rc;
}

void sn_state_free(struct sn_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->group_count; i++) {
		free(st->groups[i].replicas);
		free(st->groups[i].peers);
	}
	free(st->groups);
	memset(st, 0, sizeof(*st));
}
