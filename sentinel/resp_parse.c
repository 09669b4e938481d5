// SPDX-License-Identifier: BSD-3-Clause
/*
 * RESP codec, reading side: the bounded request parser. Every multibulk header ("*N", "$N") is
 * checked here against the limits before hiredis's redisReader sees it, and the reader is fed a
 * canonical copy, so it never allocates or waits on an unchecked length; inline commands are
 * split by our own copy of Redis's sdssplitargs. This file does no I/O and never logs; allocation
 * failure aborts, as in hiredis.
 */
#include "resp.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/read.h>

#define COMPACT_MIN_BYTES 4096u
#define READER_KEEP_BYTES (64u * 1024u)

/* ---- request parser: hiredis object functions -------------------------------------------- */

static void req_clear(struct sn_req *req)
{
	req->argc = 0;
	req->argv = NULL;
	req->lens = NULL;
}

void sn_req_free(struct sn_req *req)
{
	if (req->argv != NULL) {
		for (int i = 0; i < req->argc; i++)
			free(req->argv[i]);
	}
	free(req->argv);
	free(req->lens);
	req_clear(req);
}

static void *rp_create_array(const redisReadTask *task, int elements)
{
	/* We only ever feed one flat array of bulk strings (headers are re-emitted by us). */
	if (task->parent != NULL || elements <= 0)
		return NULL;
	struct sn_req *req = calloc(1, sizeof(*req));
	if (req == NULL)
		abort();
	req->argv = calloc((size_t)elements, sizeof(*req->argv));
	req->lens = calloc((size_t)elements, sizeof(*req->lens));
	if (req->argv == NULL || req->lens == NULL)
		abort();
	req->argc = elements;
	return req;
}

static void *rp_create_string(const redisReadTask *task, char *str, size_t len)
{
	if (task->parent == NULL || task->parent->obj == NULL)
		return NULL;
	struct sn_req *req = task->parent->obj;
	if (task->idx < 0 || task->idx >= req->argc || req->argv[task->idx] != NULL)
		return NULL;
	char *s = malloc(len + 1);
	if (s == NULL)
		abort();
	memcpy(s, str, len);
	s[len] = '\0';
	req->argv[task->idx] = s;
	req->lens[task->idx] = len;
	return s; /* owned by the parent array */
}

static void *rp_create_other(const redisReadTask *task)
{
	(void)task;
	return NULL; /* never fed: makes the reader fail loudly if it ever happens */
}

static void *rp_create_integer(const redisReadTask *task, long long v)
{
	(void)v;
	return rp_create_other(task);
}

static void rp_free_object(void *obj)
{
	/* The reader only frees root objects, which are always our arrays. */
	struct sn_req *req = obj;
	sn_req_free(req);
	free(req);
}

/* ---- request parser ---------------------------------------------------------------------- */

struct sn_resp_limits sn_resp_limits_default(void)
{
	struct sn_resp_limits l = {
	    .args_max = SN_RESP_ARGS_MAX,
	    .bulk_max_bytes = SN_RESP_BULK_MAX_BYTES,
	    .inline_max_bytes = SN_RESP_INLINE_MAX_BYTES,
	    .request_max_bytes = SN_RESP_REQUEST_MAX_BYTES,
	};
	return l;
}

void sn_reqparser_init(struct sn_reqparser *p, const struct sn_resp_limits *limits)
{
	struct sn_resp_limits def = sn_resp_limits_default();
	memset(p, 0, sizeof(*p));
	p->limits = limits != NULL ? *limits : def;
	if (p->limits.args_max == 0 || p->limits.args_max > INT_MAX)
		p->limits.args_max = def.args_max;
	if (p->limits.bulk_max_bytes == 0 || p->limits.bulk_max_bytes > (size_t)INT_MAX)
		p->limits.bulk_max_bytes = def.bulk_max_bytes;
	if (p->limits.inline_max_bytes == 0)
		p->limits.inline_max_bytes = def.inline_max_bytes;
	if (p->limits.request_max_bytes == 0)
		p->limits.request_max_bytes = def.request_max_bytes;
	p->fns.createString = rp_create_string;
	p->fns.createArray = rp_create_array;
	p->fns.createInteger = rp_create_integer;
	p->fns.createNil = rp_create_other;
	p->fns.freeObject = rp_free_object;
	p->reader = redisReaderCreateWithFunctions(&p->fns);
	if (p->reader == NULL)
		abort();
	sn_buf_init(&p->in);
	p->state = SN_RP_IDLE;
}

void sn_reqparser_free(struct sn_reqparser *p)
{
	if (p->reader != NULL)
		redisReaderFree(p->reader);
	p->reader = NULL;
	sn_buf_free(&p->in);
	p->pos = 0;
}

void sn_reqparser_feed(struct sn_reqparser *p, const char *data, size_t len)
{
	if (p->state == SN_RP_ERROR)
		return; /* the connection is closing: don't buffer more */
	sn_buf_append(&p->in, data, len);
}

const char *sn_reqparser_error(const struct sn_reqparser *p)
{
	return p->err;
}

size_t sn_reqparser_pending(const struct sn_reqparser *p)
{
	return p->in.len - p->pos + p->req_bytes;
}

static int fail(struct sn_reqparser *p, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

static int fail(struct sn_reqparser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->state = SN_RP_ERROR;
	sn_buf_free(&p->in);
	p->pos = 0;
	return -1;
}

/* Forget consumed bytes once they are worth a memmove. */
static void compact(struct sn_reqparser *p)
{
	if (p->pos == p->in.len) {
		p->in.len = 0;
		p->pos = 0;
		if (p->in.cap > 4 * SN_RESP_INLINE_MAX_BYTES)
			sn_buf_free(&p->in);
	} else if (p->pos >= COMPACT_MIN_BYTES && p->pos >= p->in.len / 2) {
		sn_buf_consume(&p->in, p->pos);
		p->pos = 0;
	}
}

static void reader_feed(struct sn_reqparser *p, const char *data, size_t len)
{
	/* Cannot fail here: the reader only errors on its own state, which we keep clean. */
	if (redisReaderFeed(p->reader, data, len) != REDIS_OK)
		abort();
	p->req_bytes += len;
}

/* Redis looks for line ends with strchr() on its query buffer: a NUL hides what follows it
 * (the request then waits until the line limit fails it). Same here. */
static size_t c_string_len(const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);
	return nul != NULL ? (size_t)(nul - s) : n;
}

/*
 * Find the header line starting at p->pos: like Redis, look for '\r' and require one more byte
 * after it (normally '\n', not checked). Returns 1 with *cr set, 0 if incomplete, -1 if the
 * line would exceed the inline limit.
 */
static int header_line(struct sn_reqparser *p, size_t *cr)
{
	const char *start = p->in.data + p->pos;
	size_t avail = p->in.len - p->pos;
	size_t scan = avail < p->limits.inline_max_bytes ? avail : p->limits.inline_max_bytes;
	const char *r = memchr(start, '\r', c_string_len(start, scan));
	if (r == NULL)
		return avail > p->limits.inline_max_bytes ? -1 : 0;
	if ((size_t)(r - start) + 1 >= avail)
		return 0;
	*cr = (size_t)(r - start);
	return 1;
}

/* "*N\r\n": validate N, re-emit it canonically to the reader. */
static int step_mb_count(struct sn_reqparser *p)
{
	size_t cr;
	int rc = header_line(p, &cr);
	if (rc < 0)
		return fail(p, "Protocol error: too big mbulk count string");
	if (rc == 0)
		return 0;
	long long n;
	const char *digits = p->in.data + p->pos + 1;
	if (sn_resp_parse_ll(digits, cr - 1, &n) != 0 || n > INT_MAX)
		return fail(p, "Protocol error: invalid multibulk length");
	if (n > (long long)SN_RESP_UNAUTH_ARGS_MAX && p->unauthenticated)
		return fail(p, "Protocol error: unauthenticated multibulk length");
	if (n > (long long)p->limits.args_max)
		return fail(p, "Protocol error: invalid multibulk length");
	p->pos += cr + 2;
	if (n <= 0) {
		p->state = SN_RP_IDLE; /* "*0" or "*-1": an empty command, no reply */
		return 1;
	}
	char hdr[32];
	int hl = snprintf(hdr, sizeof(hdr), "*%lld\r\n", n);
	p->req_bytes = 0;
	reader_feed(p, hdr, (size_t)hl);
	p->elems_left = (uint32_t)n;
	p->state = SN_RP_BULK_LEN;
	return 1;
}

/* "$N\r\n": validate N against the per-bulk and per-request limits. */
static int step_bulk_len(struct sn_reqparser *p)
{
	size_t cr;
	int rc = header_line(p, &cr);
	if (rc < 0)
		return fail(p, "Protocol error: too big bulk count string");
	if (rc == 0)
		return 0;
	char type = p->in.data[p->pos];
	if (type != '$')
		return fail(p, "Protocol error: expected '$', got '%c'", type);
	long long n;
	const char *digits = p->in.data + p->pos + 1;
	if (sn_resp_parse_ll(digits, cr - 1, &n) != 0 || n < 0 ||
	    (unsigned long long)n > p->limits.bulk_max_bytes)
		return fail(p, "Protocol error: invalid bulk length");
	if (n > (long long)SN_RESP_UNAUTH_BULK_MAX_BYTES && p->unauthenticated)
		return fail(p, "Protocol error: unauthenticated bulk length");
	char hdr[32];
	int hl = snprintf(hdr, sizeof(hdr), "$%lld\r\n", n);
	if (p->req_bytes + (size_t)hl + (size_t)n + 2 > p->limits.request_max_bytes)
		return fail(p, "Protocol error: too big request");
	p->pos += cr + 2;
	reader_feed(p, hdr, (size_t)hl);
	p->bulk_left = (size_t)n;
	p->state = SN_RP_BULK_BODY;
	return 1;
}

static int step_bulk_body(struct sn_reqparser *p)
{
	size_t avail = p->in.len - p->pos;
	size_t n = avail < p->bulk_left ? avail : p->bulk_left;
	if (n > 0) {
		reader_feed(p, p->in.data + p->pos, n);
		p->pos += n;
		p->bulk_left -= n;
	}
	if (p->bulk_left > 0)
		return 0;
	p->crlf_left = 2;
	p->state = SN_RP_BULK_CRLF;
	return 1;
}

/* Skip the 2 bytes after a payload (Redis does not check them either). Returns 2 when the
 * request is complete. */
static int step_bulk_crlf(struct sn_reqparser *p)
{
	size_t avail = p->in.len - p->pos;
	size_t n = avail < p->crlf_left ? avail : p->crlf_left;
	p->pos += n;
	p->crlf_left -= n;
	if (p->crlf_left > 0)
		return 0;
	reader_feed(p, "\r\n", 2);
	p->elems_left--;
	if (p->elems_left > 0) {
		p->state = SN_RP_BULK_LEN;
		return 1;
	}
	p->state = SN_RP_IDLE;
	return 2;
}

/* Take the finished request out of the reader. */
static int take_request(struct sn_reqparser *p, struct sn_req *req)
{
	void *obj = NULL;
	size_t bytes = p->req_bytes;
	p->req_bytes = 0;
	if (redisReaderGetReply(p->reader, &obj) != REDIS_OK || obj == NULL) {
		/* Unreachable with canonical input; report rather than crash. */
		return fail(p, "Protocol error: %s", p->reader->errstr);
	}
	struct sn_req *r = obj;
	*req = *r;
	free(r);
	if (bytes > READER_KEEP_BYTES) {
		/* The reader keeps its grown buffer until the next feed: an idle client that sent
		 * one big request would hold it. Start afresh (the reader is empty now). */
		redisReaderFree(p->reader);
		p->reader = redisReaderCreateWithFunctions(&p->fns);
		if (p->reader == NULL)
			abort();
	}
	for (int i = 0; i < req->argc; i++) {
		if (req->argv[i] == NULL) {
			sn_req_free(req);
			return fail(p, "Protocol error: incomplete request");
		}
	}
	return 1;
}

static bool is_blank(char c)
{
	/* isspace() in the C locale, as sdssplitargs skips between tokens */
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* The byte at i, or NUL past the end (sdssplitargs works on a C string). */
static char at(const char *s, size_t len, size_t i)
{
	return i < len ? s[i] : '\0';
}

/* The closing quote at i ends the token; like sdssplitargs, it must be followed by a blank or
 * the end. Returns the index after it, or SIZE_MAX. */
static size_t after_quote(const char *s, size_t len, size_t i)
{
	char next = at(s, len, i + 1);
	if (next != '\0' && !is_blank(next))
		return SIZE_MAX;
	return i + 1;
}

/* One token in double quotes, starting after the quote. Returns the index after the closing
 * quote, or SIZE_MAX on unbalanced quotes. */
static size_t token_dquoted(const char *s, size_t len, size_t i, struct sn_buf *tok)
{
	for (;;) {
		char c = at(s, len, i);
		if (c == '\0')
			return SIZE_MAX;
		if (c == '\\' && at(s, len, i + 1) == 'x' && is_hex(at(s, len, i + 2)) &&
		    is_hex(at(s, len, i + 3))) {
			char byte = (char)(hex_val(s[i + 2]) * 16 + hex_val(s[i + 3]));
			sn_buf_append(tok, &byte, 1);
			i += 4;
		} else if (c == '\\' && at(s, len, i + 1) != '\0') {
			char e = s[i + 1];
			char out = e == 'n'   ? '\n'
			           : e == 'r' ? '\r'
			           : e == 't' ? '\t'
			           : e == 'b' ? '\b'
			           : e == 'a' ? '\a'
			                      : e;
			sn_buf_append(tok, &out, 1);
			i += 2;
		} else if (c == '"') {
			return after_quote(s, len, i);
		} else {
			sn_buf_append(tok, &c, 1);
			i++;
		}
	}
}

static size_t token_squoted(const char *s, size_t len, size_t i, struct sn_buf *tok)
{
	for (;;) {
		char c = at(s, len, i);
		if (c == '\0')
			return SIZE_MAX;
		if (c == '\\' && at(s, len, i + 1) == '\'') {
			sn_buf_append(tok, "'", 1);
			i += 2;
		} else if (c == '\'') {
			return after_quote(s, len, i);
		} else {
			sn_buf_append(tok, &c, 1);
			i++;
		}
	}
}

/* One token (Redis's sdssplitargs): plain bytes up to a space/tab/CR/LF/NUL; a quote switches
 * to quoted mode for the rest of the token. Returns the next index or SIZE_MAX. */
static size_t token_next(const char *s, size_t len, size_t i, struct sn_buf *tok)
{
	for (;;) {
		char c = at(s, len, i);
		switch (c) {
		case ' ':
		case '\n':
		case '\r':
		case '\t':
		case '\0':
			return c == '\0' ? i : i + 1;
		case '"':
			return token_dquoted(s, len, i + 1, tok);
		case '\'':
			return token_squoted(s, len, i + 1, tok);
		default:
			sn_buf_append(tok, &c, 1);
			i++;
		}
	}
}

static void req_push(struct sn_req *req, const struct sn_buf *tok)
{
	size_t n = (size_t)req->argc + 1;
	char **argv = realloc(req->argv, n * sizeof(*argv));
	if (argv == NULL)
		abort();
	req->argv = argv;
	size_t *lens = realloc(req->lens, n * sizeof(*lens));
	if (lens == NULL)
		abort();
	req->lens = lens;
	char *s = malloc(tok->len + 1);
	if (s == NULL)
		abort();
	if (tok->len > 0)
		memcpy(s, tok->data, tok->len);
	s[tok->len] = '\0';
	req->argv[req->argc] = s;
	req->lens[req->argc] = tok->len;
	req->argc++;
}

/* Split an inline line. Returns 0, -1 on unbalanced quotes, -2 on too many arguments. */
static int split_inline(const char *line, size_t len, uint32_t args_max, struct sn_req *req)
{
	struct sn_buf tok;
	size_t i = 0;
	int rc = 0;
	const char *nul = memchr(line, '\0', len);
	if (nul != NULL)
		len = (size_t)(nul - line); /* Redis treats the line as a C string */
	sn_buf_init(&tok);
	req_clear(req);
	for (;;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i >= len)
			break;
		if ((uint32_t)req->argc >= args_max) {
			rc = -2;
			break;
		}
		tok.len = 0;
		i = token_next(line, len, i, &tok);
		if (i == SIZE_MAX) {
			rc = -1;
			break;
		}
		req_push(req, &tok);
	}
	sn_buf_free(&tok);
	if (rc != 0)
		sn_req_free(req);
	return rc;
}

/* An inline request: one line ending in '\n' (a '\r' before it is dropped). Returns 1 with a
 * request, 2 for an empty line (skipped), 0 if incomplete, -1 on error. */
static int step_inline(struct sn_reqparser *p, struct sn_req *req)
{
	const char *start = p->in.data + p->pos;
	size_t avail = p->in.len - p->pos;
	size_t scan =
	    avail < p->limits.inline_max_bytes + 1 ? avail : p->limits.inline_max_bytes + 1;
	const char *nl = memchr(start, '\n', c_string_len(start, scan));
	if (nl == NULL) {
		if (avail > p->limits.inline_max_bytes)
			return fail(p, "Protocol error: too big inline request");
		return 0;
	}
	size_t len = (size_t)(nl - start);
	p->pos += len + 1;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	int rc = split_inline(start, len, p->limits.args_max, req);
	if (rc == -1)
		return fail(p, "Protocol error: unbalanced quotes in request");
	if (rc == -2)
		return fail(p, "Protocol error: too big inline request");
	if (req->argc == 0) {
		sn_req_free(req);
		return 2;
	}
	return 1;
}

/* Run one state step. Returns 1 to continue, 0 need more, -1 error, 2 request ready (multibulk:
 * fetch it from the reader), 3 inline request stored in *req. */
static int step(struct sn_reqparser *p, struct sn_req *req)
{
	switch (p->state) {
	case SN_RP_IDLE:
		if (p->pos == p->in.len)
			return 0;
		if (p->in.data[p->pos] == '*') {
			p->state = SN_RP_MB_COUNT;
			return 1;
		}
		int rc = step_inline(p, req);
		return rc == 2 ? 1 : rc == 1 ? 3 : rc;
	case SN_RP_MB_COUNT:
		return step_mb_count(p);
	case SN_RP_BULK_LEN:
		return step_bulk_len(p);
	case SN_RP_BULK_BODY:
		return step_bulk_body(p);
	case SN_RP_BULK_CRLF:
		return step_bulk_crlf(p);
	case SN_RP_ERROR:
		return -1;
	}
	return -1;
}

int sn_reqparser_next(struct sn_reqparser *p, struct sn_req *req)
{
	req_clear(req);
	if (p->state == SN_RP_ERROR)
		return -1;
	/* Every step consumes input or changes state, so this ends within the buffered bytes. */
	for (;;) {
		int rc = step(p, req);
		if (rc == 1)
			continue;
		if (rc == 2)
			rc = take_request(p, req);
		else if (rc == 3)
			rc = 1;
		if (rc >= 0)
			compact(p);
		return rc;
	}
}
