// SPDX-License-Identifier: BSD-3-Clause
/*
 * Outgoing links to monitored nodes: two hiredis 0.14.1 async contexts per node (command, pub/sub)
 * on the one libev loop. It connects, handshakes, enforces reply deadlines, reconnects with backoff
 * and turns replies into hook calls. It never decides anything about monitoring, never keeps a
 * reply past its callback and never frees a context while hiredis is running that context's code.
 *
 * Context lifetime (STYLE.md §4, hiredis rules). A context is "attached" while ac->data points to
 * its connection and conn->ac == ac; every callback checks that, plus the generation encoded in
 * its privdata, and ignores the rest. We detach *before* anything that may run callbacks, so a
 * context being torn down never reaches a hook. Our own closes (deadline, drop, close) use
 * redisAsyncFree, not redisAsyncDisconnect: the latter waits for every pending reply, which a hung
 * server never sends. Inside a reply callback hiredis 0.14.1 defers that free until the callback
 * has returned (REDIS_IN_CALLBACK -> REDIS_FREEING), so a hook may close its own node; we never
 * close from the connect callback, and the disconnect callback only sees detached contexts.
 */
#include "link.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "quorum.h"

#define LINK_ASSERT(cond) ((cond) ? (void)0 : qu_panic(__FILE__, __LINE__, #cond))
#define LINK_CONTAINER_OF(ptr, type, member)                                                       \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* sentinel-protocol.md §1.1: at most one attempt per connection per second; then back off. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 2000
#define RETRY_JITTER_MS 100
#define LINK_NAME_MAX 64

/* What a reply answers; encoded with the generation in the callback privdata. */
enum link_cmd {
	CMD_AUTH = 0,
	CMD_SETNAME,
	CMD_SUBSCRIBE,
	CMD_PING,
	CMD_INFO,
	CMD_PUBLISH,
	CMD_OTHER,  /* a caller's command; its reply goes to on_reply with the tag */
};
#define CMD_BITS 4u
#define GEN_BITS 32u
#define TAG_MAX ((1u << 28) - 1u) /* tags ride in the privdata pointer above gen and cmd */

/* Wire strings (sentinel-protocol.md §1.2, §2.2, §3.1). */
static const struct {
	const char *auth, *client, *setname, *subscribe, *ping, *info, *publish;
	const char *hello_channel;
	const char *name_prefix;  /* CLIENT SETNAME sentinel-<8>-<kind> */
	const char *kind_name[2]; /* by enum qu_link_kind */
	const char *msg_subscribe, *msg_message;
	const char *ping_valid[3]; /* reply prefixes that count as a valid PING reply */
} wire = {
    .auth = "AUTH",
    .client = "CLIENT",
    .setname = "SETNAME",
    .subscribe = "SUBSCRIBE",
    .ping = "PING",
    .info = "INFO",
    .publish = "PUBLISH",
    .hello_channel = "__sentinel__:hello",
    .name_prefix = "sentinel-",
    .kind_name = {"cmd", "pubsub"},
    .msg_subscribe = "subscribe",
    .msg_message = "message",
    .ping_valid = {"PONG", "LOADING", "MASTERDOWN"},
};

static void link_on_reply(redisAsyncContext *ac, void *reply, void *privdata);
static void link_on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata);

/* ---- small helpers ---------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* cannot fail for CLOCK_MONOTONIC on Linux */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: jitter only, never a decision. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t seed_from(const char *myid)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (size_t i = 0; i < QU_RUNID_LEN && myid[i] != '\0'; i++)
		h = (h ^ (unsigned char)myid[i]) * 0x100000001b3ULL;
	return h;
}

_Static_assert(sizeof(uintptr_t) >= 8, "privdata packs tag, generation and command");

static void *priv_make_tagged(uint32_t gen, enum link_cmd cmd, uint32_t tag)
{
	return (void *)(((uintptr_t)tag << (GEN_BITS + CMD_BITS)) | ((uintptr_t)gen << CMD_BITS) |
			(uintptr_t)cmd);
}

static uint32_t priv_tag(const void *privdata)
{
	return (uint32_t)((uintptr_t)privdata >> (GEN_BITS + CMD_BITS));
}

static enum link_cmd priv_cmd(const void *privdata)
{
	return (enum link_cmd)((uintptr_t)privdata & ((1u << CMD_BITS) - 1));
}

static bool priv_is_current(const struct sn_link_conn *c, const void *privdata)
{
	return (uint32_t)((uintptr_t)privdata >> CMD_BITS) == c->gen;
}

static struct sn_link_node *node_of(const struct sn_link_conn *c)
{
	return &c->owner->nodes[c->node];
}

static void fmt_addr(const struct qu_addr *a, char *buf, size_t len)
{
	if (strchr(a->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%u", a->host, (unsigned)a->port);
	else
		snprintf(buf, len, "%s:%u", a->host, (unsigned)a->port);
}

static void conn_log(const struct sn_link_conn *c, enum sn_log_level level, const char *event,
                     const char *reason)
{
	char where[QU_HOST_MAX + 16];
	fmt_addr(&node_of(c)->addr, where, sizeof(where));
	sn_log(level, "event=%s node=%s index=%u link=%s failures=%u reason=\"%s\"", event, where,
	       c->node, wire.kind_name[c->which], c->failures, reason != NULL ? reason : "");
}

/* ---- hooks: always the last thing a callback does ---------------------------------------- */

static void hook_state(struct sn_link_conn *c, bool up)
{
	struct sn_links *l = c->owner;
	if (l->hooks.on_state == NULL)
		return;
	l->hook_depth++;
	l->hooks.on_state(l->hooks.ctx, c->node, c->which, up);
	l->hook_depth--;
}

static void hook_ping(struct sn_link_conn *c, bool valid)
{
	struct sn_links *l = c->owner;
	if (l->hooks.on_ping == NULL)
		return;
	l->hook_depth++;
	l->hooks.on_ping(l->hooks.ctx, c->node, valid);
	l->hook_depth--;
}

static void hook_info(struct sn_link_conn *c, const char *text, size_t len)
{
	struct sn_links *l = c->owner;
	if (l->hooks.on_info == NULL)
		return;
	l->hook_depth++;
	l->hooks.on_info(l->hooks.ctx, c->node, text, len);
	l->hook_depth--;
}

static void hook_publish(struct sn_link_conn *c, uint32_t tag, bool ok)
{
	struct sn_links *l = c->owner;
	if (l->hooks.on_publish == NULL)
		return;
	l->hook_depth++;
	l->hooks.on_publish(l->hooks.ctx, c->node, tag, ok);
	l->hook_depth--;
}

static void hook_reply(struct sn_link_conn *c, uint32_t tag, const redisReply *r)
{
	struct sn_links *l = c->owner;
	if (l->hooks.on_reply == NULL)
		return;
	l->hook_depth++;
	l->hooks.on_reply(l->hooks.ctx, c->node, tag, r);
	l->hook_depth--;
}

static void hook_message(struct sn_link_conn *c, const char *channel, const char *payload,
                         size_t len)
{
	struct sn_links *l = c->owner;
	if (l->hooks.on_message == NULL)
		return;
	l->hook_depth++;
	l->hooks.on_message(l->hooks.ctx, c->node, channel, payload, len);
	l->hook_depth--;
}

/* ---- deadlines: one ev_timer per connection, due at oldest send + reply_timeout ----------- */

static void deadline_arm(struct sn_link_conn *c, int64_t now_ms)
{
	struct ev_loop *loop = c->owner->loop;
	if (c->sent_count == 0) {
		ev_timer_stop(loop, &c->deadline);
		return;
	}
	int64_t due_ms = c->sent_at_ms[c->sent_head] + node_of(c)->reply_timeout_ms;
	int64_t left_ms = due_ms > now_ms ? due_ms - now_ms : 1;
	c->deadline.repeat = (ev_tstamp)left_ms / 1000.0;
	ev_timer_again(loop, &c->deadline);
}

static void sent_push(struct sn_link_conn *c, int64_t now_ms)
{
	LINK_ASSERT(c->sent_count < SN_LINK_RING);
	c->sent_at_ms[(c->sent_head + c->sent_count) % SN_LINK_RING] = now_ms;
	c->sent_count++;
	if (c->sent_count == 1)
		deadline_arm(c, now_ms);
}

static void sent_pop(struct sn_link_conn *c, int64_t now_ms)
{
	if (c->sent_count == 0)
		return; /* hiredis only calls us for commands we sent; stay defensive anyway */
	c->sent_head = (c->sent_head + 1) % SN_LINK_RING;
	c->sent_count--;
	deadline_arm(c, now_ms);
}

/* ---- connection lifecycle ----------------------------------------------------------------- */

static void retry_arm(struct sn_link_conn *c, int64_t delay_ms)
{
	struct ev_loop *loop = c->owner->loop;
	ev_timer_stop(loop, &c->retry);
	ev_timer_set(&c->retry, (ev_tstamp)delay_ms / 1000.0, 0.);
	ev_timer_start(loop, &c->retry);
}

/* Cut the context loose: from now on its callbacks are ignored. The caller frees it or hiredis
 * is already doing so. */
static redisAsyncContext *conn_detach(struct sn_link_conn *c)
{
	redisAsyncContext *ac = c->ac;
	if (ac != NULL)
		ac->data = NULL;
	c->ac = NULL;
	c->gen++;
	c->sent_head = 0;
	c->sent_count = 0;
	c->local_ip[0] = '\0';
	ev_timer_stop(c->owner->loop, &c->deadline);
	return ac;
}

/* Free a detached context. Inside one of its reply callbacks hiredis defers this until the
 * callback returns; its pending callbacks then run with NULL and find it detached. */
static void context_free(redisAsyncContext *ac)
{
	if (ac != NULL)
		redisAsyncFree(ac);
}

/* Next attempt: 1 s after a loss, doubling per failed attempt up to 2 s, plus jitter, and never
 * sooner than a second after the previous attempt. */
static void conn_schedule(struct sn_link_conn *c, int64_t now_ms)
{
	/* A link that was up and is lost (a node killing its clients on promotion, a restart) is
	 * re-dialled at once, as Sentinel does on its next tick: waiting a whole period would make
	 * a healthy node look down to a watcher with a short down-after. Failed attempts back off. */
	int64_t backoff_ms = 0;
	if (c->failures > 0) {
		uint32_t shift = c->failures - 1 < 8 ? c->failures - 1 : 8;
		backoff_ms = (int64_t)RETRY_MIN_MS << shift;
		if (backoff_ms > RETRY_MAX_MS)
			backoff_ms = RETRY_MAX_MS;
	}
	backoff_ms += (int64_t)(prng_next(&c->owner->prng) % RETRY_JITTER_MS);
	int64_t at_ms = now_ms + backoff_ms;
	if (at_ms < c->attempt_at_ms + RETRY_MIN_MS)
		at_ms = c->attempt_at_ms + RETRY_MIN_MS;
	c->state = SN_CONN_WAIT;
	c->retry_at_ms = at_ms;
	retry_arm(c, at_ms - now_ms);
}

/* hiredis reports the context dead (it frees it itself). Reports down if it was up. */
static void conn_lost(struct sn_link_conn *c, const char *why)
{
	bool was_up = c->state == SN_CONN_UP;
	int64_t now_ms = mono_ms();
	conn_detach(c);
	if (!was_up)
		c->failures++;
	conn_log(c, was_up || c->failures == 1 ? SN_LOG_NOTICE : SN_LOG_DEBUG,
	         was_up ? "link-down" : "link-connect-failed", why);
	conn_schedule(c, now_ms);
	if (was_up)
		hook_state(c, false);
}

/* Close for good (node closed or freed): no hooks, no reconnect. */
static void conn_shut(struct sn_link_conn *c)
{
	context_free(conn_detach(c));
	ev_timer_stop(c->owner->loop, &c->retry);
	c->state = SN_CONN_IDLE;
	c->down_owed = false;
	c->failures = 0;
}

static void conn_up(struct sn_link_conn *c)
{
	c->state = SN_CONN_UP;
	c->failures = 0;
	conn_log(c, SN_LOG_VERBOSE, "link-up", NULL);
	hook_state(c, true);
}

#define SEND_ARGS_MAX 8

static int conn_send_tagged(struct sn_link_conn *c, enum link_cmd cmd, uint32_t tag, int argc,
			    const char **argv, int64_t now_ms)
{
	size_t lens[SEND_ARGS_MAX];
	LINK_ASSERT(argc > 0);
	LINK_ASSERT(argc <= SEND_ARGS_MAX);
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	redisCallbackFn *fn = cmd == CMD_SUBSCRIBE ? link_on_sub_reply : link_on_reply;
	void *priv = priv_make_tagged(c->gen, cmd, tag);
	if (redisAsyncCommandArgv(c->ac, fn, priv, argc, argv, lens) != REDIS_OK)
		return -EIO;
	sent_push(c, now_ms);
	return 0;
}

static int conn_send(struct sn_link_conn *c, enum link_cmd cmd, int argc, const char **argv,
                     int64_t now_ms)
{
	return conn_send_tagged(c, cmd, 0, argc, argv, now_ms);
}

/* sentinel-protocol.md §1.2: [AUTH] -> CLIENT SETNAME -> (pub/sub) SUBSCRIBE, queued at once. */
static int conn_handshake(struct sn_link_conn *c, int64_t now_ms)
{
	const struct sn_link_node *n = node_of(c);
	const char *argv[3];
	if (n->auth_pass[0] != '\0') {
		int argc = 0;
		argv[argc++] = wire.auth;
		if (n->auth_user[0] != '\0')
			argv[argc++] = n->auth_user;
		argv[argc++] = n->auth_pass;
		if (conn_send(c, CMD_AUTH, argc, argv, now_ms) != 0)
			return -EIO;
	}
	char name[LINK_NAME_MAX];
	snprintf(name, sizeof(name), "%s%s-%s", wire.name_prefix, c->owner->name_id,
	         wire.kind_name[c->which]);
	argv[0] = wire.client;
	argv[1] = wire.setname;
	argv[2] = name;
	if (conn_send(c, CMD_SETNAME, 3, argv, now_ms) != 0)
		return -EIO;
	if (c->which != QU_LINK_PUBSUB)
		return 0;
	argv[0] = wire.subscribe;
	argv[1] = wire.hello_channel;
	return conn_send(c, CMD_SUBSCRIBE, 2, argv, now_ms);
}

static void conn_connect_failed(struct sn_link_conn *c, int64_t now_ms, const char *why)
{
	c->failures++;
	conn_log(c, c->failures == 1 ? SN_LOG_NOTICE : SN_LOG_DEBUG, "link-connect-failed", why);
	conn_schedule(c, now_ms);
}

static void link_on_connect(const redisAsyncContext *ac, int status);
static void link_on_disconnect(const redisAsyncContext *ac, int status);

/* Open a context and queue the handshake; on any failure schedule the next attempt. */
static void conn_connect(struct sn_link_conn *c, int64_t now_ms)
{
	const struct sn_link_node *n = node_of(c);
	c->attempt_at_ms = now_ms;
	redisAsyncContext *ac = redisAsyncConnect(n->addr.host, n->addr.port);
	if (ac == NULL) {
		conn_connect_failed(c, now_ms, "out of memory");
		return;
	}
	if (ac->err != 0) {
		char why[sizeof(ac->c.errstr)];
		snprintf(why, sizeof(why), "%s", ac->c.errstr);
		redisAsyncFree(ac);
		conn_connect_failed(c, now_ms, why);
		return;
	}
	/* Attach first: setting the connect callback arms the write watcher. */
	if (redisLibevAttach(c->owner->loop, ac) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, link_on_connect) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, link_on_disconnect) != REDIS_OK ||
	    redisEnableKeepAlive(&ac->c) != REDIS_OK) {
		redisAsyncFree(ac);
		conn_connect_failed(c, now_ms, "cannot set up the hiredis context");
		return;
	}
	ac->data = c;
	c->ac = ac;
	c->gen++;
	c->state = SN_CONN_HANDSHAKE;
	if (conn_handshake(c, now_ms) != 0) {
		context_free(conn_detach(c));
		conn_connect_failed(c, now_ms, "cannot queue the handshake");
	}
}

static void conn_note_local_ip(struct sn_link_conn *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const void *src = NULL;
	c->local_ip[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		src = &((const struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
	if (src == NULL || inet_ntop(ss.ss_family, src, c->local_ip, sizeof(c->local_ip)) == NULL)
		c->local_ip[0] = '\0';
}

/* ---- hiredis callbacks -------------------------------------------------------------------- */

static struct sn_link_conn *conn_of(const redisAsyncContext *ac)
{
	struct sn_link_conn *c = ac->data;
	if (c == NULL || c->ac != ac)
		return NULL;
	return c;
}

/* No hooks from here: hiredis does not guard the connect callback against a free. */
static void link_on_connect(const redisAsyncContext *ac, int status)
{
	struct sn_link_conn *c = conn_of(ac);
	if (c == NULL)
		return;
	if (status != REDIS_OK) {
		conn_lost(c, ac->c.errstr); /* never up: reports nothing */
		return;
	}
	conn_note_local_ip(c, ac->c.fd);
}

static void link_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct sn_link_conn *c = conn_of(ac);
	if (c == NULL)
		return;
	conn_lost(c, status == REDIS_OK ? "closed" : ac->c.errstr);
}

static bool ping_is_valid(const redisReply *r)
{
	if (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR)
		return false;
	for (size_t i = 0; i < sizeof(wire.ping_valid) / sizeof(wire.ping_valid[0]); i++) {
		size_t n = strlen(wire.ping_valid[i]);
		if (r->len >= n && strncmp(r->str, wire.ping_valid[i], n) == 0)
			return true;
	}
	return false;
}

static void link_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct sn_link_conn *c = conn_of(ac);
	if (c == NULL || !priv_is_current(c, privdata))
		return;
	const redisReply *r = reply;
	if (r == NULL) { /* the link died; hiredis is freeing the context */
		conn_lost(c, ac->c.errstr[0] != '\0' ? ac->c.errstr : "connection lost");
		return;
	}
	sent_pop(c, mono_ms());
	switch (priv_cmd(privdata)) {
	case CMD_SETNAME:
		if (c->which == QU_LINK_CMD)
			conn_up(c); /* the SETNAME reply itself is ignored, like the AUTH reply */
		return;
	case CMD_PING:
		hook_ping(c, ping_is_valid(r));
		return;
	case CMD_INFO:
		if (r->type == REDIS_REPLY_STRING)
			hook_info(c, r->str, r->len);
		return;
	case CMD_PUBLISH:
		hook_publish(c, priv_tag(privdata), r->type != REDIS_REPLY_ERROR);
		return;
	case CMD_OTHER:
		hook_reply(c, priv_tag(privdata), r);
		return;
	case CMD_AUTH:
	case CMD_SUBSCRIBE:
	default:
		return;
	}
}

static bool is_string(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* The subscription callback: the SUBSCRIBE confirmation, then every message on the channel. */
static void link_on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct sn_link_conn *c = conn_of(ac);
	if (c == NULL || !priv_is_current(c, privdata))
		return;
	const redisReply *r = reply;
	if (r == NULL) {
		conn_lost(c, ac->c.errstr[0] != '\0' ? ac->c.errstr : "connection lost");
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || !is_string(r->element[0]))
		return;
	const redisReply *kind = r->element[0];
	if (strcmp(kind->str, wire.msg_subscribe) == 0) {
		if (c->state != SN_CONN_HANDSHAKE)
			return;
		sent_pop(c, mono_ms());
		conn_up(c);
		return;
	}
	if (strcmp(kind->str, wire.msg_message) != 0 || r->elements != 3 || c->state != SN_CONN_UP)
		return;
	if (!is_string(r->element[1]) || !is_string(r->element[2]))
		return;
	hook_message(c, r->element[1]->str, r->element[2]->str, r->element[2]->len);
}

/* ---- timers ------------------------------------------------------------------------------- */

static void link_on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sn_link_conn *c = LINK_CONTAINER_OF(w, struct sn_link_conn, deadline);
	(void)revents;
	int64_t now_ms = mono_ms();
	if (c->ac == NULL || c->sent_count == 0) {
		ev_timer_stop(loop, w);
		return;
	}
	if (c->sent_at_ms[c->sent_head] + node_of(c)->reply_timeout_ms > now_ms) {
		deadline_arm(c, now_ms); /* libev's clock ran a little ahead of ours */
		return;
	}
	bool was_up = c->state == SN_CONN_UP;
	context_free(conn_detach(c));
	if (!was_up)
		c->failures++;
	conn_log(c, was_up || c->failures == 1 ? SN_LOG_NOTICE : SN_LOG_DEBUG, "link-timeout",
	         was_up ? "no reply within the reply timeout" : "no handshake within the timeout");
	conn_schedule(c, now_ms);
	if (was_up)
		hook_state(c, false);
}

static void link_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sn_link_conn *c = LINK_CONTAINER_OF(w, struct sn_link_conn, retry);
	(void)loop;
	(void)revents;
	if (c->state != SN_CONN_WAIT)
		return;
	int64_t now_ms = mono_ms();
	if (now_ms < c->retry_at_ms)
		retry_arm(c, c->retry_at_ms - now_ms);
	else
		conn_connect(c, now_ms);
	if (!c->down_owed)
		return;
	c->down_owed = false;
	hook_state(c, false);
}

/* ---- public API --------------------------------------------------------------------------- */

static struct sn_link_node *node_at(const struct sn_links *l, uint32_t node)
{
	LINK_ASSERT(l->nodes != NULL);
	LINK_ASSERT(node < l->nodes_max);
	return &l->nodes[node];
}

static bool name_id_ok(const char *myid)
{
	for (size_t i = 0; i < SN_LINK_NAME_ID_LEN; i++)
		if (!isgraph((unsigned char)myid[i])) /* stops at the NUL of a short id, too */
			return false;
	return true;
}

int sn_links_init(struct sn_links *l, struct ev_loop *loop, uint32_t nodes_max, const char *myid,
                  const struct sn_link_hooks *hooks)
{
	if (l == NULL)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	if (loop == NULL || myid == NULL || hooks == NULL || nodes_max == 0 ||
	    nodes_max > SN_LINK_NODES_MAX || !name_id_ok(myid))
		return -EINVAL;
	l->nodes = calloc(nodes_max, sizeof(*l->nodes));
	if (l->nodes == NULL)
		return -ENOMEM;
	l->loop = loop;
	l->hooks = *hooks;
	l->nodes_max = nodes_max;
	memcpy(l->name_id, myid, SN_LINK_NAME_ID_LEN);
	l->name_id[SN_LINK_NAME_ID_LEN] = '\0';
	l->prng = seed_from(myid);
	for (uint32_t i = 0; i < nodes_max; i++) {
		for (int k = 0; k < 2; k++) {
			struct sn_link_conn *c = &l->nodes[i].conn[k];
			c->owner = l;
			c->node = i;
			c->which = (enum qu_link_kind)k;
			ev_timer_init(&c->deadline, link_on_deadline, 0., 0.);
			ev_timer_init(&c->retry, link_on_retry, 0., 0.);
		}
	}
	return 0;
}

void sn_links_close(struct sn_links *l, uint32_t node)
{
	struct sn_link_node *n = node_at(l, node);
	if (!n->open)
		return;
	conn_shut(&n->conn[QU_LINK_CMD]);
	conn_shut(&n->conn[QU_LINK_PUBSUB]);
	n->open = false;
	memset(n->auth_pass, 0, sizeof(n->auth_pass));
	memset(n->auth_user, 0, sizeof(n->auth_user));
}

void sn_links_free(struct sn_links *l)
{
	if (l == NULL || l->nodes == NULL)
		return;
	LINK_ASSERT(l->hook_depth == 0);
	for (uint32_t i = 0; i < l->nodes_max; i++)
		sn_links_close(l, i);
	free(l->nodes);
	l->nodes = NULL;
	l->nodes_max = 0;
}

static bool addr_ok(const struct qu_addr *a)
{
	unsigned char buf[sizeof(struct in6_addr)];
	if (a == NULL || a->port == 0 || memchr(a->host, '\0', sizeof(a->host)) == NULL)
		return false;
	return inet_pton(AF_INET, a->host, buf) == 1 || inet_pton(AF_INET6, a->host, buf) == 1;
}

static bool cred_ok(const char *s)
{
	return s == NULL || strlen(s) < QU_AUTH_MAX;
}

static int links_open(struct sn_links *l, uint32_t node, const struct qu_addr *addr,
		      const char *auth_user, const char *auth_pass, int64_t reply_timeout_ms,
		      bool cmd_only);

int sn_links_open(struct sn_links *l, uint32_t node, const struct qu_addr *addr,
                  const char *auth_user, const char *auth_pass, int64_t reply_timeout_ms)
{
	return links_open(l, node, addr, auth_user, auth_pass, reply_timeout_ms, false);
}

int sn_links_open_cmd(struct sn_links *l, uint32_t node, const struct qu_addr *addr,
		      const char *auth_user, const char *auth_pass, int64_t reply_timeout_ms)
{
	return links_open(l, node, addr, auth_user, auth_pass, reply_timeout_ms, true);
}

static int links_open(struct sn_links *l, uint32_t node, const struct qu_addr *addr,
		      const char *auth_user, const char *auth_pass, int64_t reply_timeout_ms,
		      bool cmd_only)
{
	struct sn_link_node *n = node_at(l, node);
	if (!addr_ok(addr) || !cred_ok(auth_user) || !cred_ok(auth_pass) || reply_timeout_ms <= 0 ||
	    reply_timeout_ms > SN_LINK_TIMEOUT_MAX_MS)
		return -EINVAL;
	sn_links_close(l, node);
	n->addr = *addr;
	snprintf(n->auth_user, sizeof(n->auth_user), "%s", auth_user != NULL ? auth_user : "");
	snprintf(n->auth_pass, sizeof(n->auth_pass), "%s", auth_pass != NULL ? auth_pass : "");
	n->reply_timeout_ms = reply_timeout_ms;
	n->open = true;
	int64_t now_ms = mono_ms();
	for (int k = 0; k < (cmd_only ? 1 : 2); k++) {
		struct sn_link_conn *c = &n->conn[k];
		c->state = SN_CONN_WAIT;
		c->attempt_at_ms = now_ms - RETRY_MIN_MS;
		c->retry_at_ms = now_ms;
		retry_arm(c, 0); /* first attempt from the loop, never inside the caller */
	}
	return 0;
}

void sn_links_drop(struct sn_links *l, uint32_t node, enum qu_link_kind which)
{
	struct sn_link_node *n = node_at(l, node);
	LINK_ASSERT(which == QU_LINK_CMD || which == QU_LINK_PUBSUB);
	struct sn_link_conn *c = &n->conn[which];
	if (!n->open || c->ac == NULL)
		return;
	bool was_up = c->state == SN_CONN_UP;
	int64_t now_ms = mono_ms();
	context_free(conn_detach(c));
	if (!was_up)
		c->failures++;
	conn_log(c, SN_LOG_VERBOSE, "link-drop", "requested");
	conn_schedule(c, now_ms);
	if (!was_up)
		return;
	c->down_owed = true; /* reported from the loop: hooks never run inside our caller */
	retry_arm(c, 0);
}

/* Queue a command on node's command link once it is up and not saturated. */
static int cmd_send(struct sn_links *l, uint32_t node, enum link_cmd cmd, uint32_t tag, int argc,
                    const char **argv)
{
	struct sn_link_node *n = node_at(l, node);
	struct sn_link_conn *c = &n->conn[QU_LINK_CMD];
	if (!n->open || c->state != SN_CONN_UP)
		return -ENOTCONN;
	if (c->sent_count >= SN_LINK_PENDING_MAX)
		return -EBUSY;
	return conn_send_tagged(c, cmd, tag, argc, argv, mono_ms());
}

int sn_links_ping(struct sn_links *l, uint32_t node)
{
	const char *argv[1] = {wire.ping};
	return cmd_send(l, node, CMD_PING, 0, 1, argv);
}

int sn_links_info(struct sn_links *l, uint32_t node)
{
	const char *argv[1] = {wire.info};
	return cmd_send(l, node, CMD_INFO, 0, 1, argv);
}

int sn_links_publish(struct sn_links *l, uint32_t node, const char *channel, const char *payload,
		     uint32_t tag)
{
	if (channel == NULL || payload == NULL || tag > TAG_MAX)
		return -EINVAL;
	const char *argv[3] = {wire.publish, channel, payload};
	return cmd_send(l, node, CMD_PUBLISH, tag, 3, argv);
}

int sn_links_command(struct sn_links *l, uint32_t node, uint32_t tag, int argc, const char **argv)
{
	if (argc <= 0 || argc > SEND_ARGS_MAX || argv == NULL || tag > TAG_MAX)
		return -EINVAL;
	for (int i = 0; i < argc; i++)
		if (argv[i] == NULL)
			return -EINVAL;
	return cmd_send(l, node, CMD_OTHER, tag, argc, argv);
}

uint32_t sn_links_pending(const struct sn_links *l, uint32_t node)
{
	const struct sn_link_node *n = node_at(l, node);
	return n->open ? n->conn[QU_LINK_CMD].sent_count : 0;
}

bool sn_links_is_up(const struct sn_links *l, uint32_t node, enum qu_link_kind which)
{
	const struct sn_link_node *n = node_at(l, node);
	LINK_ASSERT(which == QU_LINK_CMD || which == QU_LINK_PUBSUB);
	return n->open && n->conn[which].state == SN_CONN_UP;
}

void sn_links_local_ip(const struct sn_links *l, uint32_t node, char *ip, size_t len)
{
	const struct sn_link_node *n = node_at(l, node);
	if (len == 0)
		return;
	snprintf(ip, len, "%s", n->open ? n->conn[QU_LINK_CMD].local_ip : "");
}
