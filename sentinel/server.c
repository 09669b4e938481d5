// SPDX-License-Identifier: BSD-3-Clause
/*
 * The RESP listener: sockets, per-client read/parse/dispatch/write on the daemon's libev loop,
 * output limits, AUTH checks and pub/sub delivery. A client never blocks the loop: all sockets
 * are non-blocking, a client with too much unsent output stops being read, and a subscriber
 * that cannot keep up is dropped. Passwords are compared in constant time and never logged.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "log.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define READ_CHUNK_BYTES 16384u
#define ACCEPTS_PER_CALL 32
#define LISTEN_BACKLOG 511
#define OUT_KEEP_BYTES (64u * 1024u) /* an idle client keeps at most this much buffer */
#define RESERVED_FDS 32u

static void client_on_read(struct ev_loop *loop, ev_io *w, int revents);
static void client_on_write(struct ev_loop *loop, ev_io *w, int revents);

struct sn_buf *sn_client_out(struct sn_client *c)
{
	return &c->out;
}

int sn_client_proto(const struct sn_client *c)
{
	return c->proto;
}

uint64_t sn_client_id(const struct sn_client *c)
{
	return c->id;
}

uint16_t sn_server_port(const struct sn_server *s)
{
	return s->port;
}

bool sn_server_has_password(const struct sn_server *s)
{
	return s->requirepass != NULL;
}

int sn_server_check_auth(const struct sn_server *s, const char *user, size_t ulen, const char *pass,
                         size_t plen)
{
	if (user != NULL && (ulen != 7 || memcmp(user, "default", 7) != 0))
		return -1;
	if (s->requirepass == NULL)
		return 0; /* the default user is "nopass" */
	/* Time depends on the length the client sent, never on the secret's bytes. */
	const unsigned char *a = (const unsigned char *)s->requirepass;
	const unsigned char *b = (const unsigned char *)pass;
	size_t alen = s->requirepass_len;
	unsigned diff = alen != plen;
	for (size_t i = 0; i < plen; i++)
		diff |= (unsigned)(a[i % alen] ^ b[i]);
	return diff == 0 ? 0 : -1;
}

/* ---- sockets ----------------------------------------------------------------------------- */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	int fdfl = fcntl(fd, F_GETFD);
	if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* "ip:port", or "[ip]:port" for IPv6 (Redis's formatAddr). */
static void format_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)ss;
		inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
		port = ntohs(sa->sin_port);
		snprintf(out, n, "%s:%u", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)ss;
		inet_ntop(AF_INET6, &sa->sin6_addr, ip, sizeof(ip));
		port = ntohs(sa->sin6_port);
		snprintf(out, n, "[%s]:%u", ip, port);
	} else {
		snprintf(out, n, "?:0");
	}
}

static uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

/* Open one listening socket on host (a literal). Returns the fd or -errno with err set. */
static int listen_on(const char *host, uint16_t port, uint16_t *bound_port, struct sn_err *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	int gai = getaddrinfo(host, portstr, &hints, &ai);
	if (gai != 0) {
		sn_err_set(err, "bind %s: not an IP address (%s)", host, gai_strerror(gai));
		return -EINVAL;
	}
	int one = 1, rc = 0;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    set_nonblock_cloexec(fd) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		rc = -errno;
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		rc = -errno;
		goto out;
	}
	*bound_port = sockaddr_port(&ss);
out:
	freeaddrinfo(ai);
	if (rc != 0) {
		sn_err_set(err, "bind %s:%u: %s", host, (unsigned)port, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

static void listener_on_accept(struct ev_loop *loop, ev_io *w, int revents);

static int add_listener(struct sn_server *s, const char *host, bool optional, struct sn_err *err)
{
	uint16_t bound = 0;
	int fd = listen_on(host, s->port, &bound, err);
	if (fd < 0)
		return optional && (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) ? 0 : fd;
	struct sn_listener *l = &s->listeners[s->listener_count++];
	l->fd = fd;
	l->srv = s;
	snprintf(l->addr, sizeof(l->addr), strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host,
	         (unsigned)bound);
	/* Port 0: every further bind reuses the ephemeral port the first one got. */
	s->port = bound;
	ev_io_init(&l->io, listener_on_accept, fd, EV_READ);
	ev_io_start(s->loop, &l->io);
	sn_log(SN_LOG_NOTICE, "event=listening addr=%s", l->addr);
	return 0;
}

static void close_listeners(struct sn_server *s)
{
	for (size_t i = 0; i < s->listener_count; i++) {
		ev_io_stop(s->loop, &s->listeners[i].io);
		close(s->listeners[i].fd);
		s->listeners[i].fd = -1;
	}
	s->listener_count = 0;
}

static void pause_listeners(struct sn_server *s, bool pause)
{
	for (size_t i = 0; i < s->listener_count; i++) {
		if (pause)
			ev_io_stop(s->loop, &s->listeners[i].io);
		else
			ev_io_start(s->loop, &s->listeners[i].io);
	}
	s->listeners_paused = pause;
}

/* ---- clients: lifecycle ------------------------------------------------------------------- */

static void client_link(struct sn_server *s, struct sn_client *c)
{
	c->prev = NULL;
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->client_count++;
}

static void client_unlink(struct sn_server *s, struct sn_client *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->client_count--;
}

static void client_release(struct sn_client *c)
{
	for (uint32_t i = 0; i < c->sub_count; i++)
		free(c->subs[i].name);
	free(c->subs);
	free(c->name);
	sn_reqparser_free(&c->parser);
	sn_buf_free(&c->out);
	free(c);
}

/* Detach c from the loop and the server: no more I/O, not listed, not counted. */
static void client_detach(struct sn_server *s, struct sn_client *c)
{
	if (c->dead)
		return;
	ev_io_stop(s->loop, &c->read_io);
	ev_io_stop(s->loop, &c->write_io);
	close(c->fd);
	c->fd = -1;
	if (c->sub_count > 0)
		s->pubsub_client_count--;
	client_unlink(s, c);
	c->dead = true;
}

/* Close c now, unless its requests are being run: then when that unwinds. */
static void client_close(struct sn_server *s, struct sn_client *c)
{
	client_detach(s, c);
	if (s->current != c)
		client_release(c);
}

void sn_server_kill_client(struct sn_server *s, struct sn_client *c)
{
	if (c == s->current) {
		c->close_after_reply = true;
		return;
	}
	client_close(s, c);
}

static void client_reject(struct sn_server *s, int fd)
{
	static const char msg[] = "-ERR max number of clients reached\r\n";
	/* Best effort, like Redis: the socket is fresh, so the few bytes fit its buffer. */
	ssize_t n = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
	s->stats.rejected_connections++;
}

static void client_setup_socket(int fd)
{
	int one = 1, idle_s = 300;
	/* Failures only cost latency or dead-peer detection: not worth refusing the client. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s));
}

static void client_accept(struct sn_server *s, int fd, const struct sockaddr_storage *peer)
{
	if (s->client_count >= s->maxclients) {
		client_reject(s, fd);
		return;
	}
	if (set_nonblock_cloexec(fd) != 0) {
		close(fd);
		return;
	}
	client_setup_socket(fd);
	struct sn_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->srv = s;
	c->fd = fd;
	c->id = ++s->next_client_id;
	c->proto = 2;
	c->authed = s->requirepass == NULL;
	format_addr(peer, c->addr, sizeof(c->addr));
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &sl) == 0)
		format_addr(&local, c->laddr, sizeof(c->laddr));
	else
		snprintf(c->laddr, sizeof(c->laddr), "?:0");
	sn_reqparser_init(&c->parser, NULL);
	sn_buf_init(&c->out);
	c->created_ms = c->last_ms = sn_clock_now_ms();
	snprintf(c->last_cmd, sizeof(c->last_cmd), "NULL");
	ev_io_init(&c->read_io, client_on_read, fd, EV_READ);
	ev_io_init(&c->write_io, client_on_write, fd, EV_WRITE);
	ev_io_start(s->loop, &c->read_io);
	client_link(s, c);
	s->stats.connections_received++;
	sn_log(SN_LOG_DEBUG, "event=client_connected id=%llu addr=%s", (unsigned long long)c->id,
	       c->addr);
}

static void listener_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sn_listener *l = container_of(w, struct sn_listener, io);
	struct sn_server *s = l->srv;
	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPTS_PER_CALL; i++) {
		struct sockaddr_storage peer;
		socklen_t sl = sizeof(peer);
		int fd = accept(l->fd, (struct sockaddr *)&peer, &sl);
		if (fd >= 0) {
			client_accept(s, fd, &peer);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Level-triggered accept would spin: stop listening until the next cron. */
			sn_log(SN_LOG_WARNING, "event=accept_failed addr=%s error=\"%s\"", l->addr,
			       strerror(errno));
			pause_listeners(s, true);
		}
		return; /* EAGAIN or a transient error */
	}
}

/* ---- clients: output --------------------------------------------------------------------- */

static size_t client_out_pending(const struct sn_client *c)
{
	return c->out.len - c->out_sent;
}

/* Redis's checkClientOutputBufferLimits: pubsub 32mb hard, 8mb for 60 s soft; normal clients
 * get our hard cap (back-pressure keeps them below it in practice). */
static bool client_over_limits(struct sn_client *c, int64_t now_ms)
{
	size_t pending = client_out_pending(c);
	if (c->sub_count == 0)
		return pending > SN_CLIENT_OUT_HARD_BYTES;
	if (pending > SN_CLIENT_PUBSUB_HARD_BYTES)
		return true;
	if (pending <= SN_CLIENT_PUBSUB_SOFT_BYTES) {
		c->soft_limit_since_ms = 0;
		return false;
	}
	if (c->soft_limit_since_ms == 0) {
		c->soft_limit_since_ms = now_ms;
		return false;
	}
	return now_ms - c->soft_limit_since_ms >= SN_CLIENT_PUBSUB_SOFT_MS;
}

static void client_drop_over_limits(struct sn_server *s, struct sn_client *c)
{
	sn_log(SN_LOG_WARNING,
	       "event=client_closed reason=output_buffer_limit id=%llu addr=%s type=%s "
	       "pending_bytes=%zu",
	       (unsigned long long)c->id, c->addr, c->sub_count > 0 ? "pubsub" : "normal",
	       client_out_pending(c));
	client_close(s, c);
}

/* Write what the socket takes. Returns -1 if c was closed (do not touch it again). */
static int client_flush(struct sn_server *s, struct sn_client *c)
{
	/* Bounded by the bytes buffered: each pass writes some or stops. */
	while (c->out_sent < c->out.len) {
		ssize_t n =
		    send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_sent += (size_t)n;
			s->stats.net_output_bytes += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		client_close(s, c); /* EPIPE, ECONNRESET...: the peer is gone */
		return -1;
	}
	s->stats.writes_processed++;
	if (c->out_sent == c->out.len) {
		c->out_sent = 0;
		sn_buf_reset(&c->out, OUT_KEEP_BYTES);
		ev_io_stop(s->loop, &c->write_io);
		if (c->close_after_reply) {
			client_close(s, c);
			return -1;
		}
		return 0;
	}
	if (c->out_sent >= OUT_KEEP_BYTES && c->out_sent >= c->out.len / 2) {
		sn_buf_consume(&c->out, c->out_sent);
		c->out_sent = 0;
	}
	ev_io_start(s->loop, &c->write_io);
	return 0;
}

/* ---- clients: requests ------------------------------------------------------------------- */

static void run_command(struct sn_server *s, struct sn_client *c, const struct sn_cmd *cmd,
                        const struct sn_req *req)
{
	/* Order as Redis's processCommand: lookup and arity (done), then auth, then the RESP2
	 * pub/sub context. */
	if (!c->authed && !(cmd->flags & SN_CMD_NO_AUTH)) {
		sn_resp_error(&c->out, "NOAUTH Authentication required.");
		return;
	}
	if (c->proto == 2 && c->sub_count > 0 && !(cmd->flags & SN_CMD_PUBSUB_CTX)) {
		sn_resp_error_fmt(
		    &c->out,
		    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / "
		    "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
		    cmd->fullname);
		return;
	}
	c->argv_mem = 0;
	for (int i = 0; i < req->argc; i++)
		c->argv_mem += req->lens[i];
	snprintf(c->last_cmd, sizeof(c->last_cmd), "%s", cmd->fullname); /* before: CLIENT LIST */
	cmd->fn(s, c, req);
	c->argv_mem = 0;
	s->stats.commands_processed++;
}

static void client_dispatch(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	size_t before = c->out.len;
	if (sn_cmd_is_http(req)) {
		/* Redis: "Possible SECURITY ATTACK detected": close without a reply. */
		sn_log(SN_LOG_WARNING, "event=client_closed reason=http_request id=%llu addr=%s",
		       (unsigned long long)c->id, c->addr);
		client_close(s, c);
		return;
	}
	const struct sn_cmd *cmd = sn_cmd_lookup(req, &c->out);
	if (cmd != NULL)
		run_command(s, c, cmd, req);
	if (c->dead)
		return;
	if (c->out.len > before && c->out.data[before] == '-')
		s->stats.error_replies++;
	c->last_ms = sn_clock_now_ms();
	if (client_out_pending(c) > s->stats.recent_max_output_bytes)
		s->stats.recent_max_output_bytes = client_out_pending(c);
	if (client_over_limits(c, c->last_ms))
		client_drop_over_limits(s, c);
}

static void client_protocol_error(struct sn_client *c)
{
	const char *msg = sn_reqparser_error(&c->parser);
	sn_log(SN_LOG_VERBOSE, "event=protocol_error id=%llu addr=%s error=\"%s\"",
	       (unsigned long long)c->id, c->addr, msg);
	sn_resp_error_fmt(&c->out, "ERR %s", msg);
	c->close_after_reply = true;
}

/* Run every complete buffered request, then flush. May release c. */
static void client_process(struct sn_server *s, struct sn_client *c)
{
	s->current = c;
	/* Bounded by the buffered input: every request consumes bytes. */
	while (!c->dead && !c->close_after_reply) {
		if (client_out_pending(c) >= SN_CLIENT_OUT_PAUSE_BYTES) {
			c->paused = true;
			ev_io_stop(s->loop, &c->read_io);
			break;
		}
		struct sn_req req;
		c->parser.unauthenticated = !c->authed;
		int rc = sn_reqparser_next(&c->parser, &req);
		if (rc == 0)
			break;
		if (rc < 0) {
			client_protocol_error(c);
			break;
		}
		client_dispatch(s, c, &req);
		sn_req_free(&req);
	}
	s->current = NULL;
	if (c->dead) {
		client_release(c);
		return;
	}
	if (c->close_after_reply)
		ev_io_stop(s->loop, &c->read_io);
	if (client_flush(s, c) < 0)
		return;
	/* Everything went out at once: resume from the loop (fair to the other clients). */
	if (c->paused && client_out_pending(c) < SN_CLIENT_OUT_PAUSE_BYTES / 2)
		ev_io_start(s->loop, &c->write_io);
}

static void client_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sn_client *c = container_of(w, struct sn_client, read_io);
	struct sn_server *s = c->srv;
	char buf[READ_CHUNK_BYTES];
	(void)loop;
	(void)revents;
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		sn_log(SN_LOG_DEBUG, "event=client_closed reason=%s id=%llu addr=%s",
		       n == 0 ? "eof" : "read_error", (unsigned long long)c->id, c->addr);
		client_close(s, c);
		return;
	}
	s->stats.net_input_bytes += (uint64_t)n;
	s->stats.reads_processed++;
	c->last_ms = sn_clock_now_ms();
	sn_reqparser_feed(&c->parser, buf, (size_t)n);
	size_t pending = sn_reqparser_pending(&c->parser);
	if (pending > s->stats.recent_max_input_bytes)
		s->stats.recent_max_input_bytes = pending;
	client_process(s, c);
}

static void client_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sn_client *c = container_of(w, struct sn_client, write_io);
	struct sn_server *s = c->srv;
	(void)loop;
	(void)revents;
	if (client_flush(s, c) < 0)
		return;
	if (c->paused && client_out_pending(c) < SN_CLIENT_OUT_PAUSE_BYTES / 2) {
		c->paused = false;
		ev_io_start(s->loop, &c->read_io);
		client_process(s, c); /* requests may already be buffered */
	}
}

/* ---- pub/sub ----------------------------------------------------------------------------- */

static int sub_find(const struct sn_client *c, bool pattern, const char *name, size_t len)
{
	for (uint32_t i = 0; i < c->sub_count; i++) {
		const struct sn_sub *sub = &c->subs[i];
		if (sub->pattern == pattern && sub->len == len && memcmp(sub->name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

int sn_client_sub_add(struct sn_client *c, bool pattern, const char *name, size_t len)
{
	if (sub_find(c, pattern, name, len) >= 0)
		return 0;
	if (c->sub_count >= SN_CLIENT_SUBS_MAX || c->sub_bytes + len > SN_CLIENT_SUB_BYTES_MAX)
		return -1;
	if (c->sub_count == c->sub_cap) {
		uint32_t cap = c->sub_cap == 0 ? 4 : c->sub_cap * 2;
		struct sn_sub *subs = realloc(c->subs, cap * sizeof(*subs));
		if (subs == NULL)
			abort();
		c->subs = subs;
		c->sub_cap = cap;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, name, len);
	copy[len] = '\0';
	c->subs[c->sub_count++] = (struct sn_sub){.name = copy, .len = len, .pattern = pattern};
	c->sub_bytes += len;
	if (pattern)
		c->pattern_count++;
	else
		c->channel_count++;
	if (c->sub_count == 1)
		c->srv->pubsub_client_count++;
	return 1;
}

int sn_client_sub_remove(struct sn_client *c, bool pattern, const char *name, size_t len)
{
	int i = sub_find(c, pattern, name, len);
	if (i < 0)
		return 0;
	free(c->subs[i].name);
	memmove(&c->subs[i], &c->subs[i + 1], (c->sub_count - (uint32_t)i - 1) * sizeof(*c->subs));
	c->sub_count--;
	c->sub_bytes -= len;
	if (pattern)
		c->pattern_count--;
	else
		c->channel_count--;
	if (c->sub_count == 0) {
		c->srv->pubsub_client_count--;
		c->soft_limit_since_ms = 0;
	}
	return 1;
}

/* Append this event to c: "message" if subscribed to channel, then one "pmessage" per
 * matching pattern (Redis serves channel subscribers before patterns). Returns the count. */
static int deliver(struct sn_client *c, const char *channel, size_t clen, const char *payload,
                   size_t len)
{
	int n = 0;
	if (c->channel_count > 0 && sub_find(c, false, channel, clen) >= 0) {
		sn_resp_push(&c->out, c->proto, 3);
		sn_resp_bulk(&c->out, "message", 7);
		sn_resp_bulk(&c->out, channel, clen);
		sn_resp_bulk(&c->out, payload, len);
		n++;
	}
	for (uint32_t i = 0; i < c->sub_count && c->pattern_count > 0; i++) {
		const struct sn_sub *sub = &c->subs[i];
		if (!sub->pattern || !sn_resp_glob_match(sub->name, sub->len, channel, clen, false))
			continue;
		sn_resp_push(&c->out, c->proto, 4);
		sn_resp_bulk(&c->out, "pmessage", 8);
		sn_resp_bulk(&c->out, sub->name, sub->len);
		sn_resp_bulk(&c->out, channel, clen);
		sn_resp_bulk(&c->out, payload, len);
		n++;
	}
	return n;
}

void sn_server_publish(struct sn_server *s, const char *channel, const char *payload, size_t len)
{
	if (!s->running || s->pubsub_client_count == 0)
		return;
	size_t clen = strlen(channel);
	int64_t now_ms = sn_clock_now_ms();
	struct sn_client *next;
	for (struct sn_client *c = s->clients; c != NULL; c = next) {
		next = c->next; /* c may be closed below */
		if (c->sub_count == 0 || deliver(c, channel, clen, payload, len) == 0)
			continue;
		s->stats.pubsub_messages++;
		if (client_over_limits(c, now_ms)) {
			client_drop_over_limits(s, c);
			continue;
		}
		ev_io_start(s->loop, &c->write_io); /* written when the loop next polls */
	}
}

/* ---- cron, start, stop ------------------------------------------------------------------- */

static void track_metrics(struct sn_server *s, int64_t now_ms)
{
	struct sn_server_inst *in = &s->inst;
	uint64_t cur[3] = {s->stats.commands_processed, s->stats.net_input_bytes,
	                   s->stats.net_output_bytes};
	int64_t dt_ms = now_ms - in->last_ms;
	for (int m = 0; m < 3; m++) {
		uint64_t delta = cur[m] - in->last_value[m];
		in->samples[m][in->idx] = dt_ms > 0 ? delta * 1000 / (uint64_t)dt_ms : 0;
		in->last_value[m] = cur[m];
	}
	in->idx = (in->idx + 1) % SN_SERVER_STATS_SAMPLES;
	in->last_ms = now_ms;
}

static void server_on_cron(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sn_server *s = container_of(w, struct sn_server, cron);
	(void)loop;
	(void)revents;
	track_metrics(s, sn_clock_now_ms());
	if (s->listeners_paused)
		pause_listeners(s, false);
}

static void make_run_id(char out[SN_SERVER_RUNID_LEN + 1])
{
	unsigned char raw[SN_SERVER_RUNID_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n <= 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	if (got < sizeof(raw)) {
		/* No entropy source: the run_id only needs to differ between runs. */
		uint64_t x =
		    (uint64_t)sn_clock_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
		for (size_t i = 0; i < sizeof(raw); i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			raw[i] = (unsigned char)(x >> 56);
		}
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Lower maxclients to what RLIMIT_NOFILE allows (raising the soft limit first), as Redis does. */
static uint32_t clamp_maxclients(uint32_t want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + RESERVED_FDS;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return want;
	struct rlimit nr = {.rlim_cur = need, .rlim_max = rl.rlim_max};
	if (rl.rlim_max != RLIM_INFINITY && nr.rlim_cur > rl.rlim_max)
		nr.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &nr) == 0)
		rl.rlim_cur = nr.rlim_cur;
	if (rl.rlim_cur >= need)
		return want;
	uint32_t got = rl.rlim_cur > RESERVED_FDS + 1 ? (uint32_t)(rl.rlim_cur - RESERVED_FDS) : 1;
	sn_log(SN_LOG_WARNING, "event=maxclients_reduced wanted=%u got=%u open_files_limit=%llu",
	       want, got, (unsigned long long)rl.rlim_cur);
	return got;
}

static char *dup_or_null(const char *s)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

static void wipe_secrets(struct sn_server *s)
{
	if (s->requirepass != NULL) {
		explicit_bzero(s->requirepass, s->requirepass_len);
		free(s->requirepass);
	}
	s->requirepass = NULL;
	s->requirepass_len = 0;
	free(s->config_path);
	s->config_path = NULL;
}

static int open_listeners(struct sn_server *s, const struct sn_server_conf *conf,
                          struct sn_err *err)
{
	if (conf->bind_count > SN_SERVER_BINDS_MAX) {
		sn_err_set(err, "too many bind addresses (%zu > %d)", conf->bind_count,
		           SN_SERVER_BINDS_MAX);
		return -EINVAL;
	}
	if (conf->bind_count == 0) {
		int rc = add_listener(s, "0.0.0.0", false, err);
		return rc != 0 ? rc : add_listener(s, "::", true, err);
	}
	for (size_t i = 0; i < conf->bind_count; i++) {
		int rc = add_listener(s, conf->binds[i], false, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int sn_server_start(struct sn_server *s, struct ev_loop *loop, const struct sn_server_conf *conf,
                    const struct sn_server_hooks *hooks, struct sn_err *err)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	if (hooks != NULL)
		s->hooks = *hooks;
	s->port = conf->port;
	s->maxclients = clamp_maxclients(conf->maxclients != 0 ? conf->maxclients
	                                                       : SN_SERVER_MAXCLIENTS_DEFAULT);
	if (conf->requirepass != NULL && conf->requirepass[0] != '\0') {
		s->requirepass = dup_or_null(conf->requirepass);
		s->requirepass_len = strlen(conf->requirepass);
	}
	s->config_path = dup_or_null(conf->config_path);
	if (conf->myid != NULL)
		snprintf(s->myid, sizeof(s->myid), "%s", conf->myid);
	make_run_id(s->run_id);
	s->started_ms = sn_clock_now_ms();
	s->started_unix_s = (int64_t)time(NULL);
	s->inst.last_ms = s->started_ms;
	int rc = open_listeners(s, conf, err);
	if (rc != 0) {
		close_listeners(s);
		wipe_secrets(s);
		return rc;
	}
	ev_timer_init(&s->cron, server_on_cron, SN_SERVER_CRON_MS / 1000.0,
	              SN_SERVER_CRON_MS / 1000.0);
	ev_timer_start(loop, &s->cron);
	s->running = true;
	return 0;
}

void sn_server_stop(struct sn_server *s)
{
	if (!s->running)
		return;
	close_listeners(s);
	ev_timer_stop(s->loop, &s->cron);
	/* Bounded by client_count: each pass unlinks the head. */
	while (s->clients != NULL)
		client_close(s, s->clients);
	wipe_secrets(s);
	s->running = false;
	sn_log(SN_LOG_NOTICE, "event=server_stopped");
}
