// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of sentinel/info.c: INFO texts captured from redis-server 7.0.15
 * (tests/data/info_*.txt, read at run time from the repo root) plus tables of crafted and hostile
 * inputs. Every parse runs on a malloc'd copy of exactly len bytes so that ASan builds catch any
 * over-read.
 */
#include "unit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"

#define DATA_DIR "tests/data/"
#define RUNID_A "0123456789abcdef0123456789abcdef01234567"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Expected parse result. Zero values are the parser's defaults, except priority and announced. */
struct want {
	int rc;
	enum qu_role role;
	const char *run_id;       /* NULL: has_run_id is false */
	const char *primary_host; /* NULL: has_primary is false */
	uint16_t primary_port;
	bool link_up;
	int64_t link_down_ms;
	bool has_priority; /* false: QU_DEFAULT_PRIORITY */
	int32_t priority;
	int64_t offset;
	bool unannounced;
	uint32_t replica_count;
	bool truncated;
	struct {
		const char *host;
		uint16_t port;
	} replicas[3];
};

#define PRIO(x) .has_priority = true, .priority = (x)

/* A failing table row names itself: CUnit copies the message. */
#define EXPECT(name, cond) expect((cond), (name), #cond, __LINE__)

static void expect(bool ok, const char *name, const char *cond, unsigned int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", name, cond);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}

/* Parse from a heap copy of exactly len bytes. */
static int parse_exact(const char *text, size_t len, struct qu_info *out)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	if (copy == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, text, len);
	rc = sn_info_parse(copy, len, out);
	free(copy);
	return rc;
}

static void check_want(const char *name, int rc, const struct qu_info *got, const struct want *w)
{
	EXPECT(name, rc == w->rc);
	EXPECT(name, got->role == w->role);
	EXPECT(name, got->has_run_id == (w->run_id != NULL));
	if (w->run_id != NULL)
		EXPECT(name, strcmp(got->run_id, w->run_id) == 0);
	EXPECT(name, got->has_primary == (w->primary_host != NULL));
	if (w->primary_host != NULL) {
		EXPECT(name, strcmp(got->primary.host, w->primary_host) == 0);
		EXPECT(name, got->primary.port == w->primary_port);
	}
	EXPECT(name, got->primary_link_up == w->link_up);
	EXPECT(name, got->primary_link_down_ms == w->link_down_ms);
	EXPECT(name, got->priority == (w->has_priority ? w->priority : QU_DEFAULT_PRIORITY));
	EXPECT(name, got->repl_offset == w->offset);
	EXPECT(name, got->replica_announced == !w->unannounced);
	EXPECT(name, got->replica_count == w->replica_count);
	EXPECT(name, got->replicas_truncated == w->truncated);
	for (uint32_t i = 0; i < w->replica_count && i < ARRAY_LEN(w->replicas); i++) {
		EXPECT(name, strcmp(got->replicas[i].host, w->replicas[i].host) == 0);
		EXPECT(name, got->replicas[i].port == w->replicas[i].port);
	}
}

/* Field-by-field equality (the struct may hold padding). */
static bool info_equal(const struct qu_info *a, const struct qu_info *b)
{
	if (a->has_run_id != b->has_run_id || strcmp(a->run_id, b->run_id) != 0 ||
	    a->role != b->role || a->has_primary != b->has_primary ||
	    strcmp(a->primary.host, b->primary.host) != 0 || a->primary.port != b->primary.port ||
	    a->primary_link_up != b->primary_link_up ||
	    a->primary_link_down_ms != b->primary_link_down_ms || a->priority != b->priority ||
	    a->repl_offset != b->repl_offset || a->replica_announced != b->replica_announced ||
	    a->replica_count != b->replica_count || a->replicas_truncated != b->replicas_truncated)
		return false;
	for (uint32_t i = 0; i < a->replica_count && i < QU_REPLICAS_MAX; i++)
		if (strcmp(a->replicas[i].host, b->replicas[i].host) != 0 ||
		    a->replicas[i].port != b->replicas[i].port)
			return false;
	return true;
}

/* What must hold for any input at all. */
static bool info_is_sane(const struct qu_info *info)
{
	if (info->role != QU_ROLE_UNKNOWN && info->role != QU_ROLE_PRIMARY &&
	    info->role != QU_ROLE_REPLICA)
		return false;
	if (strnlen(info->run_id, sizeof(info->run_id)) != (info->has_run_id ? QU_RUNID_LEN : 0))
		return false;
	size_t host_len = strnlen(info->primary.host, QU_HOST_MAX);
	if (info->has_primary != (host_len > 0 && host_len < QU_HOST_MAX))
		return false;
	if (info->has_primary != (info->primary.port != 0))
		return false;
	if (info->priority < 0 || info->repl_offset < 0 || info->primary_link_down_ms < -1000 ||
	    info->primary_link_down_ms % 1000 != 0)
		return false;
	if (info->replica_count > QU_REPLICAS_MAX ||
	    (info->replicas_truncated && info->replica_count != QU_REPLICAS_MAX))
		return false;
	for (uint32_t i = 0; i < info->replica_count && i < QU_REPLICAS_MAX; i++) {
		host_len = strnlen(info->replicas[i].host, QU_HOST_MAX);
		if (host_len == 0 || host_len >= QU_HOST_MAX || info->replicas[i].port == 0)
			return false;
	}
	return true;
}

/* Read a fixture into a malloc'd buffer of exactly its size; NULL (and a CUnit failure) if not. */
static char *load_fixture(const char *file, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf = NULL;
	long size;

	snprintf(path, sizeof(path), DATA_DIR "%s", file);
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f); /* run from the repo root */
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)size);
	if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)size;
out:
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	return buf;
}

/* Captured by starting redis-server 7.0.15 on loopback (--save '' --appendonly no). */
/* clang-format off */
static const struct fixture_case {
	const char *file;
	struct want want;
} fixture_cases[] = {
	{"info_primary_two_replicas.txt",
	 {.role = QU_ROLE_PRIMARY,
	  .run_id = "d818e4b576ef30b12012ea6130a7e929b1003988",
	  .replica_count = 2,
	  .replicas = {{"127.0.0.1", 31101}, {"127.0.0.1", 31102}}}},
	{"info_replica_connected.txt",
	 {.role = QU_ROLE_REPLICA,
	  .run_id = "fea768bc7c6629148f2384970d601d36d6cc6201",
	  .primary_host = "127.0.0.1",
	  .primary_port = 31100,
	  .link_up = true,
	  .offset = 783}},
	{"info_replica_primary_down.txt",
	 {.role = QU_ROLE_REPLICA,
	  .run_id = "fea768bc7c6629148f2384970d601d36d6cc6201",
	  .primary_host = "127.0.0.1",
	  .primary_port = 31100,
	  .link_down_ms = 4000,
	  .offset = 797}},
	{"info_replica_never_linked.txt",
	 {.role = QU_ROLE_REPLICA,
	  .run_id = "330bd91cccd5a7cdb8b2d0bb2b80c558151f7516",
	  .primary_host = "127.0.0.1",
	  .primary_port = 31149,
	  .link_down_ms = -1000,
	  .offset = 1}},
	{"info_replica_priority0_unannounced.txt",
	 {.role = QU_ROLE_REPLICA,
	  .run_id = "9549382f08254f275c45432182fe9d4bdd8e44d5",
	  .primary_host = "127.0.0.1",
	  .primary_port = 31100,
	  .link_up = true,
	  PRIO(0),
	  .offset = 797,
	  .unannounced = true}},
};
/* clang-format on */

static void test_info_parses_real_redis_7_0_fixtures(void)
{
	for (size_t i = 0; i < ARRAY_LEN(fixture_cases); i++) {
		const struct fixture_case *c = &fixture_cases[i];
		struct qu_info got;
		size_t len;
		char *text = load_fixture(c->file, &len);

		int rc = sn_info_parse(text, len, &got);

		check_want(c->file, rc, &got, &c->want);
		free(text);
	}
}

static void test_info_parses_lf_only_fixtures_like_crlf(void)
{
	for (size_t i = 0; i < ARRAY_LEN(fixture_cases); i++) {
		const struct fixture_case *c = &fixture_cases[i];
		struct qu_info got;
		size_t len, lf_len = 0;
		char *text = load_fixture(c->file, &len);

		for (size_t j = 0; j < len; j++)
			if (text[j] != '\r')
				text[lf_len++] = text[j];
		EXPECT(c->file, lf_len < len);
		int rc = parse_exact(text, lf_len, &got);

		check_want(c->file, rc, &got, &c->want);
		free(text);
	}
}

static const char *find(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(text + i, needle, n) == 0)
			return text + i;
	return NULL;
}

/*
 * Every prefix: no crash, no over-read (ASan), sane fields; -EINVAL exactly until "role:" is in;
 * once the whole Replication section is in, the same result as the full text.
 */
static void test_info_every_prefix_of_fixture_is_safe(void)
{
	for (size_t i = 0; i < ARRAY_LEN(fixture_cases); i++) {
		const char *file = fixture_cases[i].file;
		size_t len, bad = 0;
		char *text = load_fixture(file, &len);
		struct qu_info full, got;
		const char *role = find(text, len, "\r\nrole:");
		const char *cpu = find(text, len, "\r\n# CPU\r\n");

		CU_ASSERT_FATAL(sn_info_parse(text, len, &full) == 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(role);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
		size_t role_end = (size_t)(role - text) + 7, cpu_at = (size_t)(cpu - text);
		for (size_t n = 0; n <= len; n++) {
			int rc = parse_exact(text, n, &got);

			if (rc != (n < role_end ? -EINVAL : 0) || !info_is_sane(&got) ||
			    (n >= cpu_at && !info_equal(&got, &full)))
				bad++;
		}
		EXPECT(file, bad == 0);
		free(text);
	}
}

struct text_case {
	const char *name;
	const char *text;
	size_t len;
	struct want want;
};

/* Literal text, NUL bytes included. */
#define TEXT(s) .text = (s), .len = sizeof(s) - 1

static void run_text_cases(const struct text_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct qu_info got;
		int rc = parse_exact(cases[i].text, cases[i].len, &got);

		check_want(cases[i].name, rc, &got, &cases[i].want);
		EXPECT(cases[i].name, info_is_sane(&got));
	}
}

/* clang-format off */
static const struct text_case role_cases[] = {
	{"empty text is not INFO", TEXT(""), {.rc = -EINVAL}},
	{"no role line is not INFO (and nothing leaks out)",
	 TEXT("# Server\r\nrun_id:" RUNID_A "\r\nmaster_host:h\r\nmaster_port:1\r\n"),
	 {.rc = -EINVAL}},
	{"role without colon is not INFO", TEXT("role master\r\n"), {.rc = -EINVAL}},
	{"keys are case-sensitive", TEXT("ROLE:master\r\n"), {.rc = -EINVAL}},
	{"NUL inside the key", TEXT("ro\0le:master\r\n"), {.rc = -EINVAL}},
	{"role:master", TEXT("role:master\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"role:slave with LF only", TEXT("role:slave\n"), {.role = QU_ROLE_REPLICA}},
	{"role:slave without final newline", TEXT("role:slave"), {.role = QU_ROLE_REPLICA}},
	{"role:sentinel is INFO of unknown role", TEXT("role:sentinel\r\n"), {0}},
	{"empty role value still counts", TEXT("role:\r\n"), {0}},
	{"role value compared exactly", TEXT("role:masterx\r\n"), {0}},
	{"NUL inside the role value", TEXT("role:mas\0ter\r\n"), {0}},
	{"last role line wins", TEXT("role:slave\r\nrole:master\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"headers, blank lines, lone CR and junk are skipped",
	 TEXT("# Replication\r\n\r\n\r\r\n\n:\r\n::::\r\nfoo:bar\r\n"
	      "role:master\r\n#role:slave\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"mixed CRLF and LF",
	 TEXT("role:slave\nmaster_host:h\r\nmaster_port:7\nslave_priority:5\r\n"),
	 {.role = QU_ROLE_REPLICA, .primary_host = "h", .primary_port = 7, PRIO(5)}},
	{"only one CR is stripped", TEXT("role:slave\r\r\n"), {0}},
	{"run_id of 40 chars",
	 TEXT("run_id:" RUNID_A "\r\nrole:master\r\n"),
	 {.role = QU_ROLE_PRIMARY, .run_id = RUNID_A}},
	{"run_id of 39 chars is ignored",
	 TEXT("run_id:0123456789abcdef0123456789abcdef0123456\r\nrole:master\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"run_id of 41 chars is ignored",
	 TEXT("run_id:" RUNID_A "8\r\nrole:master\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"empty run_id is ignored", TEXT("run_id:\r\nrole:master\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"run_id with a space is ignored",
	 TEXT("run_id:0123456789abcdef0123456789abcdef 1234567\r\nrole:master\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"run_id with a NUL is ignored",
	 TEXT("run_id:0123456789abcdef0123456789abcdef\0001234567\r\nrole:master\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"a bad run_id does not erase a good one",
	 TEXT("run_id:" RUNID_A "\r\nrun_id:short\r\nrole:master\r\n"),
	 {.role = QU_ROLE_PRIMARY, .run_id = RUNID_A}},
};
/* clang-format on */

static void test_info_roles_and_run_ids(void)
{
	run_text_cases(role_cases, ARRAY_LEN(role_cases));
}

#define AS_REPLICA "role:slave\r\n"

/* clang-format off */
static const struct text_case replica_side_cases[] = {
	{"host and port",
	 TEXT(AS_REPLICA "master_host:10.0.0.1\r\nmaster_port:6379\r\n"),
	 {.role = QU_ROLE_REPLICA, .primary_host = "10.0.0.1", .primary_port = 6379}},
	{"IPv6 host keeps its colons",
	 TEXT(AS_REPLICA "master_host:::1\r\nmaster_port:6379\r\n"),
	 {.role = QU_ROLE_REPLICA, .primary_host = "::1", .primary_port = 6379}},
	{"host without port", TEXT(AS_REPLICA "master_host:10.0.0.1\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port without host", TEXT(AS_REPLICA "master_port:6379\r\n"), {.role = QU_ROLE_REPLICA}},
	{"port 65535",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:65535\r\n"),
	 {.role = QU_ROLE_REPLICA, .primary_host = "h", .primary_port = 65535}},
	{"port 0", TEXT(AS_REPLICA "master_host:h\r\nmaster_port:0\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port 65536", TEXT(AS_REPLICA "master_host:h\r\nmaster_port:65536\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"negative port", TEXT(AS_REPLICA "master_host:h\r\nmaster_port:-6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port with a leading space",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port: 6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port with a plus sign",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:+6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port with trailing junk",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:6379x\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port with a NUL",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:63\00079\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"huge port",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:99999999999999999999999999\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"port of 23 digits (leading zeros)",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:00000000000000000006379\r\n"),
	 {.role = QU_ROLE_REPLICA, .primary_host = "h", .primary_port = 6379}},
	{"port of 24 digits",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_port:000000000000000000006379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"empty host", TEXT(AS_REPLICA "master_host:\r\nmaster_port:6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"host with a space",
	 TEXT(AS_REPLICA "master_host:a b\r\nmaster_port:6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"host with a control char",
	 TEXT(AS_REPLICA "master_host:a\tb\r\nmaster_port:6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"host with a NUL",
	 TEXT(AS_REPLICA "master_host:a\0b\r\nmaster_port:6379\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"a bad host keeps the previous one",
	 TEXT(AS_REPLICA "master_host:h\r\nmaster_host:\r\nmaster_port:1\r\n"),
	 {.role = QU_ROLE_REPLICA, .primary_host = "h", .primary_port = 1}},
	{"link up, any case",
	 TEXT(AS_REPLICA "master_link_status:UP\r\n"),
	 {.role = QU_ROLE_REPLICA, .link_up = true}},
	{"link status other than up", TEXT(AS_REPLICA "master_link_status:upx\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"last link status wins",
	 TEXT(AS_REPLICA "master_link_status:up\r\nmaster_link_status:down\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"down since -1 is kept as -1000",
	 TEXT(AS_REPLICA "master_link_down_since_seconds:-1\r\n"),
	 {.role = QU_ROLE_REPLICA, .link_down_ms = -1000}},
	{"down since 0", TEXT(AS_REPLICA "master_link_down_since_seconds:0\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"down since 12 s",
	 TEXT(AS_REPLICA "master_link_down_since_seconds:12\r\n"),
	 {.role = QU_ROLE_REPLICA, .link_down_ms = 12000}},
	{"down since at the int64 limit",
	 TEXT(AS_REPLICA "master_link_down_since_seconds:9223372036854775\r\n"),
	 {.role = QU_ROLE_REPLICA, .link_down_ms = 9223372036854775000}},
	{"down since that would overflow",
	 TEXT(AS_REPLICA "master_link_down_since_seconds:9223372036854776\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"down since -2", TEXT(AS_REPLICA "master_link_down_since_seconds:-2\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"down since 1.5", TEXT(AS_REPLICA "master_link_down_since_seconds:1.5\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"priority 0", TEXT(AS_REPLICA "slave_priority:0\r\n"), {.role = QU_ROLE_REPLICA, PRIO(0)}},
	{"priority INT32_MAX",
	 TEXT(AS_REPLICA "slave_priority:2147483647\r\n"),
	 {.role = QU_ROLE_REPLICA, PRIO(INT32_MAX)}},
	{"priority INT32_MAX + 1", TEXT(AS_REPLICA "slave_priority:2147483648\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"priority -1", TEXT(AS_REPLICA "slave_priority:-1\r\n"), {.role = QU_ROLE_REPLICA}},
	{"priority not a number", TEXT(AS_REPLICA "slave_priority:high\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"replica_priority alias",
	 TEXT(AS_REPLICA "replica_priority:7\r\n"),
	 {.role = QU_ROLE_REPLICA, PRIO(7)}},
	{"offset INT64_MAX",
	 TEXT(AS_REPLICA "slave_repl_offset:9223372036854775807\r\n"),
	 {.role = QU_ROLE_REPLICA, .offset = INT64_MAX}},
	{"offset past INT64_MAX",
	 TEXT(AS_REPLICA "slave_repl_offset:9223372036854775808\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"negative offset", TEXT(AS_REPLICA "slave_repl_offset:-5\r\n"), {.role = QU_ROLE_REPLICA}},
	{"other offsets are not the replica offset",
	 TEXT(AS_REPLICA "master_repl_offset:9\r\nslave_read_repl_offset:8\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"announced 0",
	 TEXT(AS_REPLICA "replica_announced:0\r\n"),
	 {.role = QU_ROLE_REPLICA, .unannounced = true}},
	{"announced 1", TEXT(AS_REPLICA "replica_announced:1\r\n"), {.role = QU_ROLE_REPLICA}},
	{"announced no is malformed", TEXT(AS_REPLICA "replica_announced:no\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"announced 2 is malformed", TEXT(AS_REPLICA "replica_announced:2\r\n"),
	 {.role = QU_ROLE_REPLICA}},
	{"missing colons",
	 TEXT(AS_REPLICA "master_host 10.0.0.1\r\nmaster_port6379\r\nslave_priority\r\n"),
	 {.role = QU_ROLE_REPLICA}},
};
/* clang-format on */

static void test_info_replica_side_fields(void)
{
	run_text_cases(replica_side_cases, ARRAY_LEN(replica_side_cases));
}

#define AS_PRIMARY "role:master\r\n"

/* clang-format off */
static const struct text_case replica_line_cases[] = {
	{"new format",
	 TEXT(AS_PRIMARY "slave0:ip=10.0.0.1,port=6380,state=online,offset=5,lag=0\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"10.0.0.1", 6380}}}},
	{"new format, fields in any order",
	 TEXT(AS_PRIMARY "slave3:state=online,port=6381,ip=h2\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"h2", 6381}}}},
	{"new format, ip and port only",
	 TEXT(AS_PRIMARY "slave0:ip=h,port=1\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"h", 1}}}},
	{"new format, first valid ip wins",
	 TEXT(AS_PRIMARY "slave0:ip=a b,ip=a,ip=b,port=1\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"a", 1}}}},
	{"new format, IPv6",
	 TEXT(AS_PRIMARY "slave0:ip=::1,port=6380,state=online\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"::1", 6380}}}},
	{"old format",
	 TEXT(AS_PRIMARY "slave0:10.0.0.2,6381,online\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"10.0.0.2", 6381}}}},
	{"old format with an empty state",
	 TEXT(AS_PRIMARY "slave0:10.0.0.2,6381,\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"10.0.0.2", 6381}}}},
	{"old format without state (as Sentinel, ignored)",
	 TEXT(AS_PRIMARY "slave0:10.0.0.2,6381\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"old format, bad port", TEXT(AS_PRIMARY "slave0:10.0.0.2,63x1,online\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"old format, empty ip", TEXT(AS_PRIMARY "slave0:,6381,online\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"old format, nothing", TEXT(AS_PRIMARY "slave0:\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"port 0", TEXT(AS_PRIMARY "slave0:ip=h,port=0,state=online\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"port 65536", TEXT(AS_PRIMARY "slave0:ip=h,port=65536\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"negative port", TEXT(AS_PRIMARY "slave0:ip=h,port=-1\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"empty port", TEXT(AS_PRIMARY "slave0:ip=h,port=,state=online\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"no port", TEXT(AS_PRIMARY "slave0:ip=h,state=online\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"no ip", TEXT(AS_PRIMARY "slave0:port=6380,state=online\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"empty ip", TEXT(AS_PRIMARY "slave0:ip=,port=6380\r\n"), {.role = QU_ROLE_PRIMARY}},
	{"NUL in the ip", TEXT(AS_PRIMARY "slave0:ip=10.0.0.1\0,port=6380\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"NUL in the port", TEXT(AS_PRIMARY "slave0:ip=h,port=63\00080\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"port= inside another field is not the port",
	 TEXT(AS_PRIMARY "slave0:ip=h,xport=1\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"duplicate address",
	 TEXT(AS_PRIMARY "slave0:ip=h,port=1\r\nslave1:ip=h,port=1\r\nslave2:h,1,x\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"h", 1}}}},
	{"duplicate address, host in another case",
	 TEXT(AS_PRIMARY "slave0:ip=Host-A,port=1\r\nslave1:ip=host-a,port=1\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 1, .replicas = {{"Host-A", 1}}}},
	{"same host, other ports",
	 TEXT(AS_PRIMARY "slave0:ip=h,port=1\r\nslave1:ip=h,port=2\r\nslave2:ip=g,port=1\r\n"),
	 {.role = QU_ROLE_PRIMARY, .replica_count = 3, .replicas = {{"h", 1}, {"h", 2}, {"g", 1}}}},
	{"slave without a number is not a replica line",
	 TEXT(AS_PRIMARY "slave:ip=h,port=1\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"slave<letters> is not a replica line",
	 TEXT(AS_PRIMARY "slave0x:ip=h,port=1\r\nslavex:h,1,x\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"Slave0 is not a replica line", TEXT(AS_PRIMARY "Slave0:ip=h,port=1\r\n"),
	 {.role = QU_ROLE_PRIMARY}},
	{"replica lines of a replica are collected too",
	 TEXT(AS_REPLICA "slave0:ip=sub,port=7000,state=online\r\n"),
	 {.role = QU_ROLE_REPLICA, .replica_count = 1, .replicas = {{"sub", 7000}}}},
};
/* clang-format on */

static void test_info_replica_lines(void)
{
	run_text_cases(replica_line_cases, ARRAY_LEN(replica_line_cases));
}

/* A growing text buffer for generated inputs; aborts the test on OOM. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (t->len + n > t->cap) {
		size_t cap = (t->len + n) * 2;
		char *buf = realloc(t->buf, cap);

		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		t->buf = buf;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void text_addf(struct text *t, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
	char line[128];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(line));
	text_add(t, line, (size_t)n);
}

static void test_info_caps_replicas_and_flags_truncation(void)
{
	struct text t = {0};
	struct qu_info got;

	text_add(&t, AS_PRIMARY, strlen(AS_PRIMARY));
	for (unsigned int i = 0; i < 10000; i++)
		text_addf(&t, "slave%u:ip=10.%u.%u.1,port=6379,state=online,offset=0,lag=0\r\n", i,
		          i / 256, i % 256);
	int rc = parse_exact(t.buf, t.len, &got);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(got.replica_count, QU_REPLICAS_MAX);
	CU_ASSERT_TRUE(got.replicas_truncated);
	CU_ASSERT_STRING_EQUAL(got.replicas[0].host, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(got.replicas[QU_REPLICAS_MAX - 1].host, "10.0.63.1");
	CU_ASSERT_TRUE(info_is_sane(&got));
	free(t.buf);
}

static void test_info_full_table_of_repeats_is_not_truncated(void)
{
	struct text t = {0};
	struct qu_info got;

	text_add(&t, AS_PRIMARY, strlen(AS_PRIMARY));
	for (unsigned int i = 0; i < 10000; i++)
		text_addf(&t, "slave%u:ip=h%u,port=6379\r\n", i, i % QU_REPLICAS_MAX);
	int rc = parse_exact(t.buf, t.len, &got);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(got.replica_count, QU_REPLICAS_MAX);
	CU_ASSERT_FALSE(got.replicas_truncated);
	CU_ASSERT_STRING_EQUAL(got.replicas[QU_REPLICAS_MAX - 1].host, "h63");
	free(t.buf);
}

static void add_host_lines(struct text *t, size_t host_len)
{
	text_add(t, "master_host:", 12);
	for (size_t i = 0; i < host_len; i++)
		text_add(t, "a", 1);
	text_add(t, "\r\nslave0:ip=", 12);
	for (size_t i = 0; i < host_len; i++)
		text_add(t, "b", 1);
	text_add(t, ",port=2\r\nmaster_port:1\r\n", 24);
}

static void test_info_host_length_limit(void)
{
	for (size_t host_len = QU_HOST_MAX - 1; host_len <= QU_HOST_MAX; host_len++) {
		struct text t = {0};
		struct qu_info got;
		bool fits = host_len < QU_HOST_MAX;

		text_add(&t, AS_REPLICA, strlen(AS_REPLICA));
		add_host_lines(&t, host_len);
		int rc = parse_exact(t.buf, t.len, &got);

		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(got.has_primary, fits);
		CU_ASSERT_EQUAL(strlen(got.primary.host), fits ? host_len : 0);
		CU_ASSERT_EQUAL(got.replica_count, fits ? 1u : 0u);
		CU_ASSERT_TRUE(info_is_sane(&got));
		free(t.buf);
	}
}

static void test_info_skips_very_long_lines(void)
{
	struct text t = {0};
	struct qu_info got;
	char chunk[4096];

	memset(chunk, '9', sizeof(chunk));
	/* A 1 MiB run_id, a 1 MiB port, a 1 MiB line without a colon, then the real lines. */
	text_add(&t, "run_id:", 7);
	for (int i = 0; i < 256; i++)
		text_add(&t, chunk, sizeof(chunk));
	text_add(&t, "\r\nmaster_port:", 14);
	for (int i = 0; i < 256; i++)
		text_add(&t, chunk, sizeof(chunk));
	text_add(&t, "\r\n", 2);
	for (int i = 0; i < 256; i++)
		text_add(&t, chunk, sizeof(chunk));
	text_add(&t, "\r\nrole:slave\r\nmaster_host:h\r\n", 29);
	int rc = parse_exact(t.buf, t.len, &got);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(got.role, QU_ROLE_REPLICA);
	CU_ASSERT_FALSE(got.has_run_id);
	CU_ASSERT_FALSE(got.has_primary);
	free(t.buf);
}

/* splitmix64: a fixed seed keeps the garbage reproducible. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* clang-format off */
static const char *const tokens[] = {
	"role:", "master", "slave", "slave0:", "slave12:", "ip=", "port=", ",", ":", "=", "\r\n",
	"\n", "\r", "-", "1", "6379", "65536", "-1", "9223372036854775808", "\0", "master_host:",
	"master_port:", "master_link_status:", "up", "master_link_down_since_seconds:",
	"slave_priority:", "slave_repl_offset:", "replica_announced:", "run_id:", RUNID_A, "::1",
};
/* clang-format on */

static void test_info_garbage_never_breaks_invariants(void)
{
	uint64_t seed = 0x5eed1234;
	unsigned int insane = 0, ok = 0;

	for (int iter = 0; iter < 3000; iter++) {
		struct text t = {0};
		struct qu_info got;
		size_t parts = next_rand(&seed) % 200;

		for (size_t p = 0; p < parts; p++) {
			uint64_t r = next_rand(&seed);
			const char *tok = tokens[r % ARRAY_LEN(tokens)];
			char byte = (char)(r >> 32);

			if ((r >> 40) % 4 == 0)
				text_add(&t, &byte, 1);
			else
				text_add(&t, tok, tok[0] == '\0' ? 1 : strlen(tok));
		}
		int rc = parse_exact(t.buf, t.len, &got);

		ok += rc == 0;
		if ((rc != 0 && rc != -EINVAL) || !info_is_sane(&got))
			insane++;
		free(t.buf);
	}
	CU_ASSERT_EQUAL(insane, 0);
	CU_ASSERT_TRUE(ok > 0); /* the generator does reach the parse paths */
}

static void test_info_resets_output_between_parses(void)
{
	static const char first[] = "run_id:" RUNID_A "\r\nrole:slave\r\nmaster_host:h\r\n"
	                            "master_port:1\r\nmaster_link_status:up\r\nslave_priority:0\r\n"
	                            "slave0:ip=h,port=2\r\nreplica_announced:0\r\n";
	struct qu_info got;

	CU_ASSERT_EQUAL_FATAL(parse_exact(first, sizeof(first) - 1, &got), 0);
	int rc = parse_exact("role:master", 11, &got);

	check_want("second parse", rc, &got, &(struct want){.role = QU_ROLE_PRIMARY});
	rc = parse_exact(first, sizeof(first) - 1, &got);
	CU_ASSERT_EQUAL(rc, 0);
	rc = parse_exact("garbage", 7, &got);
	check_want("failed parse", rc, &got, &(struct want){.rc = -EINVAL});
}

static void test_info_null_empty_text_is_not_info(void)
{
	struct qu_info got;

	CU_ASSERT_EQUAL(sn_info_parse(NULL, 0, &got), -EINVAL);
	CU_ASSERT_EQUAL(got.role, QU_ROLE_UNKNOWN);
	CU_ASSERT_EQUAL(got.priority, QU_DEFAULT_PRIORITY);
}

/* clang-format off */
CU_TestInfo info_tests[] = {
	{"parses real redis 7.0.15 INFO fixtures", test_info_parses_real_redis_7_0_fixtures},
	{"parses LF-only fixtures like CRLF", test_info_parses_lf_only_fixtures_like_crlf},
	{"every prefix of a fixture is safe and stable", test_info_every_prefix_of_fixture_is_safe},
	{"roles and run_ids", test_info_roles_and_run_ids},
	{"replica-side fields, strict numbers", test_info_replica_side_fields},
	{"replica lines: new and old format, duplicates", test_info_replica_lines},
	{"10k replica lines keep 64 and flag truncation",
	 test_info_caps_replicas_and_flags_truncation},
	{"repeated addresses fill the table without truncation",
	 test_info_full_table_of_repeats_is_not_truncated},
	{"hosts of QU_HOST_MAX - 1 fit, longer are ignored", test_info_host_length_limit},
	{"skips very long lines", test_info_skips_very_long_lines},
	{"seeded garbage never breaks invariants", test_info_garbage_never_breaks_invariants},
	{"output is reset between parses", test_info_resets_output_between_parses},
	{"NULL empty text is not INFO", test_info_null_empty_text_is_not_info},
	CU_TEST_INFO_NULL,
};
/* clang-format on */
