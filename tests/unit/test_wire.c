// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the hello codec (include/quorum_wire.h, sentinel-protocol.md §2.1): payloads
 * captured from redis-sentinel 7.0.15 (tests/data/hello_*.txt, read from the repo root),
 * format/parse round trips, and a table of hostile payloads, one row per error class. Every parse
 * runs on a malloc'd copy of exactly len bytes so that ASan builds catch any over-read.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quorum_wire.h"

#define DATA_DIR "tests/data/"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fields of a good hello, spliced into the hostile rows below. */
#define RID "6378e9eb24b00623cc1603d43a4d9805ec65e2cf"
#define W "127.0.0.1,27311,"
#define TAIL ",mymaster,127.0.0.1,27302,1"
#define GOOD W RID ",1" TAIL

/* A failing table row names itself: CUnit copies the message. */
#define EXPECT(name, cond) expect((cond), (name), #cond, __LINE__)

static void expect(bool ok, const char *name, const char *cond, unsigned int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", name, cond);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}

/* Parse from a heap copy of exactly len bytes. */
static int parse_exact(const char *text, size_t len, struct qu_hello *out)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	if (len > 0)
		memcpy(copy, text, len);
	rc = qu_wire_hello_parse(copy, len, out);
	free(copy);
	return rc;
}

static bool hello_equal(const struct qu_hello *a, const struct qu_hello *b)
{
	return strcmp(a->watcher.host, b->watcher.host) == 0 &&
	       a->watcher.port == b->watcher.port && strcmp(a->runid, b->runid) == 0 &&
	       a->current_epoch == b->current_epoch && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->primary.host, b->primary.host) == 0 &&
	       a->primary.port == b->primary.port && a->config_epoch == b->config_epoch;
}

/* ---- payloads captured from redis-sentinel 7.0.15 ---------------------------------------- */

struct captured {
	const char *file;
	const char *host;
	uint16_t port;
	const char *runid;
	uint64_t current_epoch;
	const char *primary_host;
	uint16_t primary_port;
	uint64_t config_epoch;
};

static const struct captured captured_cases[] = {
    {"hello_epoch0_a.txt", "127.0.0.1", 27311, "6378e9eb24b00623cc1603d43a4d9805ec65e2cf", 0,
     "127.0.0.1", 27301, 0},
    {"hello_epoch0_b.txt", "127.0.0.1", 27312, "4c23ba03922176f959c65e5243e379dd16660e53", 0,
     "127.0.0.1", 27301, 0},
    /* after SENTINEL FAILOVER: epoch 1, the replica 27302 promoted */
    {"hello_after_failover.txt", "127.0.0.1", 27311, "6378e9eb24b00623cc1603d43a4d9805ec65e2cf", 1,
     "127.0.0.1", 27302, 1},
};

/* One payload per file, as PUBLISHed, plus the newline the file ends with. */
static size_t read_payload(const char *file, char *buf, size_t size)
{
	char path[256];
	snprintf(path, sizeof(path), DATA_DIR "%s", file);
	FILE *f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	CU_ASSERT_FATAL(n > 0 && buf[n - 1] == '\n');
	buf[--n] = '\0';
	return n;
}

static void test_parses_hellos_captured_from_redis_sentinel(void)
{
	for (size_t i = 0; i < ARRAY_LEN(captured_cases); i++) {
		const struct captured *c = &captured_cases[i];
		char payload[512], again[512];
		size_t len = read_payload(c->file, payload, sizeof(payload));
		struct qu_hello h;

		int rc = parse_exact(payload, len, &h);

		EXPECT(c->file, rc == 0);
		EXPECT(c->file, strcmp(h.watcher.host, c->host) == 0);
		EXPECT(c->file, h.watcher.port == c->port);
		EXPECT(c->file, strcmp(h.runid, c->runid) == 0);
		EXPECT(c->file, h.current_epoch == c->current_epoch);
		EXPECT(c->file, strcmp(h.name, "mymaster") == 0);
		EXPECT(c->file, strcmp(h.primary.host, c->primary_host) == 0);
		EXPECT(c->file, h.primary.port == c->primary_port);
		EXPECT(c->file, h.config_epoch == c->config_epoch);
		/* What we publish is byte for byte what redis-sentinel publishes. */
		int n = qu_wire_hello_format(&h, again, sizeof(again));
		EXPECT(c->file, n == (int)len);
		EXPECT(c->file, strcmp(again, payload) == 0);
	}
}

/* ---- format / parse round trips ------------------------------------------------------------ */

static struct qu_hello hello_of(const char *host, uint16_t port, const char *name, uint64_t cur,
                                uint64_t cfg)
{
	struct qu_hello h;
	memset(&h, 0, sizeof(h));
	snprintf(h.watcher.host, sizeof(h.watcher.host), "%s", host);
	h.watcher.port = port;
	memcpy(h.runid, RID, QU_RUNID_LEN);
	h.current_epoch = cur;
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.primary.host, sizeof(h.primary.host), "%s", host);
	h.primary.port = (uint16_t)(port == 65535 ? 1 : port + 1);
	h.config_epoch = cfg;
	return h;
}

static void test_format_then_parse_gives_the_same_hello(void)
{
	static const struct {
		const char *name;
		const char *host;
		uint16_t port;
		const char *group;
		uint64_t cur, cfg;
	} cases[] = {
	    {"zero epochs", "127.0.0.1", 26379, "mymaster", 0, 0},
	    {"largest epochs", "10.0.0.1", 65535, "m", INT64_MAX, INT64_MAX},
	    {"lowest port", "10.0.0.1", 1, "m", 1, 0},
	    {"ipv6 literal", "::1", 26379, "cache-a", 7, 3},
	    {"hostname", "sentinel-1.example.internal", 26379, "cache.b_c-d", 12, 12},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct qu_hello h = hello_of(cases[i].host, cases[i].port, cases[i].group,
		                             cases[i].cur, cases[i].cfg);
		struct qu_hello back;
		char buf[QU_TEXT_MAX];

		int n = qu_wire_hello_format(&h, buf, sizeof(buf));

		EXPECT(cases[i].name, n > 0 && (size_t)n == strlen(buf));
		EXPECT(cases[i].name, parse_exact(buf, (size_t)n, &back) == 0);
		EXPECT(cases[i].name, hello_equal(&h, &back));
	}
}

static void fill(char *out, size_t len, char c)
{
	memset(out, c, len);
	out[len] = '\0';
}

static void test_longest_fields_round_trip_within_text_max(void)
{
	struct qu_hello h = hello_of("x", 65535, "n", INT64_MAX, INT64_MAX);
	fill(h.watcher.host, QU_HOST_MAX - 1, 'h');
	fill(h.primary.host, QU_HOST_MAX - 1, 'p');
	fill(h.name, QU_NAME_MAX - 1, 'n');
	char buf[QU_TEXT_MAX];
	struct qu_hello back;

	int n = qu_wire_hello_format(&h, buf, sizeof(buf)); /* the shell's buffer size */

	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL(parse_exact(buf, (size_t)n, &back), 0);
	CU_ASSERT_TRUE(hello_equal(&h, &back));
}

static void test_format_refuses_a_buffer_too_small(void)
{
	struct qu_hello h = hello_of("127.0.0.1", 27311, "mymaster", 1, 1);
	char buf[128];
	int n = qu_wire_hello_format(&h, buf, sizeof(buf));
	CU_ASSERT_TRUE_FATAL(n > 0);

	CU_ASSERT_EQUAL(qu_wire_hello_format(&h, buf, (size_t)n + 1), n); /* room for the NUL */
	CU_ASSERT_EQUAL(qu_wire_hello_format(&h, buf, (size_t)n), -1);
	CU_ASSERT_EQUAL(qu_wire_hello_format(&h, buf, 1), -1);
}

/* ---- hostile payloads: one row per error class ---------------------------------------------- */

struct bad_case {
	const char *name;
	const char *payload;
	size_t len;
	int rc;
};

/* sizeof keeps embedded NULs in the payload; "\0" "x" stops the escape from eating digits. */
/* clang-format off */
#define ROW(name, lit, rc) {name, lit, sizeof(lit) - 1, rc}
/* clang-format on */

static const struct bad_case bad_cases[] = {
    ROW("reference row parses", GOOD, 0),
    /* field count */
    ROW("empty payload", "", QU_WIRE_EFIELDS),
    ROW("seven fields", W RID ",1,mymaster,127.0.0.1,27302", QU_WIRE_EFIELDS),
    ROW("nine fields", GOOD ",1", QU_WIRE_EFIELDS),
    ROW("trailing comma", GOOD ",", QU_WIRE_EFIELDS),
    ROW("one field", "hello", QU_WIRE_EFIELDS),
    ROW("eight empty fields", ",,,,,,,", QU_WIRE_EADDR),
    /* epochs: decimal, unsigned, at most 19 digits, <= INT64_MAX */
    ROW("epoch abc", W RID ",abc" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch empty", W RID "," TAIL, QU_WIRE_EEPOCH),
    ROW("epoch negative", W RID ",-1" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch plus sign", W RID ",+1" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch leading space", W RID ", 1" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch trailing space", W RID ",1 " TAIL, QU_WIRE_EEPOCH),
    ROW("epoch hex", W RID ",0x10" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch fraction", W RID ",1.5" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch 20 digits small", W RID ",00000000000000000001" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch 2^64", W RID ",18446744073709551616" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch 19 nines", W RID ",9999999999999999999" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch INT64_MAX + 1", W RID ",9223372036854775808" TAIL, QU_WIRE_EEPOCH),
    ROW("epoch INT64_MAX", W RID ",9223372036854775807" TAIL, 0),
    ROW("config epoch abc", W RID ",1,mymaster,127.0.0.1,27302,abc", QU_WIRE_EEPOCH),
    ROW("config epoch negative", W RID ",1,mymaster,127.0.0.1,27302,-1", QU_WIRE_EEPOCH),
    ROW("config epoch 20 digits", W RID ",1,mymaster,127.0.0.1,27302,12345678901234567890",
        QU_WIRE_EEPOCH),
    ROW("config epoch INT64_MAX + 1", W RID ",1,mymaster,127.0.0.1,27302,9223372036854775808",
        QU_WIRE_EEPOCH),
    ROW("config epoch empty", W RID ",1,mymaster,127.0.0.1,27302,", QU_WIRE_EEPOCH),
    ROW("config epoch CRLF", GOOD "\r\n", QU_WIRE_EEPOCH),
    ROW("config epoch trailing NUL", GOOD "\0", QU_WIRE_EEPOCH),
    ROW("NUL inside epoch",
        W RID ",1\0"
              "2" TAIL,
        QU_WIRE_EEPOCH),
    /* ports 1..65535 */
    ROW("watcher port 0", "127.0.0.1,0," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher port 65536", "127.0.0.1,65536," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher port 65535", "127.0.0.1,65535," RID ",1" TAIL, 0),
    ROW("watcher port abc", "127.0.0.1,abc," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher port negative", "127.0.0.1,-1," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher port empty", "127.0.0.1,," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher port 20 digits", "127.0.0.1,18446744073709551617," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("primary port 0", W RID ",1,mymaster,127.0.0.1,0,1", QU_WIRE_EADDR),
    ROW("primary port 65536", W RID ",1,mymaster,127.0.0.1,65536,1", QU_WIRE_EADDR),
    ROW("primary port abc", W RID ",1,mymaster,127.0.0.1,abc,1", QU_WIRE_EADDR),
    /* runid: exactly 40 hex digits */
    ROW("runid 39 chars", W "6378e9eb24b00623cc1603d43a4d9805ec65e2c,1" TAIL, QU_WIRE_ERUNID),
    ROW("runid 41 chars", W "6378e9eb24b00623cc1603d43a4d9805ec65e2cf0,1" TAIL, QU_WIRE_ERUNID),
    ROW("runid non-hex", W "g378e9eb24b00623cc1603d43a4d9805ec65e2cf,1" TAIL, QU_WIRE_ERUNID),
    ROW("runid star", W "*,1" TAIL, QU_WIRE_ERUNID),
    ROW("runid empty", W ",1" TAIL, QU_WIRE_ERUNID),
    ROW("runid with NUL", W "6378e9eb24b00623cc1603d43a4d9805ec65e2c\0,1" TAIL, QU_WIRE_ERUNID),
    ROW("runid upper-case hex", W "6378E9EB24B00623CC1603D43A4D9805EC65E2CF,1" TAIL, 0),
    /* name and hosts: printable, no spaces */
    ROW("name empty", W RID ",1,,127.0.0.1,27302,1", QU_WIRE_ENAME),
    ROW("name with space", W RID ",1,my master,127.0.0.1,27302,1", QU_WIRE_ENAME),
    ROW("name with tab", W RID ",1,my\tmaster,127.0.0.1,27302,1", QU_WIRE_ENAME),
    ROW("name with 0x01", W RID ",1,my\x01master,127.0.0.1,27302,1", QU_WIRE_ENAME),
    ROW("name with DEL", W RID ",1,my\x7fmaster,127.0.0.1,27302,1", QU_WIRE_ENAME),
    ROW("name with UTF-8", W RID ",1,caf\xc3\xa9,127.0.0.1,27302,1", QU_WIRE_ENAME),
    ROW("name with NUL",
        W RID ",1,my\0"
              "master,127.0.0.1,27302,1",
        QU_WIRE_ENAME),
    ROW("watcher host empty",
        ","
        "27311," RID ",1" TAIL,
        QU_WIRE_EADDR),
    ROW("watcher host with space", "127.0.0.1 ,27311," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher host leading space", " 127.0.0.1,27311," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("watcher host with NUL",
        "127.0.0.1\0"
        ",27311," RID ",1" TAIL,
        QU_WIRE_EADDR),
    ROW("watcher host with newline", "127.0.0.1\n,27311," RID ",1" TAIL, QU_WIRE_EADDR),
    ROW("primary host empty", W RID ",1,mymaster,,27302,1", QU_WIRE_EADDR),
    ROW("primary host with NUL",
        W RID ",1,mymaster,127.0\0"
              ".0.1,27302,1",
        QU_WIRE_EADDR),
    ROW("primary host with space", W RID ",1,mymaster,127.0.0.1 x,27302,1", QU_WIRE_EADDR),
    ROW("ipv6 watcher host", "::1,27311," RID ",1" TAIL, 0),
};

static void test_hostile_payloads_get_the_right_error(void)
{
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct qu_hello h;
		memset(&h, 0x5a, sizeof(h));

		int rc = parse_exact(c->payload, c->len, &h);

		EXPECT(c->name, rc == c->rc);
		if (c->rc == 0) /* a success always leaves NUL-terminated strings */
			EXPECT(c->name, strnlen(h.name, sizeof(h.name)) < sizeof(h.name) &&
			                    strnlen(h.runid, sizeof(h.runid)) == QU_RUNID_LEN);
	}
}

/* Build "<host>,27311,RID,1,<name>,<phost>,27302,1" with fields of the given lengths. */
static size_t build_sized(char *buf, size_t size, size_t host_len, size_t name_len,
                          size_t phost_len)
{
	char host[2048], name[2048], phost[2048];
	fill(host, host_len, 'h');
	fill(name, name_len, 'n');
	fill(phost, phost_len, 'p');
	int n = snprintf(buf, size, "%s,27311," RID ",1,%s,%s,27302,1", host, name, phost);
	CU_ASSERT_FATAL(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static void test_oversized_name_and_hosts_are_refused(void)
{
	static const struct {
		const char *name;
		size_t host, group, phost;
		int rc;
	} cases[] = {
	    {"longest watcher host", QU_HOST_MAX - 1, 8, 9, 0},
	    {"watcher host one too long", QU_HOST_MAX, 8, 9, QU_WIRE_EADDR},
	    {"longest name", 9, QU_NAME_MAX - 1, 9, 0},
	    {"name one too long", 9, QU_NAME_MAX, 9, QU_WIRE_ENAME},
	    {"name of 2000 bytes", 9, 2000, 9, QU_WIRE_ENAME},
	    {"longest primary host", 9, 8, QU_HOST_MAX - 1, 0},
	    {"primary host one too long", 9, 8, QU_HOST_MAX, QU_WIRE_EADDR},
	    {"primary host of 2000 bytes", 9, 8, 2000, QU_WIRE_EADDR},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char buf[8192];
		size_t len =
		    build_sized(buf, sizeof(buf), cases[i].host, cases[i].group, cases[i].phost);
		struct qu_hello h;

		int rc = parse_exact(buf, len, &h);

		EXPECT(cases[i].name, rc == cases[i].rc);
		if (rc == 0)
			EXPECT(cases[i].name, strlen(h.watcher.host) == cases[i].host &&
			                          strlen(h.name) == cases[i].group &&
			                          strlen(h.primary.host) == cases[i].phost);
	}
}

/* Every prefix of a good payload is cut short somewhere: none may parse or over-read. */
static void test_every_truncation_of_a_hello_is_refused(void)
{
	const char good[] = GOOD;
	struct qu_hello h;
	for (size_t len = 0; len < sizeof(good) - 1; len++) {
		int rc = parse_exact(good, len, &h);
		/* cutting the last field short still leaves a valid number ("1" -> ""): refused */
		CU_ASSERT_NOT_EQUAL(rc, 0);
	}
	CU_ASSERT_EQUAL(parse_exact(good, sizeof(good) - 1, &h), 0);
}

CU_TestInfo wire_tests[] = {
    {"parses hellos captured from redis-sentinel", test_parses_hellos_captured_from_redis_sentinel},
    {"format then parse gives the same hello", test_format_then_parse_gives_the_same_hello},
    {"longest fields round trip within QU_TEXT_MAX",
     test_longest_fields_round_trip_within_text_max},
    {"format refuses a buffer too small", test_format_refuses_a_buffer_too_small},
    {"hostile payloads get the right error", test_hostile_payloads_get_the_right_error},
    {"oversized name and hosts are refused", test_oversized_name_and_hosts_are_refused},
    {"every truncation of a hello is refused", test_every_truncation_of_a_hello_is_refused},
    CU_TEST_INFO_NULL,
};
