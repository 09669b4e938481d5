// SPDX-License-Identifier: BSD-3-Clause
/*
 * One client connection of the RESP port: its lifecycle, reading and parsing requests,
 * dispatching them to the command table, and writing replies under output limits. A client
 * never blocks the loop: one with too much unsent output stops being read, and one past its
 * hard limit is closed. A client is only freed once no callback of its own is running.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "server_internal.h"

#define READ_CHUNK_BYTES 16384u
#define OUT_KEEP_BYTES (64u * 1024u) /* an idle client keeps at most this much buffer */

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
void sn_client_close(struct sn_server *s, struct sn_client *c)
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
	sn_client_close(s, c);
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

void sn_client_accept(struct sn_server *s, int fd, const struct sockaddr_storage *peer)
{
	if (s->client_count >= s->maxclients) {
		client_reject(s, fd);
		return;
	}
	if (sn_server_set_nonblock_cloexec(fd) != 0) {
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

int sn_client_enforce_limits(struct sn_server *s, struct sn_client *c, int64_t now_ms)
{
	if (!client_over_limits(c, now_ms))
		return 0;
	sn_log(SN_LOG_WARNING,
	       "event=client_closed reason=output_buffer_limit id=%llu addr=%s type=%s "
	       "pending_bytes=%zu",
	       (unsigned long long)c->id, c->addr, c->sub_count > 0 ? "pubsub" : "normal",
	       client_out_pending(c));
	sn_client_close(s, c);
	return -1;
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
		sn_client_close(s, c); /* EPIPE, ECONNRESET...: the peer is gone */
		return -1;
	}
	s->stats.writes_processed++;
	if (c->out_sent == c->out.len) {
		c->out_sent = 0;
		sn_buf_reset(&c->out, OUT_KEEP_BYTES);
		ev_io_stop(s->loop, &c->write_io);
		if (c->close_after_reply) {
			sn_client_close(s, c);
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
		sn_client_close(s, c);
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
	(void)sn_client_enforce_limits(s, c, c->last_ms); /* may close c: its last use here */
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
		sn_client_close(s, c);
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
