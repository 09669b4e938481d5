// SPDX-License-Identifier: BSD-3-Clause
/*
 * The RESP listener: listening sockets and accept, the AUTH check, the cron (instantaneous
 * metrics, resuming paused listeners), and starting and stopping the whole port on the daemon's
 * libev loop. Connections live in server_client.c, pub/sub delivery in server_pubsub.c. It must
 * never block: every socket is non-blocking. Passwords are compared in constant time, wiped on
 * stop and never logged.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "server_internal.h"

#define ACCEPTS_PER_CALL 32
#define LISTEN_BACKLOG 511
#define RESERVED_FDS 32u

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

int sn_server_set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	int fdfl = fcntl(fd, F_GETFD);
	if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
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
	    sn_server_set_nonblock_cloexec(fd) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
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
			sn_client_accept(s, fd, &peer);
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
		sn_client_close(s, s->clients);
	wipe_secrets(s);
	s->running = false;
	sn_log(SN_LOG_NOTICE, "event=server_stopped");
}
