// SPDX-License-Identifier: BSD-3-Clause
/*
 * Tests of sentinel/link.c against real redis-server processes that each test starts itself
 * (posix_spawn, ports 31300-31349, --save '' --appendonly no, killed by PID), plus a plain
 * listening socket that never answers. The libev loop is driven with bounded waits: run until a
 * condition holds or a deadline passes, never a fixed sleep.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <hiredis/hiredis.h>

#include "link.h"
#include "log.h"

extern char **environ;

#define MYID "0123abcd456789ef0123456789abcdef01234567"
#define NAME_CMD "name=sentinel-0123abcd-cmd"
#define NAME_PUBSUB "name=sentinel-0123abcd-pubsub"
#define HELLO "__sentinel__:hello"
#define NODES 4
#define WAIT_MS 3000
#define ACCEPTS_MAX 16

/* Ports: one per test so a slow teardown never collides with the next test; offsets into a
 * window of PORT_WINDOW free ports chosen per run, so parallel runs do not collide. */
#define PORT_WINDOW 50
enum {
	PORT_UP = 0,
	PORT_INFO,
	PORT_PUBLISH,
	PORT_SETNAME,
	PORT_AUTH,
	PORT_ACL,
	PORT_BADPASS,
	PORT_BUSY,
	PORT_PENDING,
	PORT_HOOK_CLOSE,
	PORT_HOOK_DROP,
	PORT_RESTART,
	PORT_STOPPED,
	PORT_IPV6,
	PORT_FREE,
	PORT_SILENT = 40,
	PORT_NOBODY = 49,
};

static int port_window_base;

static bool port_free(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* A window of free loopback ports in 20000..29999, starting at a pid-derived offset. */
static int port_base(void)
{
	if (port_window_base != 0)
		return port_window_base;
	for (int attempt = 0; attempt < 200; attempt++) {
		int base = 20000 + (int)((getpid() + attempt * 7) % 199) * PORT_WINDOW;
		bool all = true;
		for (int i = 0; i < PORT_WINDOW && all; i++)
			all = port_free(base + i);
		if (all) {
			port_window_base = base;
			return base;
		}
	}
	port_window_base = 29000; /* best effort: tests will report bind/connect failures */
	return port_window_base;
}

#define P(offset) (port_base() + (offset))

#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			CU_FAIL(#cond);                                                            \
			goto out;                                                                  \
		}                                                                                  \
		CU_PASS(#cond);                                                                    \
	} while (0)

/* ---- redis-server processes -------------------------------------------------------------- */

struct redis_proc {
	pid_t pid;
	uint16_t port;
	char dir[64];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool port_accepts(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Start redis-server on port with extra "--opt", "value" pairs (NULL-terminated); wait until it
 * accepts connections. */
static int redis_start(struct redis_proc *p, uint16_t port, const char *const extra[])
{
	char port_s[8];
	const char *argv[40];
	int argc = 0;
	snprintf(port_s, sizeof(port_s), "%u", (unsigned)port);
	if (p->dir[0] == '\0') {
		snprintf(p->dir, sizeof(p->dir), "/tmp/vigil-link-XXXXXX");
		if (mkdtemp(p->dir) == NULL)
			return -errno;
	}
	const char *base[] = {"redis-server", "--port", port_s,        "--bind",
	                      "127.0.0.1",    "-::1",   "--save",      "",
	                      "--appendonly", "no",     "--daemonize", "no",
	                      "--dir",        p->dir,   "--logfile",   ""};
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		argv[argc++] = base[i];
	for (size_t i = 0; extra != NULL && extra[i] != NULL && argc < 38; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	if (port_accepts(port))
		return -EADDRINUSE; /* a stray server: never test against it */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawnp(&p->pid, "redis-server", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		p->pid = 0;
		return -rc;
	}
	p->port = port;
	for (int64_t until = now_ms() + WAIT_MS; now_ms() < until; pause_ms(10)) {
		if (port_accepts(port))
			return 0;
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			return -ECHILD;
		}
	}
	return -ETIMEDOUT;
}

static void redis_kill(struct redis_proc *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}

static void redis_stop(struct redis_proc *p)
{
	redis_kill(p);
	if (p->dir[0] != '\0')
		rmdir(p->dir);
	p->dir[0] = '\0';
}

/* ---- hook recorder ------------------------------------------------------------------------ */

struct rec {
	struct sn_links *links;
	unsigned up[2], down[2];
	bool is_up[2];
	bool alternation_broken;
	unsigned pings, pings_valid;
	unsigned infos;
	bool info_has_role;
	unsigned messages;
	char channel[64];
	char payload[128];
	unsigned publish_ok, publish_bad;
	unsigned wrong_node;
	/* re-entrancy scripts */
	bool close_on_info;
	bool drop_on_ping;
	bool closed;
	unsigned hooks_after_close;
};

static bool contains(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(text + i, needle, n) == 0)
			return true;
	return false;
}

static struct rec *rec_of(void *ctx, uint32_t node)
{
	struct rec *r = ctx;
	if (node != 0)
		r->wrong_node++;
	if (r->closed)
		r->hooks_after_close++;
	return r;
}

static void rec_on_state(void *ctx, uint32_t node, enum qu_link_kind which, bool up)
{
	struct rec *r = rec_of(ctx, node);
	if (r->is_up[which] == up)
		r->alternation_broken = true;
	r->is_up[which] = up;
	if (up)
		r->up[which]++;
	else
		r->down[which]++;
}

static void rec_on_ping(void *ctx, uint32_t node, bool valid)
{
	struct rec *r = rec_of(ctx, node);
	r->pings++;
	r->pings_valid += valid;
	if (r->drop_on_ping) {
		r->drop_on_ping = false;
		sn_links_drop(r->links, node, QU_LINK_CMD);
	}
}

static void rec_on_info(void *ctx, uint32_t node, const char *text, size_t len)
{
	struct rec *r = rec_of(ctx, node);
	r->infos++;
	r->info_has_role = contains(text, len, "\r\nrole:");
	if (r->close_on_info) {
		sn_links_close(r->links, node);
		r->closed = true;
	}
}

static void rec_on_message(void *ctx, uint32_t node, const char *channel, const char *payload,
                           size_t len)
{
	struct rec *r = rec_of(ctx, node);
	r->messages++;
	snprintf(r->channel, sizeof(r->channel), "%s", channel);
	snprintf(r->payload, sizeof(r->payload), "%.*s", (int)len, payload);
}

static void rec_on_publish(void *ctx, uint32_t node, uint32_t tag, bool ok)
{
	CU_ASSERT_EQUAL(tag, 7); /* the tag comes back with the reply */
	struct rec *r = rec_of(ctx, node);
	if (ok)
		r->publish_ok++;
	else
		r->publish_bad++;
}

/* ---- fixture: loop + links + optional redis ---------------------------------------------- */

struct fix {
	struct ev_loop *loop;
	ev_timer guard;
	struct sn_links links;
	bool links_ready;
	struct rec rec;
	struct redis_proc redis;
};

static void guard_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* port 0: no redis. */
static int fix_setup(struct fix *f, uint16_t port, const char *const extra[])
{
	memset(f, 0, sizeof(*f));
	sn_log_set_level(SN_LOG_WARNING);
	signal(SIGPIPE, SIG_IGN); /* hiredis writes with write(2); the daemon ignores it too */
	f->loop = ev_loop_new(EVFLAG_AUTO);
	if (f->loop == NULL)
		return -ENOMEM;
	/* Wakes ev_run(EVRUN_ONCE) every 5 ms so that waits can check their deadline. */
	ev_timer_init(&f->guard, guard_on_tick, 0.005, 0.005);
	ev_timer_start(f->loop, &f->guard);
	static const struct sn_link_hooks hooks = {
	    .on_state = rec_on_state,
	    .on_ping = rec_on_ping,
	    .on_info = rec_on_info,
	    .on_message = rec_on_message,
	    .on_publish = rec_on_publish,
	};
	struct sn_link_hooks h = hooks;
	h.ctx = &f->rec;
	f->rec.links = &f->links;
	int rc = sn_links_init(&f->links, f->loop, NODES, MYID, &h);
	if (rc != 0)
		return rc;
	f->links_ready = true;
	return port != 0 ? redis_start(&f->redis, port, extra) : 0;
}

static void fix_teardown(struct fix *f)
{
	if (f->links_ready)
		sn_links_free(&f->links);
	f->links_ready = false;
	redis_stop(&f->redis);
	if (f->loop != NULL) {
		ev_timer_stop(f->loop, &f->guard);
		ev_loop_destroy(f->loop);
	}
	f->loop = NULL;
	sn_log_set_level(SN_LOG_NOTICE);
}

static int open_node(struct fix *f, const char *host, uint16_t port, const char *user,
                     const char *pass, int64_t timeout_ms)
{
	struct qu_addr a;
	memset(&a, 0, sizeof(a));
	snprintf(a.host, sizeof(a.host), "%s", host);
	a.port = port;
	return sn_links_open(&f->links, 0, &a, user, pass, timeout_ms);
}

/* Run the loop until *counter >= target or timeout_ms passes. */
static bool wait_count(struct fix *f, const unsigned *counter, unsigned target, int64_t timeout_ms)
{
	for (int64_t until = now_ms() + timeout_ms; *counter < target;) {
		if (now_ms() >= until)
			return false;
		ev_run(f->loop, EVRUN_ONCE);
	}
	return true;
}

static void run_for(struct fix *f, int64_t ms)
{
	for (int64_t until = now_ms() + ms; now_ms() < until;)
		ev_run(f->loop, EVRUN_ONCE);
}

static bool wait_both_up(struct fix *f)
{
	return wait_count(f, &f->rec.up[QU_LINK_CMD], 1, WAIT_MS) &&
	       wait_count(f, &f->rec.up[QU_LINK_PUBSUB], 1, WAIT_MS);
}

/* The CLIENT LIST line of redis on port that contains needle, or "" (sync hiredis client). */
static void client_line(uint16_t port, const char *needle, char *out, size_t len)
{
	out[0] = '\0';
	struct timeval tv = {.tv_sec = 2};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (c == NULL)
		return;
	redisReply *r = c->err == 0 ? redisCommand(c, "CLIENT LIST") : NULL;
	if (r != NULL && r->type == REDIS_REPLY_STRING) {
		const char *at = strstr(r->str, needle);
		if (at != NULL) {
			const char *start = at;
			while (start > r->str && start[-1] != '\n')
				start--;
			size_t n = strcspn(start, "\r\n");
			snprintf(out, len, "%.*s", (int)n, start);
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_link_both_links_come_up_and_ping_is_valid(void)
{
	struct fix f;
	char ip[SN_LINK_IP_MAX];
	REQUIRE(fix_setup(&f, P(PORT_UP), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_UP), NULL, NULL, 2000) == 0);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), -ENOTCONN); /* not up before the loop ran */
	REQUIRE(wait_both_up(&f));
	CU_ASSERT_TRUE(sn_links_is_up(&f.links, 0, QU_LINK_CMD));
	CU_ASSERT_TRUE(sn_links_is_up(&f.links, 0, QU_LINK_PUBSUB));
	sn_links_local_ip(&f.links, 0, ip, sizeof(ip));
	CU_ASSERT_STRING_EQUAL(ip, "127.0.0.1");
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 0);
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 1);
	REQUIRE(wait_count(&f, &f.rec.pings, 1, WAIT_MS));
	CU_ASSERT_EQUAL(f.rec.pings_valid, 1);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 0);
	CU_ASSERT_EQUAL(f.rec.down[QU_LINK_CMD] + f.rec.down[QU_LINK_PUBSUB], 0);
	CU_ASSERT_EQUAL(f.rec.wrong_node, 0);
out:
	fix_teardown(&f);
}

static void test_link_info_reply_reaches_hook_with_role(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_INFO), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_INFO), NULL, NULL, 2000) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 1, WAIT_MS));
	REQUIRE(sn_links_info(&f.links, 0) == 0);
	REQUIRE(wait_count(&f, &f.rec.infos, 1, WAIT_MS));
	CU_ASSERT_TRUE(f.rec.info_has_role);
out:
	fix_teardown(&f);
}

static void test_link_publish_is_seen_on_pubsub_link(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_PUBLISH), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_PUBLISH), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	REQUIRE(sn_links_publish(&f.links, 0, HELLO, "127.0.0.1,26379,me,0,mymaster,x,1,0", 7) == 0);
	REQUIRE(wait_count(&f, &f.rec.messages, 1, WAIT_MS));
	REQUIRE(wait_count(&f, &f.rec.publish_ok, 1, WAIT_MS));
	CU_ASSERT_STRING_EQUAL(f.rec.channel, HELLO);
	CU_ASSERT_STRING_EQUAL(f.rec.payload, "127.0.0.1,26379,me,0,mymaster,x,1,0");
	CU_ASSERT_EQUAL(f.rec.publish_bad, 0);
	CU_ASSERT_EQUAL(sn_links_publish(&f.links, 0, NULL, "x", 7), -EINVAL);
out:
	fix_teardown(&f);
}

static void test_link_setname_names_are_in_client_list(void)
{
	struct fix f;
	char line[1024];
	REQUIRE(fix_setup(&f, P(PORT_SETNAME), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_SETNAME), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	client_line(P(PORT_SETNAME), NAME_CMD " ", line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "cmd=client|setname"));
	client_line(P(PORT_SETNAME), NAME_PUBSUB " ", line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " sub=1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "cmd=subscribe"));
out:
	fix_teardown(&f);
}

static void test_link_auth_with_requirepass_comes_up(void)
{
	struct fix f;
	const char *const extra[] = {"--requirepass", "s3cret pass", NULL};
	REQUIRE(fix_setup(&f, P(PORT_AUTH), extra) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_AUTH), NULL, "s3cret pass", 2000) == 0);
	REQUIRE(wait_both_up(&f));
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(sn_links_publish(&f.links, 0, HELLO, "authed", 7) == 0);
	REQUIRE(wait_count(&f, &f.rec.pings, 1, WAIT_MS));
	REQUIRE(wait_count(&f, &f.rec.messages, 1, WAIT_MS));
	CU_ASSERT_EQUAL(f.rec.pings_valid, 1);
	CU_ASSERT_STRING_EQUAL(f.rec.payload, "authed");
out:
	fix_teardown(&f);
}

static void test_link_auth_user_and_pass_uses_acl_user(void)
{
	struct fix f;
	char line[1024];
	const char *const extra[] = {"--user", "alice", "on", ">pw", "~*", "&*", "+@all", NULL};
	REQUIRE(fix_setup(&f, P(PORT_ACL), extra) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_ACL), "alice", "pw", 2000) == 0);
	REQUIRE(wait_both_up(&f));
	client_line(P(PORT_ACL), NAME_CMD " ", line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " user=alice "));
	client_line(P(PORT_ACL), NAME_PUBSUB " ", line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " user=alice "));
out:
	fix_teardown(&f);
}

/* Sentinel ignores the AUTH reply: the command link comes up, and PING then gets -NOAUTH, which
 * is not a valid reply (sentinel-protocol.md §1.2, §3.1). */
static void test_link_wrong_password_gives_invalid_ping_replies(void)
{
	struct fix f;
	const char *const extra[] = {"--requirepass", "right", NULL};
	REQUIRE(fix_setup(&f, P(PORT_BADPASS), extra) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_BADPASS), NULL, "wrong", 2000) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 1, WAIT_MS));
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(wait_count(&f, &f.rec.pings, 2, WAIT_MS));
	CU_ASSERT_EQUAL(f.rec.pings_valid, 0);
	CU_ASSERT_TRUE(sn_links_is_up(&f.links, 0, QU_LINK_CMD));
	CU_ASSERT_EQUAL(f.rec.up[QU_LINK_PUBSUB], 0); /* SUBSCRIBE is refused with -NOAUTH */
	CU_ASSERT_FALSE(f.rec.alternation_broken);
out:
	fix_teardown(&f);
}

static void test_link_refuses_commands_beyond_pending_cap(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_BUSY), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_BUSY), NULL, NULL, 2000) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 1, WAIT_MS));
	for (int i = 0; i < SN_LINK_PENDING_MAX; i++)
		REQUIRE(sn_links_ping(&f.links, 0) == 0);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), SN_LINK_PENDING_MAX);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), -EBUSY);
	CU_ASSERT_EQUAL(sn_links_info(&f.links, 0), -EBUSY);
	CU_ASSERT_EQUAL(sn_links_publish(&f.links, 0, HELLO, "x", 7), -EBUSY);
	REQUIRE(wait_count(&f, &f.rec.pings, SN_LINK_PENDING_MAX, WAIT_MS));
	CU_ASSERT_EQUAL(f.rec.pings_valid, SN_LINK_PENDING_MAX);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 0);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), 0);
out:
	fix_teardown(&f);
}

static void test_link_rejects_bad_arguments(void)
{
	struct fix f;
	struct sn_links other;
	char big[QU_AUTH_MAX + 8];
	char ip[8] = "junk";
	const struct sn_link_hooks none = {0};
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	REQUIRE(fix_setup(&f, 0, NULL) == 0);
	CU_ASSERT_EQUAL(sn_links_init(&other, f.loop, NODES, "short", &none), -EINVAL);
	CU_ASSERT_EQUAL(sn_links_init(&other, f.loop, 0, MYID, &none), -EINVAL);
	CU_ASSERT_EQUAL(sn_links_init(&other, f.loop, NODES, "0123 567" MYID, &none), -EINVAL);
	sn_links_free(&other); /* harmless after a failed init */
	CU_ASSERT_EQUAL(open_node(&f, "localhost", 6379, NULL, NULL, 1000), -EINVAL);
	CU_ASSERT_EQUAL(open_node(&f, "127.0.0.1", 0, NULL, NULL, 1000), -EINVAL);
	CU_ASSERT_EQUAL(open_node(&f, "127.0.0.1", 6379, NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(open_node(&f, "127.0.0.1", 6379, big, "x", 1000), -EINVAL);
	CU_ASSERT_EQUAL(open_node(&f, "127.0.0.1", 6379, NULL, big, 1000), -EINVAL);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 1), -ENOTCONN);
	CU_ASSERT_EQUAL(sn_links_info(&f.links, 1), -ENOTCONN);
	CU_ASSERT_EQUAL(sn_links_publish(&f.links, 1, HELLO, "x", 7), -ENOTCONN);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 1), 0);
	sn_links_local_ip(&f.links, 1, ip, sizeof(ip));
	CU_ASSERT_STRING_EQUAL(ip, "");
	sn_links_close(&f.links, 1);             /* closing a closed node is a no-op */
	sn_links_drop(&f.links, 1, QU_LINK_CMD); /* so is dropping one */
out:
	fix_teardown(&f);
}

/* Nothing listens on P(PORT_NOBODY): attempts fail, are retried, and never report anything. */
static void test_link_unreachable_node_reports_nothing(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, 0, NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_NOBODY), NULL, NULL, 500) == 0);
	run_for(&f, 1300); /* first attempt and one retry */
	CU_ASSERT_EQUAL(f.rec.up[0] + f.rec.up[1] + f.rec.down[0] + f.rec.down[1], 0);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), -ENOTCONN);
out:
	fix_teardown(&f);
}

static void test_link_close_with_commands_pending_calls_no_hook(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_PENDING), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_PENDING), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	for (int i = 0; i < 50; i++)
		REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(sn_links_info(&f.links, 0) == 0);
	REQUIRE(sn_links_publish(&f.links, 0, HELLO, "bye", 7) == 0);
	sn_links_close(&f.links, 0);
	f.rec.closed = true;
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 0);
	run_for(&f, 200);
	CU_ASSERT_EQUAL(f.rec.hooks_after_close, 0);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), -ENOTCONN);
	/* The slot is reusable: reopen, and close again while the connects are in flight. */
	f.rec.closed = false;
	f.rec.is_up[0] = f.rec.is_up[1] = false; /* close reports nothing */
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_PENDING), NULL, NULL, 2000) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 2, WAIT_MS));
	sn_links_close(&f.links, 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_PENDING), NULL, NULL, 2000) == 0);
	ev_run(f.loop, EVRUN_NOWAIT); /* connects started, handshake outstanding */
	sn_links_close(&f.links, 0);
	f.rec.closed = true;
	run_for(&f, 100);
	CU_ASSERT_EQUAL(f.rec.hooks_after_close, 0);
	CU_ASSERT_FALSE(f.rec.alternation_broken);
out:
	fix_teardown(&f);
}

/* sn_links_free with commands pending and connects in flight (ASan: no leak, no late call). */
static void test_link_free_with_commands_pending_is_clean(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_FREE), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_FREE), NULL, "unused", 2000) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 1, WAIT_MS));
	for (int i = 0; i < 20; i++)
		REQUIRE(sn_links_ping(&f.links, 0) == 0);
	struct qu_addr a;
	memset(&a, 0, sizeof(a));
	snprintf(a.host, sizeof(a.host), "127.0.0.1");
	a.port = P(PORT_FREE);
	REQUIRE(sn_links_open(&f.links, 1, &a, NULL, NULL, 2000) == 0);
	ev_run(f.loop, EVRUN_NOWAIT);
	unsigned hooks = f.rec.pings + f.rec.up[0] + f.rec.up[1] + f.rec.down[0] + f.rec.down[1];
	sn_links_free(&f.links);
	f.links_ready = false;
	run_for(&f, 100);
	CU_ASSERT_EQUAL(f.rec.pings + f.rec.up[0] + f.rec.up[1] + f.rec.down[0] + f.rec.down[1],
	                hooks);
	sn_links_free(&f.links); /* idempotent */
out:
	fix_teardown(&f);
}

/* A hook closes its own node from inside the INFO reply callback: no further hook, no crash. */
static void test_link_hook_may_close_its_own_node(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_HOOK_CLOSE), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_HOOK_CLOSE), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	f.rec.close_on_info = true;
	REQUIRE(sn_links_info(&f.links, 0) == 0);
	for (int i = 0; i < 10; i++)
		REQUIRE(sn_links_ping(&f.links, 0) ==
		        0); /* replies after the INFO: never reported */
	REQUIRE(sn_links_publish(&f.links, 0, HELLO, "late", 7) == 0);
	REQUIRE(wait_count(&f, &f.rec.infos, 1, WAIT_MS));
	run_for(&f, 200);
	CU_ASSERT_EQUAL(f.rec.hooks_after_close, 0);
	CU_ASSERT_EQUAL(f.rec.pings, 0);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 0);
	/* and the node can be opened again */
	f.rec.closed = false;
	f.rec.close_on_info = false;
	f.rec.is_up[0] = f.rec.is_up[1] = false;
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_HOOK_CLOSE), NULL, NULL, 2000) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 2, WAIT_MS));
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_PUBSUB], 2, WAIT_MS));
out:
	fix_teardown(&f);
}

/* A drop (from a hook or not) reports down from the loop, never inside the call, then reconnects
 * no sooner than a second after the previous attempt. */
static void test_link_drop_reports_down_later_and_reconnects(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_HOOK_DROP), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_HOOK_DROP), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	f.rec.drop_on_ping = true;
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(sn_links_ping(&f.links, 0) == 0); /* its reply is never reported */
	REQUIRE(wait_count(&f, &f.rec.down[QU_LINK_CMD], 1, WAIT_MS));
	int64_t down_at = now_ms();
	CU_ASSERT_EQUAL(f.rec.pings, 1);
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), -ENOTCONN);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 2, WAIT_MS));
	CU_ASSERT_TRUE(now_ms() - down_at >= 900);
	/* a direct drop of the pub/sub link: not reported inside the call */
	sn_links_drop(&f.links, 0, QU_LINK_PUBSUB);
	CU_ASSERT_EQUAL(f.rec.down[QU_LINK_PUBSUB], 0);
	REQUIRE(wait_count(&f, &f.rec.down[QU_LINK_PUBSUB], 1, WAIT_MS));
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_PUBSUB], 2, WAIT_MS));
	CU_ASSERT_EQUAL(f.rec.down[QU_LINK_CMD], 1);
	CU_ASSERT_FALSE(f.rec.alternation_broken);
out:
	fix_teardown(&f);
}

static void test_link_server_restart_reports_down_then_reconnects(void)
{
	struct fix f;
	REQUIRE(fix_setup(&f, P(PORT_RESTART), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_RESTART), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	redis_kill(&f.redis);
	REQUIRE(wait_count(&f, &f.rec.down[QU_LINK_CMD], 1, WAIT_MS));
	REQUIRE(wait_count(&f, &f.rec.down[QU_LINK_PUBSUB], 1, WAIT_MS));
	CU_ASSERT_EQUAL(sn_links_ping(&f.links, 0), -ENOTCONN);
	REQUIRE(redis_start(&f.redis, P(PORT_RESTART), NULL) == 0);
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 2, 5000));
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_PUBSUB], 2, 5000));
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(wait_count(&f, &f.rec.pings_valid, 1, WAIT_MS));
	CU_ASSERT_FALSE(f.rec.alternation_broken);
out:
	fix_teardown(&f);
}

/* A stopped redis: the TCP connection stays, replies stop. The reply deadline closes the command
 * link; the idle pub/sub link has nothing outstanding and is left to the core (§1.6). */
static void test_link_reply_deadline_closes_link_to_stopped_server(void)
{
	struct fix f;
	bool stopped = false;
	REQUIRE(fix_setup(&f, P(PORT_STOPPED), NULL) == 0);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_STOPPED), NULL, NULL, 300) == 0);
	REQUIRE(wait_both_up(&f));
	REQUIRE(kill(f.redis.pid, SIGSTOP) == 0);
	stopped = true;
	int64_t sent_at = now_ms();
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(wait_count(&f, &f.rec.down[QU_LINK_CMD], 1, WAIT_MS));
	int64_t took = now_ms() - sent_at;
	CU_ASSERT_TRUE(took >= 290); /* not before the deadline */
	CU_ASSERT_EQUAL(f.rec.pings, 0);
	CU_ASSERT_EQUAL(sn_links_pending(&f.links, 0), 0);
	CU_ASSERT_EQUAL(f.rec.down[QU_LINK_PUBSUB], 0);
	REQUIRE(kill(f.redis.pid, SIGCONT) == 0);
	stopped = false;
	REQUIRE(wait_count(&f, &f.rec.up[QU_LINK_CMD], 2, 5000));
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(wait_count(&f, &f.rec.pings_valid, 1, WAIT_MS));
out:
	if (stopped)
		kill(f.redis.pid, SIGCONT);
	fix_teardown(&f);
}

/* A listener that accepts (or just queues) connections and never reads: the handshake deadline
 * closes both connections, and the next attempt comes no sooner than a second later. */
struct silent {
	ev_io io;
	int lfd;
	int fds[ACCEPTS_MAX];
	int64_t at_ms[ACCEPTS_MAX];
	unsigned accepted;
};

static void silent_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct silent *s = (struct silent *)(void *)w;
	(void)loop;
	(void)revents;
	for (int i = 0; i < 4; i++) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			return;
		if (s->accepted >= ACCEPTS_MAX) {
			close(fd);
			continue;
		}
		s->at_ms[s->accepted] = now_ms();
		s->fds[s->accepted++] = fd;
	}
}

static int silent_listen(struct silent *s, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		return -errno;
	int one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s->lfd, 16) != 0)
		return -errno;
	return 0;
}

/* True once the peer has closed fd (everything it sent is drained first). */
static bool peer_closed(int fd)
{
	char buf[512];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return true;
		if (n < 0)
			return false;
	}
	return false;
}

static void test_link_handshake_deadline_closes_silent_connection(void)
{
	struct fix f;
	struct silent s;
	s.lfd = -1;
	s.accepted = 0;
	REQUIRE(fix_setup(&f, 0, NULL) == 0);
	REQUIRE(silent_listen(&s, P(PORT_SILENT)) == 0);
	ev_io_init(&s.io, silent_on_accept, s.lfd, EV_READ);
	ev_io_start(f.loop, &s.io);
	REQUIRE(open_node(&f, "127.0.0.1", P(PORT_SILENT), NULL, "pw", 300) == 0);
	REQUIRE(wait_count(&f, &s.accepted, 2, WAIT_MS));
	REQUIRE(wait_count(&f, &s.accepted, 3, 4000)); /* after deadline + backoff */
	CU_ASSERT_TRUE(peer_closed(s.fds[0]));
	CU_ASSERT_TRUE(peer_closed(s.fds[1]));
	CU_ASSERT_TRUE(s.at_ms[2] - s.at_ms[0] >= 1000);
	CU_ASSERT_EQUAL(f.rec.up[0] + f.rec.up[1] + f.rec.down[0] + f.rec.down[1], 0);
out:
	if (f.loop != NULL && s.lfd >= 0)
		ev_io_stop(f.loop, &s.io);
	fix_teardown(&f);
	for (unsigned i = 0; i < s.accepted; i++)
		close(s.fds[i]);
	if (s.lfd >= 0)
		close(s.lfd);
}

static void test_link_ipv6_literal_comes_up(void)
{
	struct fix f;
	char ip[SN_LINK_IP_MAX];
	REQUIRE(fix_setup(&f, P(PORT_IPV6), NULL) == 0);
	REQUIRE(open_node(&f, "::1", P(PORT_IPV6), NULL, NULL, 2000) == 0);
	REQUIRE(wait_both_up(&f));
	sn_links_local_ip(&f.links, 0, ip, sizeof(ip));
	CU_ASSERT_STRING_EQUAL(ip, "::1");
	REQUIRE(sn_links_ping(&f.links, 0) == 0);
	REQUIRE(wait_count(&f, &f.rec.pings_valid, 1, WAIT_MS));
out:
	fix_teardown(&f);
}

CU_TestInfo link_tests[] = {
    {"both links come up and PING is valid", test_link_both_links_come_up_and_ping_is_valid},
    {"INFO reply reaches the hook with role:", test_link_info_reply_reaches_hook_with_role},
    {"PUBLISH is seen on the pub/sub link", test_link_publish_is_seen_on_pubsub_link},
    {"SETNAME names are in CLIENT LIST", test_link_setname_names_are_in_client_list},
    {"AUTH with requirepass comes up", test_link_auth_with_requirepass_comes_up},
    {"AUTH user pass uses the ACL user", test_link_auth_user_and_pass_uses_acl_user},
    {"wrong password gives invalid PING replies",
     test_link_wrong_password_gives_invalid_ping_replies},
    {"refuses commands beyond the pending cap", test_link_refuses_commands_beyond_pending_cap},
    {"rejects bad arguments", test_link_rejects_bad_arguments},
    {"unreachable node reports nothing", test_link_unreachable_node_reports_nothing},
    {"close with commands pending calls no hook",
     test_link_close_with_commands_pending_calls_no_hook},
    {"free with commands pending is clean", test_link_free_with_commands_pending_is_clean},
    {"hook may close its own node", test_link_hook_may_close_its_own_node},
    {"drop reports down later and reconnects", test_link_drop_reports_down_later_and_reconnects},
    {"server restart reports down then reconnects",
     test_link_server_restart_reports_down_then_reconnects},
    {"reply deadline closes the link to a stopped server",
     test_link_reply_deadline_closes_link_to_stopped_server},
    {"handshake deadline closes a silent connection",
     test_link_handshake_deadline_closes_silent_connection},
    {"IPv6 literal comes up", test_link_ipv6_literal_comes_up},
    CU_TEST_INFO_NULL,
};
