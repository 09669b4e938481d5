/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP codec for the client-facing port: a growable byte buffer, reply writers for RESP2 and
 * RESP3, and a bounded request parser (multibulk through hiredis's redisReader, inline commands
 * through our own splitter). Pure: no sockets, no clock, no logging; it must never trust a
 * length it has not checked against its limits.
 */
#ifndef SN_RESP_H
#define SN_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/read.h>

/* A growable byte buffer. Allocation failure aborts (as hiredis does). */
struct sn_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* An empty buffer that owns no memory yet. */
void sn_buf_init(struct sn_buf *b);

/* Release the memory; the buffer is left empty and reusable. */
void sn_buf_free(struct sn_buf *b);

/* Make room for `extra` more bytes. Aborts on overflow or OOM. */
void sn_buf_reserve(struct sn_buf *b, size_t extra);

/* Append len bytes (data may be NULL when len is 0). */
void sn_buf_append(struct sn_buf *b, const void *data, size_t len);

/* Append a NUL-terminated string. */
void sn_buf_append_str(struct sn_buf *b, const char *s);

/* Append printf-formatted text (no NUL is counted in len, one is kept after it). */
void sn_buf_printf(struct sn_buf *b, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

/* Drop the first n bytes (n <= len). */
void sn_buf_consume(struct sn_buf *b, size_t n);

/* Empty the buffer; when its capacity exceeds keep_max bytes, give the memory back. */
void sn_buf_reset(struct sn_buf *b, size_t keep_max);

/*
 * Reply writers. `proto` is the client's protocol (2 or 3). Each appends exactly one RESP value
 * (or one aggregate header, whose elements the caller appends next).
 */

/* "+text\r\n"; CR and LF inside text become spaces so the reply stays one line. */
void sn_resp_status(struct sn_buf *b, const char *text);

/* "-text\r\n": text carries its own code ("ERR ...", "NOAUTH ..."), no leading '-'.
 * CR and LF become spaces, as Redis's addReplyErrorFormat does. */
void sn_resp_error(struct sn_buf *b, const char *text);
void sn_resp_error_fmt(struct sn_buf *b, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

/* ":v\r\n" */
void sn_resp_int(struct sn_buf *b, long long v);

/* "$len\r\n<bytes>\r\n" (binary safe). */
void sn_resp_bulk(struct sn_buf *b, const void *s, size_t len);
void sn_resp_bulk_str(struct sn_buf *b, const char *s);
void sn_resp_bulk_fmt(struct sn_buf *b, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

/* RESP3 verbatim "=len\r\ntxt:<text>\r\n"; a plain bulk string in RESP2 (CLIENT LIST/INFO). */
void sn_resp_verbatim(struct sn_buf *b, int proto, const char *s, size_t len);

/* Null bulk: "$-1\r\n" in RESP2, "_\r\n" in RESP3. */
void sn_resp_null(struct sn_buf *b, int proto);

/* Null array: "*-1\r\n" in RESP2, "_\r\n" in RESP3. */
void sn_resp_null_array(struct sn_buf *b, int proto);

/* "*n\r\n" */
void sn_resp_array(struct sn_buf *b, size_t n);

/* A map of `pairs` key/value pairs: "%pairs\r\n" in RESP3, "*<2*pairs>\r\n" in RESP2. */
void sn_resp_map(struct sn_buf *b, int proto, size_t pairs);

/* A set: "~n\r\n" in RESP3, "*n\r\n" in RESP2 (COMMAND flags). */
void sn_resp_set(struct sn_buf *b, int proto, size_t n);

/* An out-of-band message: ">n\r\n" in RESP3, "*n\r\n" in RESP2 (pub/sub). */
void sn_resp_push(struct sn_buf *b, int proto, size_t n);

/*
 * Request parser.
 */

#define SN_RESP_ARGS_MAX 1024u                         /* arguments per request */
#define SN_RESP_BULK_MAX_BYTES (1024u * 1024u)         /* one argument */
#define SN_RESP_INLINE_MAX_BYTES (64u * 1024u)         /* inline line, and a *N / $N header line */
#define SN_RESP_REQUEST_MAX_BYTES (2u * 1024u * 1024u) /* one whole request, headers included */
/* Redis's stricter caps before AUTH (networking.c): <= 10 arguments, bulks <= 16 KiB. */
#define SN_RESP_UNAUTH_ARGS_MAX 10u
#define SN_RESP_UNAUTH_BULK_MAX_BYTES 16384u

struct sn_resp_limits {
	uint32_t args_max;
	size_t bulk_max_bytes;
	size_t inline_max_bytes;
	size_t request_max_bytes;
};

/* One parsed command. argv[i] holds lens[i] bytes plus a NUL; the caller owns it all. */
struct sn_req {
	int argc;
	char **argv;
	size_t *lens;
};

enum sn_reqparser_state {
	SN_RP_IDLE = 0,  /* between requests */
	SN_RP_MB_COUNT,  /* inside "*N\r\n" */
	SN_RP_BULK_LEN,  /* inside "$N\r\n" */
	SN_RP_BULK_BODY, /* inside a bulk payload */
	SN_RP_BULK_CRLF, /* skipping the 2 bytes after a payload */
	SN_RP_ERROR,     /* a protocol error was reported; stays here */
};

struct sn_reqparser {
	struct sn_resp_limits limits;
	/* Set by the server before each next(): apply Redis's pre-AUTH caps. */
	bool unauthenticated;
	enum sn_reqparser_state state;
	redisReplyObjectFunctions fns; /* per parser: the reader keeps a pointer to it */
	redisReader *reader;
	struct sn_buf in; /* bytes fed but not yet handed to the reader or split */
	size_t pos;       /* first unconsumed byte of `in` */
	uint32_t elems_left;
	size_t bulk_left;
	size_t crlf_left;
	size_t req_bytes; /* bytes of the current multibulk request so far */
	char err[128];
};

/* The defaults: SN_RESP_ARGS_MAX, SN_RESP_BULK_MAX_BYTES, ... */
struct sn_resp_limits sn_resp_limits_default(void);

/*
 * Prepare a parser. limits NULL means the defaults; zero fields are replaced by the defaults.
 * Aborts on OOM (hiredis allocation).
 */
void sn_reqparser_init(struct sn_reqparser *p, const struct sn_resp_limits *limits);

/* Free everything the parser holds (a pending partial request included). */
void sn_reqparser_free(struct sn_reqparser *p);

/* Buffer len more bytes. Nothing is parsed until sn_reqparser_next(). */
void sn_reqparser_feed(struct sn_reqparser *p, const char *data, size_t len);

/*
 * Parse the next request. Returns 1 and fills *req (free it with sn_req_free), 0 when more
 * bytes are needed (partial request kept; empty requests such as "*0\r\n" or a blank line are
 * skipped silently, as Redis does), or -1 on a protocol error: sn_reqparser_error() then gives
 * the message Redis sends ("Protocol error: invalid multibulk length", ...) and every later call
 * returns -1 again. Memory use stays below about twice limits.request_max_bytes plus
 * limits.inline_max_bytes plus one feed().
 */
int sn_reqparser_next(struct sn_reqparser *p, struct sn_req *req)
    __attribute__((warn_unused_result));

/* The last protocol error ("" if none). */
const char *sn_reqparser_error(const struct sn_reqparser *p);

/* Bytes received but not yet returned as requests (CLIENT LIST qbuf). */
size_t sn_reqparser_pending(const struct sn_reqparser *p);

/* Free a request returned by sn_reqparser_next(); safe on a zeroed struct. */
void sn_req_free(struct sn_req *req);

/*
 * Redis's string2ll(): strict decimal (optional '-', no '+', no leading zeros, no spaces), fits
 * long long. Returns 0 and sets *out, or -1.
 */
int sn_resp_parse_ll(const char *s, size_t len, long long *out) __attribute__((warn_unused_result));

/*
 * Redis's glob (stringmatchlen, case-sensitive unless nocase): '*', '?', '[...]' with '^' and
 * ranges, '\\' escapes, with Redis's quirks (an empty string matches only an empty pattern).
 * Iterative with backtracking: O(plen * slen) time, no recursion.
 */
bool sn_resp_glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

#endif
