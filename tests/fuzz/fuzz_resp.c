// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for the RESP request parser (and the glob matcher): any bytes, fed whole, in
 * chunks or one byte at a time, must give the same requests and errors, respect the limits, never
 * crash or leak, and every request must survive a multibulk re-encode. Violations abort.
 * Byte 0 picks the mode: bit 0 unauthenticated caps, bit 1 tiny limits, bits 2-7 chunk size.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_request(const struct sn_req *req, const struct sn_resp_limits *lim, bool unauth)
{
	check(req->argc >= 1);
	check((uint32_t)req->argc <= lim->args_max);
	for (int i = 0; i < req->argc; i++) {
		check(req->argv[i] != NULL);
		check(req->argv[i][req->lens[i]] == '\0');
		check(req->lens[i] <= lim->bulk_max_bytes || req->lens[i] <= lim->inline_max_bytes);
		if (unauth && req->lens[i] > SN_RESP_UNAUTH_BULK_MAX_BYTES)
			check(req->lens[i] <=
			      lim->inline_max_bytes); /* only inline can be longer */
	}
}

/* Encode req as multibulk, parse it back with default limits, compare. */
static void check_roundtrip(const struct sn_req *req)
{
	struct sn_buf enc;
	struct sn_reqparser p;
	struct sn_req back;
	sn_buf_init(&enc);
	sn_resp_array(&enc, (size_t)req->argc);
	for (int i = 0; i < req->argc; i++)
		sn_resp_bulk(&enc, req->argv[i], req->lens[i]);
	sn_reqparser_init(&p, NULL);
	sn_reqparser_feed(&p, enc.data, enc.len);
	int rc = sn_reqparser_next(&p, &back);
	if (enc.len <= SN_RESP_REQUEST_MAX_BYTES) {
		check(rc == 1);
		check(back.argc == req->argc);
		for (int i = 0; i < req->argc; i++) {
			check(back.lens[i] == req->lens[i]);
			check(memcmp(back.argv[i], req->argv[i], req->lens[i]) == 0);
		}
		sn_req_free(&back);
		check(sn_reqparser_next(&p, &back) == 0);
	}
	sn_req_free(&back);
	sn_reqparser_free(&p);
	sn_buf_free(&enc);
}

/* Parse in pieces of `step` bytes (0 = whole) and render what comes out into out. */
static void run(const uint8_t *in, size_t len, size_t step, const struct sn_resp_limits *lim,
                bool unauth, bool roundtrip, struct sn_buf *out)
{
	struct sn_reqparser p;
	size_t off = 0;
	bool failed = false;
	sn_reqparser_init(&p, lim);
	p.unauthenticated = unauth;
	while (!failed && off < len) {
		size_t n = step == 0 || len - off < step ? len - off : step;
		sn_reqparser_feed(&p, (const char *)in + off, n);
		off += n;
		for (;;) {
			struct sn_req req;
			int rc = sn_reqparser_next(&p, &req);
			if (rc < 0) {
				check(strncmp(sn_reqparser_error(&p), "Protocol error: ", 16) == 0);
				sn_buf_printf(out, "E%s", sn_reqparser_error(&p));
				failed = true;
				break;
			}
			if (rc == 0)
				break;
			check_request(&req, &p.limits, unauth);
			if (roundtrip)
				check_roundtrip(&req);
			sn_buf_printf(out, "R%d", req.argc);
			for (int i = 0; i < req.argc; i++) {
				sn_buf_printf(out, ":%zu:", req.lens[i]);
				sn_buf_append(out, req.argv[i], req.lens[i]);
			}
			sn_req_free(&req);
		}
	}
	sn_reqparser_free(&p);
}

static bool is_plain_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			return false;
	}
	return true;
}

static void fuzz_glob(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (nl == NULL)
		return;
	size_t plen = (size_t)(nl - data);
	const char *s = (const char *)nl + 1;
	size_t slen = size - plen - 1;
	/* No "case-sensitive match implies nocase match": Redis folds range ends ("[X-c]"). */
	bool a = sn_resp_glob_match((const char *)data, plen, s, slen, false);
	bool b = sn_resp_glob_match((const char *)data, plen, s, slen, true);
	if (plen == 1 && data[0] == '*')
		check(a == (slen > 0) && b == a);
	if (plen == slen && memcmp(data, s, slen) == 0 && is_plain_text(s, slen))
		check(a && b); /* a pattern without special characters matches itself */
}

static bool same(const struct sn_buf *a, const struct sn_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	bool unauth = data[0] & 1;
	bool tiny = data[0] & 2;
	size_t step = 1 + (data[0] >> 2);
	struct sn_resp_limits small = {
	    .args_max = 4, .bulk_max_bytes = 16, .inline_max_bytes = 24, .request_max_bytes = 48};
	const struct sn_resp_limits *lim = tiny ? &small : NULL;
	struct sn_buf whole, chunked, bytes;
	sn_buf_init(&whole);
	sn_buf_init(&chunked);
	sn_buf_init(&bytes);
	run(data + 1, size - 1, 0, lim, unauth, !tiny, &whole);
	run(data + 1, size - 1, step, lim, unauth, false, &chunked);
	run(data + 1, size - 1, 1, lim, unauth, false, &bytes);
	check(same(&whole, &chunked));
	check(same(&whole, &bytes));
	sn_buf_free(&whole);
	sn_buf_free(&chunked);
	sn_buf_free(&bytes);
	fuzz_glob(data + 1, size - 1);
	return 0;
}
