// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of sentinel/resp.c (reply writers, request parser, glob) and, over loopback TCP with
 * a private libev loop, of the RESP port in server.c/cmd.c. Expected bytes and error texts were
 * captured from redis-sentinel 7.0.15.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "resp.h"
#include "server.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1

/* A failing table row names itself: CUnit copies the message. */
#define EXPECT(name, cond) expect((cond), (name), #cond, __LINE__)

static void expect(bool ok, const char *name, const char *cond, unsigned int line)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s: %s", name, cond);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}

static bool buf_is(const struct sn_buf *b, const char *want, size_t len)
{
	return b->len == len && (len == 0 || memcmp(b->data, want, len) == 0);
}

/* ---- writers ----------------------------------------------------------------------------- */

static void test_writers_resp2_bytes(void)
{
	struct sn_buf b;
	sn_buf_init(&b);
	sn_resp_status(&b, "OK");
	sn_resp_error(&b, "ERR bad\r\nthing");
	sn_resp_int(&b, -42);
	sn_resp_bulk(&b, "a\0b", 3);
	sn_resp_bulk_str(&b, "");
	sn_resp_bulk_fmt(&b, "%d", 16379);
	sn_resp_null(&b, 2);
	sn_resp_null_array(&b, 2);
	sn_resp_array(&b, 3);
	sn_resp_map(&b, 2, 2);
	sn_resp_set(&b, 2, 1);
	sn_resp_push(&b, 2, 3);
	sn_resp_verbatim(&b, 2, "id=1\n", 5);
	static const char want[] = "+OK\r\n-ERR bad  thing\r\n:-42\r\n$3\r\na\0b\r\n$0\r\n\r\n"
	                           "$5\r\n16379\r\n$-1\r\n*-1\r\n*3\r\n*4\r\n*1\r\n*3\r\n"
	                           "$5\r\nid=1\n\r\n";
	CU_ASSERT(buf_is(&b, want, sizeof(want) - 1));
	sn_buf_free(&b);
}

static void test_writers_resp3_bytes(void)
{
	struct sn_buf b;
	sn_buf_init(&b);
	sn_resp_null(&b, 3);
	sn_resp_null_array(&b, 3);
	sn_resp_map(&b, 3, 6);
	sn_resp_set(&b, 3, 2);
	sn_resp_push(&b, 3, 3);
	sn_resp_verbatim(&b, 3, "id=1\n", 5);
	sn_resp_error_fmt(&b, "ERR unknown command '%s'", "x\ny");
	static const char want[] = "_\r\n_\r\n%6\r\n~2\r\n>3\r\n=9\r\ntxt:id=1\n\r\n"
	                           "-ERR unknown command 'x y'\r\n";
	CU_ASSERT(buf_is(&b, want, sizeof(want) - 1));
	sn_buf_free(&b);
}

static void test_buf_consume_reset_and_printf(void)
{
	struct sn_buf b;
	sn_buf_init(&b);
	sn_buf_printf(&b, "%s-%d", "abc", 12);
	sn_buf_append_str(&b, "xyz");
	CU_ASSERT(buf_is(&b, S("abc-12xyz")));
	sn_buf_consume(&b, 4);
	CU_ASSERT(buf_is(&b, S("12xyz")));
	sn_buf_reset(&b, 1024);
	CU_ASSERT(b.len == 0 && b.data != NULL);
	sn_buf_append(&b, "q", 1);
	sn_buf_reset(&b, 0);
	CU_ASSERT(b.len == 0 && b.data == NULL && b.cap == 0);
	sn_buf_free(&b);
}

/* ---- parser ------------------------------------------------------------------------------ */

/* Render everything next() yields for input: "[a,b]" per request, "E:<msg>" on error, "." when
 * it wants more. Feeds `step` bytes at a time (0 = all at once). */
static void render(const char *in, size_t len, size_t step, const struct sn_resp_limits *lim,
                   bool unauth, struct sn_buf *out)
{
	struct sn_reqparser p;
	sn_reqparser_init(&p, lim);
	p.unauthenticated = unauth;
	size_t off = 0;
	bool done = false;
	while (!done) {
		size_t n = step == 0 ? len - off : (len - off < step ? len - off : step);
		sn_reqparser_feed(&p, in + off, n);
		off += n;
		for (;;) {
			struct sn_req req;
			int rc = sn_reqparser_next(&p, &req);
			if (rc < 0) {
				sn_buf_printf(out, "E:%s", sn_reqparser_error(&p));
				done = true;
				break;
			}
			if (rc == 0)
				break;
			sn_buf_append(out, "[", 1);
			for (int i = 0; i < req.argc; i++) {
				if (i > 0)
					sn_buf_append(out, ",", 1);
				sn_buf_append(out, req.argv[i], req.lens[i]);
				CU_ASSERT(req.argv[i][req.lens[i]] == '\0');
			}
			sn_buf_append(out, "]", 1);
			sn_req_free(&req);
		}
		if (off == len && !done) {
			sn_buf_append(out, ".", 1);
			done = true;
		}
	}
	sn_reqparser_free(&p);
}

struct parse_case {
	const char *name;
	const char *in;
	size_t len;
	bool unauth;
	const char *want;
};

#define PC(name, lit, unauth, want)                                                                \
	{                                                                                          \
		name, lit, sizeof(lit) - 1, unauth, want                                           \
	}

static const struct parse_case parse_cases[] = {
    PC("multibulk", "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n", false, "[ECHO,hi]."),
    PC("pipelined", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", false, "[PING][PING]."),
    PC("binary arg", "*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n", false, "[ECHO,a\r\n]."),
    PC("empty bulk", "*2\r\n$4\r\nPING\r\n$0\r\n\r\n", false, "[PING,]."),
    PC("partial", "*2\r\n$4\r\nECHO\r\n$5\r\nhel", false, "."),
    PC("star zero skipped", "*0\r\n*-1\r\n*-5\r\n*1\r\n$1\r\nX\r\n", false, "[X]."),
    PC("trailer bytes unchecked", "*1\r\n$4\r\nPINGxx*1\r\n$1\r\nY\r\n", false, "[PING][Y]."),
    PC("header byte after CR unchecked", "*1\rx$4\rxPINGxx", false, "[PING]."),
    PC("inline", "PING\r\n", false, "[PING]."),
    PC("inline lf only", "PING\nECHO x\n", false, "[PING][ECHO,x]."),
    PC("inline blanks", "  ping\tx  \r\n", false, "[ping,x]."),
    PC("inline cr splits", "ping x\ry\r\n", false, "[ping,x,y]."),
    PC("inline vt is not a separator", "a\vb\r\n", false, "[a\vb]."),
    PC("inline empty lines", "\r\n\n\r\nPING\r\n", false, "[PING]."),
    PC("inline quotes", "SET \"a b\" 'c d' \"\"\r\n", false, "[SET,a b,c d,]."),
    PC("inline escapes", "X \"\\x41\\n\\t\\q\" 'it\\'s'\r\n", false, "[X,A\n\tq,it's]."),
    PC("inline quote mid token", "X ab\"c d\"\r\n", false, "[X,abc d]."),
    PC("inline NUL hides newline", "PING a\0b\r\n", false, "."),
    PC("inline no newline", "PING", false, "."),
    PC("err multibulk len", "*x\r\n", false, "E:Protocol error: invalid multibulk length"),
    PC("err multibulk plus", "*+1\r\n", false, "E:Protocol error: invalid multibulk length"),
    PC("err multibulk zero lead", "*01\r\n", false, "E:Protocol error: invalid multibulk length"),
    PC("err multibulk int max", "*2147483648\r\n", false,
       "E:Protocol error: invalid multibulk length"),
    PC("err multibulk over args max", "*1025\r\n", false,
       "E:Protocol error: invalid multibulk length"),
    PC("err expected dollar", "*1\r\n:1\r\n", false, "E:Protocol error: expected '$', got ':'"),
    PC("err nested array", "*1\r\n*1\r\n$1\r\nx\r\n", false,
       "E:Protocol error: expected '$', got '*'"),
    PC("err bulk len", "*1\r\n$x\r\n", false, "E:Protocol error: invalid bulk length"),
    PC("err bulk negative", "*1\r\n$-1\r\n", false, "E:Protocol error: invalid bulk length"),
    PC("err bulk huge", "*1\r\n$99999999999\r\n", false, "E:Protocol error: invalid bulk length"),
    PC("err bulk over max", "*1\r\n$1048577\r\n", false, "E:Protocol error: invalid bulk length"),
    PC("bulk at max waits", "*1\r\n$1048576\r\n", false, "."),
    PC("err unbalanced dquote", "\"PING\r\n", false,
       "E:Protocol error: unbalanced quotes in request"),
    PC("err quote not closed by blank", "PING \"a\"b\r\n", false,
       "E:Protocol error: unbalanced quotes in request"),
    PC("err unbalanced squote", "PING 'a\r\n", false,
       "E:Protocol error: unbalanced quotes in request"),
    PC("unauth 10 args ok", "*10\r\n", true, "."),
    PC("err unauth args", "*11\r\n", true, "E:Protocol error: unauthenticated multibulk length"),
    PC("unauth 16 KiB bulk ok", "*1\r\n$16384\r\n", true, "."),
    PC("err unauth bulk", "*1\r\n$16385\r\n", true,
       "E:Protocol error: unauthenticated bulk length"),
    PC("requests before an error", "PING\r\n*1\r\n$x\r\n", false,
       "[PING]E:Protocol error: invalid bulk length"),
};

static void test_parser_table(void)
{
	for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++) {
		const struct parse_case *pc = &parse_cases[i];
		struct sn_buf out;
		sn_buf_init(&out);
		render(pc->in, pc->len, 0, NULL, pc->unauth, &out);
		EXPECT(pc->name, buf_is(&out, pc->want, strlen(pc->want)));
		if (!buf_is(&out, pc->want, strlen(pc->want)))
			fprintf(stderr, "\n  %s: got \"%.*s\"\n", pc->name, (int)out.len,
			        out.data != NULL ? out.data : "");
		sn_buf_free(&out);
	}
}

/* Feeding one byte at a time, or in two pieces split anywhere, yields the same as all at once. */
static void test_parser_split_at_every_byte(void)
{
	for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++) {
		const struct parse_case *pc = &parse_cases[i];
		struct sn_buf whole, bytes;
		sn_buf_init(&whole);
		sn_buf_init(&bytes);
		render(pc->in, pc->len, 0, NULL, pc->unauth, &whole);
		render(pc->in, pc->len, 1, NULL, pc->unauth, &bytes);
		EXPECT(pc->name, buf_is(&bytes, whole.data, whole.len));
		for (size_t cut = 1; cut < pc->len; cut++) {
			/* two pieces: feed cut bytes, drain, feed the rest */
			struct sn_buf two;
			sn_buf_init(&two);
			render(pc->in, pc->len, cut, NULL, pc->unauth, &two);
			EXPECT(pc->name, buf_is(&two, whole.data, whole.len));
			sn_buf_free(&two);
		}
		sn_buf_free(&whole);
		sn_buf_free(&bytes);
	}
}

static void expect_error_for(const char *name, const char *in, size_t len,
                             const struct sn_resp_limits *lim, const char *want)
{
	struct sn_buf out;
	sn_buf_init(&out);
	render(in, len, 0, lim, false, &out);
	EXPECT(name, buf_is(&out, want, strlen(want)));
	sn_buf_free(&out);
}

static void test_parser_line_limits(void)
{
	size_t n = SN_RESP_INLINE_MAX_BYTES + 16;
	char *big = malloc(n);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'A', n);
	expect_error_for("inline too big", big, n, NULL,
	                 "E:Protocol error: too big inline request");
	big[0] = '*';
	expect_error_for("count too big", big, n, NULL,
	                 "E:Protocol error: too big mbulk count string");
	memcpy(big, "*1\r\n$", 5);
	memset(big + 5, '1', n - 5);
	expect_error_for("bulk count too big", big, n, NULL,
	                 "E:Protocol error: too big bulk count string");
	/* a full inline line of the maximum size is fine */
	memset(big, 'x', n);
	memcpy(big, "PING ", 5);
	big[SN_RESP_INLINE_MAX_BYTES - 1] = '\n';
	struct sn_buf out;
	sn_buf_init(&out);
	render(big, SN_RESP_INLINE_MAX_BYTES, 0, NULL, false, &out);
	CU_ASSERT(out.len > 7 && memcmp(out.data, "[PING,xx", 8) == 0);
	sn_buf_free(&out);
	free(big);
}

static void test_parser_custom_limits(void)
{
	struct sn_resp_limits lim = {.args_max = 3, .bulk_max_bytes = 8, .request_max_bytes = 40};
	expect_error_for("args over custom max", S("*4\r\n"), &lim,
	                 "E:Protocol error: invalid multibulk length");
	expect_error_for("inline args over max", S("a b c d\r\n"), &lim,
	                 "E:Protocol error: too big inline request");
	expect_error_for("bulk over custom max", S("*1\r\n$9\r\n"), &lim,
	                 "E:Protocol error: invalid bulk length");
	expect_error_for("request over max", S("*3\r\n$8\r\n12345678\r\n$8\r\n12345678\r\n$8\r\n"),
	                 &lim, "E:Protocol error: too big request");
	expect_error_for("request at max", S("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"), &lim,
	                 "[a,b,c].");
}

/* Hostile headers are refused before anything is allocated for them, and a million tiny
 * arguments in one request never reach the reader. */
static void test_parser_hostile_headers(void)
{
	expect_error_for("int max args", S("*2147483647\r\n"), NULL,
	                 "E:Protocol error: invalid multibulk length");
	expect_error_for("million args", S("*1000000\r\n$1\r\na\r\n"), NULL,
	                 "E:Protocol error: invalid multibulk length");
	expect_error_for("ll overflow", S("*99999999999999999999\r\n"), NULL,
	                 "E:Protocol error: invalid multibulk length");
	struct sn_reqparser p;
	struct sn_req req;
	sn_reqparser_init(&p, NULL);
	sn_reqparser_feed(&p, S("*1\r\n$1\r\nx\r\n*1\r\n$x"));
	CU_ASSERT(sn_reqparser_next(&p, &req) == 1);
	sn_req_free(&req);
	CU_ASSERT(sn_reqparser_next(&p, &req) == 0);
	sn_reqparser_feed(&p, S("\r\n"));
	CU_ASSERT(sn_reqparser_next(&p, &req) == -1);
	CU_ASSERT(sn_reqparser_next(&p, &req) == -1); /* sticky */
	CU_ASSERT(req.argc == 0 && req.argv == NULL);
	sn_reqparser_feed(&p, S("*1\r\n$4\r\nPING\r\n")); /* ignored after an error */
	CU_ASSERT(sn_reqparser_next(&p, &req) == -1);
	sn_reqparser_free(&p);
}

static void test_parser_pending_and_free_midway(void)
{
	struct sn_reqparser p;
	struct sn_req req;
	sn_reqparser_init(&p, NULL);
	sn_reqparser_feed(&p, S("*3\r\n$4\r\nECHO\r\n$5\r\nhel"));
	CU_ASSERT(sn_reqparser_next(&p, &req) == 0);
	CU_ASSERT(sn_reqparser_pending(&p) > 0);
	sn_reqparser_free(&p); /* half a request then close: no leak (ASan) */
	sn_req_free(&req);     /* a zeroed request is fine to free */
}

static void test_parse_ll_like_string2ll(void)
{
	static const struct {
		const char *s;
		int rc;
		long long v;
	} cases[] = {
	    {"0", 0, 0},
	    {"-1", 0, -1},
	    {"123", 0, 123},
	    {"9223372036854775807", 0, 9223372036854775807LL},
	    {"-9223372036854775808", 0, (-9223372036854775807LL - 1)},
	    {"9223372036854775808", -1, 0},
	    {"", -1, 0},
	    {"-", -1, 0},
	    {"01", -1, 0},
	    {"-0", -1, 0},
	    {"+1", -1, 0},
	    {" 1", -1, 0},
	    {"1 ", -1, 0},
	    {"1x", -1, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		long long v = 77;
		int rc = sn_resp_parse_ll(cases[i].s, strlen(cases[i].s), &v);
		EXPECT(cases[i].s, rc == cases[i].rc);
		if (rc == 0)
			EXPECT(cases[i].s, v == cases[i].v);
	}
}

/* Results checked against redis-server 7.0.15 (PSUBSCRIBE pattern + PUBLISH channel). */
static void test_glob_matches_like_redis(void)
{
	static const struct {
		const char *pat, *s;
		bool match;
	} cases[] = {
	    {"*", "+sdown", true},
	    {"*", "", false},
	    {"", "", true},
	    {"+*", "+switch-master", true},
	    {"+*", "-sdown", false},
	    {"*down", "+sdown", true},
	    {"*o*o*", "+odown", true},
	    {"?sdown", "+sdown", true},
	    {"?sdown", "sdown", false},
	    {"[+-]sdown", "-sdown", false}, /* "+-]" is a range, the class never closes */
	    {"[^+]sdown", "+sdown", false},
	    {"[a-c]x", "bx", true},
	    {"[c-a]x", "bx", true},
	    {"[\\]]", "]", true},
	    {"\\*", "*", true},
	    {"\\*", "a", false},
	    {"a\\", "a\\", true},
	    {"[abc", "b", true},
	    {"[abc", "bc", false},
	    {"a*", "a", true},
	    {"a**", "a", true},
	    {"*a*b", "xaxxb", true},
	    {"*a*b", "xaxxbx", false},
	    {"a*b*c*d*e*f*g*h*i*j*k", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	    {"[a-]", "]", true},
	    {"[]", "x", false},
	    {"[^]", "x", true},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool got = sn_resp_glob_match(cases[i].pat, strlen(cases[i].pat), cases[i].s,
		                              strlen(cases[i].s), false);
		EXPECT(cases[i].pat, got == cases[i].match);
	}
	CU_ASSERT(sn_resp_glob_match(S("CLIENT|*"), S("client|kill"), true));
	CU_ASSERT(!sn_resp_glob_match(S("CLIENT|*"), S("client|kill"), false));
}

/* ---- the port over loopback -------------------------------------------------------------- */

struct fixture {
	struct ev_loop *loop;
	struct sn_server srv;
	int hello_calls;
	int shutdown_calls;
};

static void hook_sentinel(void *ctx, struct sn_client *c, int argc, char **argv, size_t *lens)
{
	struct fixture *f = ctx;
	(void)argc;
	(void)lens;
	if (strcmp(argv[1], "set") == 0) /* stand-in for a command that emits an event */
		sn_server_publish(&f->srv, "+set", "master m 127.0.0.1 6379 quorum 2", 32);
	sn_resp_status(sn_client_out(c), "OK");
}

static int hook_hello(void *ctx, const char *payload, size_t len)
{
	struct fixture *f = ctx;
	(void)payload;
	(void)len;
	f->hello_calls++;
	return 0;
}

static void hook_shutdown(void *ctx)
{
	struct fixture *f = ctx;
	f->shutdown_calls++;
}

static bool fixture_start(struct fixture *f, const char *pass, uint32_t maxclients)
{
	static const char binds[1][QU_HOST_MAX] = {"127.0.0.1"};
	struct sn_server_conf conf = {.binds = binds,
	                              .bind_count = 1,
	                              .port = 0,
	                              .requirepass = pass,
	                              .maxclients = maxclients};
	struct sn_server_hooks hooks = {
	    .ctx = f, .sentinel = hook_sentinel, .hello = hook_hello, .shutdown = hook_shutdown};
	struct sn_err err = {{0}};
	memset(f, 0, sizeof(*f));
	f->loop = ev_loop_new(EVFLAG_AUTO);
	if (f->loop == NULL)
		return false;
	if (sn_server_start(&f->srv, f->loop, &conf, &hooks, &err) != 0) {
		fprintf(stderr, "sn_server_start: %s\n", err.msg);
		ev_loop_destroy(f->loop);
		return false;
	}
	return true;
}

static void fixture_stop(struct fixture *f)
{
	sn_server_stop(&f->srv);
	ev_loop_destroy(f->loop);
}

static int connect_to(struct fixture *f)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(sn_server_port(&f->srv))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turn the loop until fd has delivered `want` bytes (or EOF), with a 2 s deadline. Returns the
 * bytes read into got (NUL-terminated); *eof tells whether the server closed. */
static size_t pump(struct fixture *f, int fd, size_t want, char *got, size_t cap, bool *eof)
{
	size_t n = 0;
	int64_t deadline = now_ms() + 2000;
	*eof = false;
	while (n < want && !*eof && now_ms() < deadline) {
		ev_run(f->loop, EVRUN_NOWAIT);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 5) <= 0)
			continue;
		ssize_t r = recv(fd, got + n, cap - 1 - n, 0);
		if (r <= 0)
			*eof = true;
		else
			n += (size_t)r;
	}
	got[n] = '\0';
	return n;
}

/* Send req on fd and check the exact reply bytes. */
static bool exchange(struct fixture *f, int fd, const char *req, const char *want)
{
	char got[8192];
	bool eof;
	size_t wl = strlen(want);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return false;
	size_t n = pump(f, fd, wl, got, sizeof(got), &eof);
	if (n != wl || memcmp(got, want, wl) != 0) {
		fprintf(stderr, "\n  sent %s  want %s  got %s\n", req, want, got);
		return false;
	}
	return true;
}

static void test_port_ping_errors_and_quit(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, NULL, 0));
	int fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "PING\r\n", "+PONG\r\n"));
	CU_ASSERT(exchange(&f, fd, "*2\r\n$4\r\nping\r\n$2\r\nhi\r\n", "$2\r\nhi\r\n"));
	CU_ASSERT(exchange(&f, fd, "PING a b\r\n",
	                   "-ERR wrong number of arguments for 'ping' command\r\n"));
	CU_ASSERT(exchange(&f, fd, "foo 'a' b\r\n",
	                   "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"));
	CU_ASSERT(exchange(&f, fd, "client foo\r\n",
	                   "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"));
	CU_ASSERT(exchange(&f, fd, "sentinel\r\n",
	                   "-ERR wrong number of arguments for 'sentinel' command\r\n"));
	CU_ASSERT(exchange(&f, fd, "PUBLISH __sentinel__:hello x\r\n", ":1\r\n"));
	CU_ASSERT(f.hello_calls == 1);
	CU_ASSERT(exchange(&f, fd, "PUBLISH other x\r\n",
	                   "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n"));
	CU_ASSERT(exchange(&f, fd, "ECHO hi\r\n", "$2\r\nhi\r\n"));
	CU_ASSERT(exchange(&f, fd, "QUIT\r\n", "+OK\r\n"));
	char got[64];
	bool eof;
	pump(&f, fd, 1, got, sizeof(got), &eof);
	CU_ASSERT(eof);
	close(fd);
	fixture_stop(&f);
}

static void test_port_hello_proto3_and_names(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, NULL, 0));
	int fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "HELLO 3 SETNAME app\r\n",
	                   "%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
	                   "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n"
	                   "$7\r\nmodules\r\n*0\r\n"));
	CU_ASSERT(exchange(&f, fd, "CLIENT GETNAME\r\n", "$3\r\napp\r\n"));
	CU_ASSERT(exchange(&f, fd, "CLIENT SETNAME \"\"\r\n", "+OK\r\n"));
	CU_ASSERT(exchange(&f, fd, "CLIENT GETNAME\r\n", "_\r\n"));
	CU_ASSERT(exchange(&f, fd, "CLIENT SETNAME \"a b\"\r\n",
	                   "-ERR Client names cannot contain spaces, newlines or special "
	                   "characters.\r\n"));
	CU_ASSERT(exchange(&f, fd, "HELLO 4\r\n", "-NOPROTO unsupported protocol version\r\n"));
	CU_ASSERT(exchange(&f, fd, "CLIENT ID\r\n", ":1\r\n"));
	close(fd);
	fixture_stop(&f);
}

static void test_port_requirepass(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, "s3cret", 0));
	int fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "PING\r\n", "-NOAUTH Authentication required.\r\n"));
	CU_ASSERT(exchange(&f, fd, "AUTH nope\r\n",
	                   "-WRONGPASS invalid username-password pair or user is disabled.\r\n"));
	CU_ASSERT(exchange(&f, fd, "AUTH other s3cret\r\n",
	                   "-WRONGPASS invalid username-password pair or user is disabled.\r\n"));
	CU_ASSERT(exchange(&f, fd, "AUTH s3cre\r\n",
	                   "-WRONGPASS invalid username-password pair or user is disabled.\r\n"));
	CU_ASSERT(exchange(&f, fd, "AUTH s3cret\r\n", "+OK\r\n"));
	CU_ASSERT(exchange(&f, fd, "PING\r\n", "+PONG\r\n"));
	close(fd);
	fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "*11\r\n",
	                   "-ERR Protocol error: unauthenticated multibulk length\r\n"));
	close(fd);
	fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "HELLO 2 AUTH default s3cret\r\nPING\r\n",
	                   "*12\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
	                   "$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:3\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n"
	                   "$7\r\nmodules\r\n*0\r\n+PONG\r\n"));
	close(fd);
	fixture_stop(&f);
}

static void test_port_pubsub_delivery_resp2_and_resp3(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, NULL, 0));
	int a = connect_to(&f), b = connect_to(&f), c = connect_to(&f);
	CU_ASSERT_FATAL(a >= 0 && b >= 0 && c >= 0);
	CU_ASSERT(exchange(&f, a, "SUBSCRIBE +set\r\nPSUBSCRIBE *\r\n",
	                   "*3\r\n$9\r\nsubscribe\r\n$4\r\n+set\r\n:1\r\n"
	                   "*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:2\r\n"));
	CU_ASSERT(exchange(&f, a, "ROLE\r\n",
	                   "-ERR Can't execute 'role': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
	                   "PING / QUIT / RESET are allowed in this context\r\n"));
	CU_ASSERT(exchange(&f, a, "PING\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n"));
	CU_ASSERT(exchange(&f, b, "HELLO 3\r\nSUBSCRIBE +set\r\n",
	                   "%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
	                   "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:2\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n"
	                   "$7\r\nmodules\r\n*0\r\n>3\r\n$9\r\nsubscribe\r\n$4\r\n+set\r\n:1\r\n"));
	CU_ASSERT(exchange(&f, c, "SENTINEL set m quorum 2\r\n", "+OK\r\n"));
	char got[1024];
	bool eof;
	static const char want_a[] =
	    "*3\r\n$7\r\nmessage\r\n$4\r\n+set\r\n$32\r\nmaster m 127.0.0.1 6379 quorum 2\r\n"
	    "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$4\r\n+set\r\n"
	    "$32\r\nmaster m 127.0.0.1 6379 quorum 2\r\n";
	static const char want_b[] =
	    ">3\r\n$7\r\nmessage\r\n$4\r\n+set\r\n$32\r\nmaster m 127.0.0.1 6379 quorum 2\r\n";
	size_t n = pump(&f, a, sizeof(want_a) - 1, got, sizeof(got), &eof);
	CU_ASSERT(n == sizeof(want_a) - 1 && memcmp(got, want_a, n) == 0);
	n = pump(&f, b, sizeof(want_b) - 1, got, sizeof(got), &eof);
	CU_ASSERT(n == sizeof(want_b) - 1 && memcmp(got, want_b, n) == 0);
	CU_ASSERT(exchange(&f, a, "UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nROLE\r\n",
	                   "*3\r\n$11\r\nunsubscribe\r\n$4\r\n+set\r\n:1\r\n"
	                   "*3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:0\r\n"
	                   "*2\r\n$8\r\nsentinel\r\n*0\r\n"));
	close(a);
	close(b);
	close(c);
	fixture_stop(&f);
}

static void test_port_protocol_error_closes_after_reply(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, NULL, 0));
	int fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "PING\r\n*1\r\n$-1\r\nPING\r\n",
	                   "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"));
	char got[64];
	bool eof;
	CU_ASSERT(pump(&f, fd, 1, got, sizeof(got), &eof) == 0);
	CU_ASSERT(eof);
	close(fd);
	fixture_stop(&f);
}

static void test_port_maxclients_and_client_kill(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, NULL, 2));
	int a = connect_to(&f), b = connect_to(&f);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	CU_ASSERT(exchange(&f, a, "PING\r\n", "+PONG\r\n"));
	CU_ASSERT(exchange(&f, b, "PING\r\n", "+PONG\r\n"));
	int c = connect_to(&f);
	CU_ASSERT_FATAL(c >= 0);
	char got[128];
	bool eof;
	pump(&f, c, 36, got, sizeof(got), &eof);
	CU_ASSERT(strcmp(got, "-ERR max number of clients reached\r\n") == 0);
	close(c);
	CU_ASSERT(exchange(&f, a, "CLIENT KILL ID 2\r\n", ":1\r\n"));
	CU_ASSERT(pump(&f, b, 1, got, sizeof(got), &eof) == 0);
	CU_ASSERT(eof);
	close(b);
	CU_ASSERT(exchange(&f, a, "CLIENT KILL ID 1\r\n", ":0\r\n")); /* SKIPME yes */
	CU_ASSERT(exchange(&f, a, "CLIENT KILL ID 1 SKIPME no\r\n", ":1\r\n"));
	CU_ASSERT(pump(&f, a, 1, got, sizeof(got), &eof) == 0);
	CU_ASSERT(eof);
	close(a);
	fixture_stop(&f);
}

static void test_port_shutdown_calls_hook(void)
{
	struct fixture f;
	CU_ASSERT_FATAL(fixture_start(&f, NULL, 0));
	int fd = connect_to(&f);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(exchange(&f, fd, "SHUTDOWN ABORT\r\n", "-ERR No shutdown in progress.\r\n"));
	CU_ASSERT(exchange(&f, fd, "SHUTDOWN NOSAVE SAVE\r\n", "-ERR syntax error\r\n"));
	CU_ASSERT(f.shutdown_calls == 0);
	char got[64];
	bool eof;
	CU_ASSERT(send(fd, "SHUTDOWN\r\n", 10, MSG_NOSIGNAL) == 10);
	CU_ASSERT(pump(&f, fd, 1, got, sizeof(got), &eof) == 0); /* no reply, closed */
	CU_ASSERT(eof);
	CU_ASSERT(f.shutdown_calls == 1);
	close(fd);
	fixture_stop(&f);
}

CU_TestInfo resp_tests[] = {
    {"writers: RESP2 bytes", test_writers_resp2_bytes},
    {"writers: RESP3 bytes", test_writers_resp3_bytes},
    {"buf: consume, reset and printf", test_buf_consume_reset_and_printf},
    {"parser: table of requests and Redis errors", test_parser_table},
    {"parser: same result split at every byte", test_parser_split_at_every_byte},
    {"parser: line limits give Redis's errors", test_parser_line_limits},
    {"parser: custom limits", test_parser_custom_limits},
    {"parser: hostile headers refused early, errors sticky", test_parser_hostile_headers},
    {"parser: half a request then free", test_parser_pending_and_free_midway},
    {"parse_ll: accepts what string2ll accepts", test_parse_ll_like_string2ll},
    {"glob: matches like Redis", test_glob_matches_like_redis},
    {"port: ping, errors, hello hook, quit", test_port_ping_errors_and_quit},
    {"port: HELLO 3 and client names", test_port_hello_proto3_and_names},
    {"port: requirepass gates commands", test_port_requirepass},
    {"port: pub/sub delivery in RESP2 and RESP3", test_port_pubsub_delivery_resp2_and_resp3},
    {"port: protocol error closes after the reply", test_port_protocol_error_closes_after_reply},
    {"port: maxclients and CLIENT KILL", test_port_maxclients_and_client_kill},
    {"port: SHUTDOWN calls the hook, no reply", test_port_shutdown_calls_hook},
    CU_TEST_INFO_NULL,
};
