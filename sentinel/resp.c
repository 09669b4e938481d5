// SPDX-License-Identifier: BSD-3-Clause
/*
 * RESP codec, writing side: byte buffers, the RESP2/RESP3 reply writers, and Redis's string2ll
 * and glob matcher that commands and pub/sub share. The request parser is in resp_parse.c.
 * This file does no I/O and never logs; allocation failure aborts.
 */
#include "resp.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP 64u

static void oom(void)
{
	abort();
}

void sn_buf_init(struct sn_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void sn_buf_free(struct sn_buf *b)
{
	free(b->data);
	sn_buf_init(b);
}

void sn_buf_reserve(struct sn_buf *b, size_t extra)
{
	/* One byte more than asked: sn_buf_printf keeps a NUL after the data. */
	if (extra >= SIZE_MAX / 2 - b->len)
		oom();
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL)
		oom();
	b->data = p;
	b->cap = cap;
}

void sn_buf_append(struct sn_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	sn_buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void sn_buf_append_str(struct sn_buf *b, const char *s)
{
	sn_buf_append(b, s, strlen(s));
}

static void buf_vprintf(struct sn_buf *b, const char *fmt, va_list ap)
    __attribute__((format(__printf__, 2, 0)));

static void buf_vprintf(struct sn_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	sn_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sn_buf_printf(struct sn_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void sn_buf_consume(struct sn_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void sn_buf_reset(struct sn_buf *b, size_t keep_max)
{
	if (b->cap > keep_max) {
		sn_buf_free(b);
		return;
	}
	b->len = 0;
}

/* ---- reply writers ---------------------------------------------------------------------- */

/* Append prefix + text + CRLF with CR/LF in text turned into spaces. */
static void put_line(struct sn_buf *b, char prefix, const char *text, size_t len)
{
	sn_buf_reserve(b, len + 3);
	b->data[b->len++] = prefix;
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		b->data[b->len++] = (ch == '\r' || ch == '\n') ? ' ' : ch;
	}
	b->data[b->len++] = '\r';
	b->data[b->len++] = '\n';
	b->data[b->len] = '\0';
}

static void put_header(struct sn_buf *b, char prefix, long long n)
{
	sn_buf_printf(b, "%c%lld\r\n", prefix, n);
}

void sn_resp_status(struct sn_buf *b, const char *text)
{
	put_line(b, '+', text, strlen(text));
}

void sn_resp_error(struct sn_buf *b, const char *text)
{
	put_line(b, '-', text, strlen(text));
}

void sn_resp_error_fmt(struct sn_buf *b, const char *fmt, ...)
{
	struct sn_buf tmp;
	sn_buf_init(&tmp);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&tmp, fmt, ap);
	va_end(ap);
	put_line(b, '-', tmp.data != NULL ? tmp.data : "", tmp.len);
	sn_buf_free(&tmp);
}

void sn_resp_int(struct sn_buf *b, long long v)
{
	put_header(b, ':', v);
}

void sn_resp_bulk(struct sn_buf *b, const void *s, size_t len)
{
	sn_buf_printf(b, "$%zu\r\n", len);
	sn_buf_append(b, s, len);
	sn_buf_append(b, "\r\n", 2);
}

void sn_resp_bulk_str(struct sn_buf *b, const char *s)
{
	sn_resp_bulk(b, s, strlen(s));
}

void sn_resp_bulk_fmt(struct sn_buf *b, const char *fmt, ...)
{
	struct sn_buf tmp;
	sn_buf_init(&tmp);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&tmp, fmt, ap);
	va_end(ap);
	sn_resp_bulk(b, tmp.data, tmp.len);
	sn_buf_free(&tmp);
}

void sn_resp_verbatim(struct sn_buf *b, int proto, const char *s, size_t len)
{
	if (proto < 3) {
		sn_resp_bulk(b, s, len);
		return;
	}
	sn_buf_printf(b, "=%zu\r\ntxt:", len + 4);
	sn_buf_append(b, s, len);
	sn_buf_append(b, "\r\n", 2);
}

void sn_resp_null(struct sn_buf *b, int proto)
{
	sn_buf_append_str(b, proto >= 3 ? "_\r\n" : "$-1\r\n");
}

void sn_resp_null_array(struct sn_buf *b, int proto)
{
	sn_buf_append_str(b, proto >= 3 ? "_\r\n" : "*-1\r\n");
}

void sn_resp_array(struct sn_buf *b, size_t n)
{
	put_header(b, '*', (long long)n);
}

void sn_resp_map(struct sn_buf *b, int proto, size_t pairs)
{
	if (proto >= 3)
		put_header(b, '%', (long long)pairs);
	else
		put_header(b, '*', (long long)pairs * 2);
}

void sn_resp_set(struct sn_buf *b, int proto, size_t n)
{
	put_header(b, proto >= 3 ? '~' : '*', (long long)n);
}

void sn_resp_push(struct sn_buf *b, int proto, size_t n)
{
	put_header(b, proto >= 3 ? '>' : '*', (long long)n);
}

/* ---- small pure helpers ------------------------------------------------------------------ */

int sn_resp_parse_ll(const char *s, size_t len, long long *out)
{
	/* Same acceptance as Redis's string2ll (util.c). */
	if (len == 0 || len > 20)
		return -1;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	size_t i = 0;
	bool neg = false;
	if (s[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1)
			return -1;
	}
	if (s[i] < '1' || s[i] > '9')
		return -1;
	unsigned long long v = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return -1;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
		return 0;
	}
	if (v > (unsigned long long)LLONG_MAX)
		return -1;
	*out = (long long)v;
	return 0;
}

static int fold(int c, bool nocase)
{
	return nocase && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Scan "[...]" starting after '[' at pat[*i]; Redis's loop, including its unclosed-bracket and
 * "x-]" quirks. Advances *i past the class and returns whether c matched. */
static bool glob_class(const char *pat, size_t plen, size_t *i, char c, bool nocase)
{
	size_t k = *i;
	bool neg = k < plen && pat[k] == '^';
	bool match = false;
	if (neg)
		k++;
	for (;;) {
		size_t left = plen - k;
		if (left >= 2 && pat[k] == '\\') {
			k++;
			if (fold(pat[k], nocase) == fold(c, nocase))
				match = true;
		} else if (left == 0) {
			k--; /* unclosed: the class ends with the pattern */
			break;
		} else if (pat[k] == ']') {
			break;
		} else if (left >= 3 && pat[k + 1] == '-') {
			int lo = fold(pat[k], nocase), hi = fold(pat[k + 2], nocase);
			int x = fold(c, nocase);
			if (lo > hi) {
				int t = lo;
				lo = hi;
				hi = t;
			}
			k += 2;
			if (x >= lo && x <= hi)
				match = true;
		} else if (fold(pat[k], nocase) == fold(c, nocase)) {
			match = true;
		}
		k++;
	}
	*i = k + 1;
	return neg ? !match : match;
}

/* Match the one-character token at pat[*i] (not '*') against c; advance *i past it. */
static bool glob_token(const char *pat, size_t plen, size_t *i, char c, bool nocase)
{
	char t = pat[*i];
	if (t == '?') {
		*i += 1;
		return true;
	}
	if (t == '[') {
		*i += 1;
		return glob_class(pat, plen, i, c, nocase);
	}
	if (t == '\\' && plen - *i >= 2) {
		*i += 1;
		t = pat[*i];
	}
	*i += 1;
	return fold(t, nocase) == fold(c, nocase);
}

bool sn_resp_glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase)
{
	size_t p = 0, i = 0;
	size_t star_p = SIZE_MAX, star_i = 0;
	if (slen == 0)
		return plen == 0; /* Redis: the loop never runs on an empty string */
	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			while (p < plen && pat[p] == '*')
				p++;
			if (p == plen)
				return true;
			star_p = p;
			star_i = i;
			continue;
		}
		size_t q = p;
		if (p < plen && glob_token(pat, plen, &q, s[i], nocase)) {
			p = q;
			i++;
			continue;
		}
		if (star_p == SIZE_MAX)
			return false;
		/* Let the last '*' swallow one more character and retry. */
		p = star_p;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}
