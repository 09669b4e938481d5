// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of sentinel/script.c: real shell scripts from tests/data/scripts run on the libev
 * default loop, with every wait bounded by a deadline: argv, inherited descriptors and signals,
 * retries and their back-off, timeouts, the queue and concurrency bounds, and teardown with
 * children still running. A spawn seam injects fork failures.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "clock.h"
#include "script.h"

#define SCRIPTS_DIR "tests/data/scripts/"
#define EVENTS_MAX 32
#define WAIT_MS 10000 /* generous: ASan builds and a loaded machine */

struct seen_event {
	char event[32];
	char payload[SN_SCRIPT_PATH_MAX + 64];
};

struct fx {
	struct ev_loop *loop;
	struct sn_scripts *s;
	ev_timer heartbeat; /* keeps EVRUN_ONCE from blocking past a deadline check */
	char dir[64];
	char out[128];
	struct seen_event events[EVENTS_MAX];
	int event_count;
	const char *reentrant_path; /* when set, each event queues this script */
	int reentrant_rc;
};

static struct fx fx;

static void fx_on_event(void *ctx, const char *event, const char *payload)
{
	struct fx *f = ctx;
	if (f->event_count < EVENTS_MAX) {
		struct seen_event *e = &f->events[f->event_count];
		snprintf(e->event, sizeof(e->event), "%s", event);
		snprintf(e->payload, sizeof(e->payload), "%s", payload);
	}
	f->event_count++;
	if (f->reentrant_path != NULL)
		f->reentrant_rc = sn_scripts_notify(f->s, f->reentrant_path, "+reentrant", payload);
}

static void heartbeat_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* The absolute path of a test script (config paths must be absolute; argv[0] is the path). */
static const char *script(const char *name)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	char rel[256];
	char *p = paths[next++ % 8];
	snprintf(rel, sizeof(rel), SCRIPTS_DIR "%s", name);
	if (realpath(rel, p) == NULL)
		snprintf(p, PATH_MAX, "%s", rel);
	return p;
}

static void fx_setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.loop = ev_default_loop(0);
	fx.s = calloc(1, sizeof(*fx.s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.s);
	struct sn_script_hooks hooks = {.ctx = &fx, .on_event = fx_on_event};
	CU_ASSERT_EQUAL_FATAL(sn_scripts_init(fx.s, fx.loop, &hooks), 0);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/vigil-unit-script-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(fx.dir));
	snprintf(fx.out, sizeof(fx.out), "%s/out", fx.dir);
	setenv("VIGIL_SCRIPT_OUT", fx.out, 1);
	/* Orphaned grandchildren come to us, so that the tests can see them die (and pid 1 need
	 * not reap them). */
	CU_ASSERT_EQUAL(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	ev_timer_init(&fx.heartbeat, heartbeat_on_timer, 0.005, 0.005);
	ev_timer_start(fx.loop, &fx.heartbeat);
}

static void fx_teardown(void)
{
	sn_scripts_free(fx.s);
	free(fx.s);
	fx.s = NULL;
	ev_timer_stop(fx.loop, &fx.heartbeat);
	unlink(fx.out);
	rmdir(fx.dir);
	unsetenv("VIGIL_SCRIPT_OUT");
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

typedef bool (*pred_fn)(void *arg);

/* Run the loop until pred holds or timeout_ms passes; returns whether pred holds. */
static bool run_until(pred_fn pred, void *arg, int64_t timeout_ms)
{
	int64_t deadline_ms = sn_clock_now_ms() + timeout_ms;
	while (!pred(arg)) {
		if (sn_clock_now_ms() > deadline_ms)
			return false;
		ev_run(fx.loop, EVRUN_ONCE);
	}
	return true;
}

/* Run the loop for about ms, whatever happens. */
static void run_for(int64_t ms)
{
	int64_t until_ms = sn_clock_now_ms() + ms;
	while (sn_clock_now_ms() < until_ms)
		ev_run(fx.loop, EVRUN_ONCE);
}

static bool queue_empty(void *arg)
{
	(void)arg;
	return sn_scripts_queue_len(fx.s) == 0;
}

static bool events_at_least(void *arg)
{
	return fx.event_count >= *(int *)arg;
}

static int count_lines(void);

static bool lines_at_least(void *arg)
{
	return count_lines() >= *(int *)arg;
}

static bool running_at_least(void *arg)
{
	return sn_scripts_running(fx.s) >= *(uint32_t *)arg;
}

/* Snapshot of SENTINEL PENDING-SCRIPTS. */
struct view_copy {
	char argv[SN_SCRIPT_ARGC_MAX][64];
	uint32_t argc;
	bool running;
	long pid;
	int64_t run_time_ms;
	int64_t run_delay_ms;
	uint32_t retry_num;
};

struct views {
	size_t n;
	struct view_copy v[SN_SCRIPT_MAX_QUEUE];
};

static void collect(void *ctx, const struct sn_script_view *v)
{
	struct views *vs = ctx;
	struct view_copy *c = &vs->v[vs->n++];
	c->argc = v->argc;
	for (uint32_t i = 0; i < v->argc && i < SN_SCRIPT_ARGC_MAX; i++)
		snprintf(c->argv[i], sizeof(c->argv[i]), "%s", v->argv[i]);
	c->running = v->running;
	c->pid = v->pid;
	c->run_time_ms = v->run_time_ms;
	c->run_delay_ms = v->run_delay_ms;
	c->retry_num = v->retry_num;
}

static size_t pending(struct views *vs)
{
	vs->n = 0;
	return sn_scripts_pending(fx.s, sn_clock_now_ms(), vs, collect);
}

/* The only job is waiting for its retry_num-th retry. */
static bool scheduled_after_run(void *arg)
{
	static struct views vs;
	return pending(&vs) == 1 && !vs.v[0].running && vs.v[0].retry_num == *(uint32_t *)arg;
}

static void read_out(char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen(fx.out, "r");
	if (f == NULL)
		return;
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int count_lines(void)
{
	char buf[4096];
	int n = 0;
	read_out(buf, sizeof(buf));
	for (const char *c = buf; *c != '\0'; c++)
		n += *c == '\n';
	return n;
}

/*
 * A grandchild whose script was killed: orphaned, it is ours (subreaper), so it died of SIGKILL
 * if we reap it so, or if it is no longer our child at all (libev's waitpid(-1) reaped it).
 */
static bool grandchild_killed(long pid)
{
	int64_t deadline_ms = sn_clock_now_ms() + 2000;
	for (;;) {
		int status = 0;
		errno = 0;
		pid_t r = waitpid((pid_t)pid, &status, WNOHANG);
		if (r == (pid_t)pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (r < 0)
			return errno == ECHILD;
		if (sn_clock_now_ms() > deadline_ms)
			return false;
		usleep(2000);
	}
}

/* Not our child any more: reaped, so no zombie of ours is left behind. */
static bool reaped(long pid)
{
	errno = 0;
	return waitpid((pid_t)pid, NULL, WNOHANG) == -1 && errno == ECHILD;
}

static void test_script_notify_argv_is_exact(void)
{
	fx_setup();
	const char *path = script("argv.sh");
	char buf[1024];
	char want[1024];

	int rc = sn_scripts_notify(fx.s, path, "+odown", "master m 127.0.0.1 6999 #quorum 1/1");
	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), 1);
	CU_ASSERT_EQUAL(sn_scripts_running(fx.s), 0); /* started from the loop, not in the call */
	bool done = run_until(queue_empty, NULL, WAIT_MS);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(done);
	read_out(buf, sizeof(buf));
	snprintf(want, sizeof(want), "[%s]\n[+odown]\n[master m 127.0.0.1 6999 #quorum 1/1]\n",
	         path);
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(fx.event_count, 0); /* exit 0 reports nothing */
	fx_teardown();
}

static void test_script_reconfig_argv_is_exact(void)
{
	fx_setup();
	const char *path = script("argv.sh");
	struct qu_addr from = {.host = "127.0.0.1", .port = 6379};
	struct qu_addr to = {.host = "::1", .port = 65535};
	char buf[1024];
	char want[1024];

	int rc1 = sn_scripts_reconfig(fx.s, path, "mymaster", SN_SCRIPT_LEADER, &from, &to);
	bool done1 = run_until(queue_empty, NULL, WAIT_MS);
	read_out(buf, sizeof(buf));
	snprintf(want, sizeof(want),
	         "[%s]\n[mymaster]\n[leader]\n[start]\n[127.0.0.1]\n[6379]\n[::1]\n[65535]\n",
	         path);
	CU_ASSERT_STRING_EQUAL(buf, want);
	int rc2 = sn_scripts_reconfig(fx.s, path, "m", SN_SCRIPT_OBSERVER, &to, &from);
	bool done2 = run_until(queue_empty, NULL, WAIT_MS);
	read_out(buf, sizeof(buf));
	snprintf(want, sizeof(want),
	         "[%s]\n[m]\n[observer]\n[start]\n[::1]\n[65535]\n[127.0.0.1]\n[6379]\n", path);

	CU_ASSERT_EQUAL(rc1, 0);
	CU_ASSERT_EQUAL(rc2, 0);
	CU_ASSERT_TRUE(done1);
	CU_ASSERT_TRUE(done2);
	CU_ASSERT_STRING_EQUAL(buf, want);
	fx_teardown();
}

/*
 * stdin/stdout on /dev/null, a descriptor without O_CLOEXEC closed, no blocked or ignored signal
 * although the daemon blocks and ignores some, and a process group of its own.
 */
#define ENV_WANT "/dev/null\n/dev/null\nfd closed\ngroup leader\n"

static void test_script_child_inherits_nothing_of_the_daemon(void)
{
	fx_setup();
	char buf[1024];
	char fdnum[16];
	sigset_t block;
	sigset_t old_mask;
	int raw = open("/dev/null", O_RDONLY);
	int fd = fcntl(raw, F_DUPFD, 40); /* above the shell's own script descriptor */
	close(raw);
	snprintf(fdnum, sizeof(fdnum), "%d", fd);
	setenv("VIGIL_SCRIPT_FD", fdnum, 1);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);

	int rc = sn_scripts_notify(fx.s, script("env.sh"), "+sdown", "x");
	bool done = run_until(queue_empty, NULL, WAIT_MS);
	signal(SIGPIPE, old_pipe);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(fd);
	unsetenv("VIGIL_SCRIPT_FD");
	read_out(buf, sizeof(buf));

	unsigned long long blocked = ~0ULL;
	unsigned long long ignored = ~0ULL;
	const char *masks = buf;
	for (int i = 0; i < 4 && masks != NULL; i++) {
		masks = strchr(masks, '\n');
		masks = masks != NULL ? masks + 1 : NULL;
	}
	int fields = masks != NULL ? sscanf(masks, "%llx %llx", &blocked, &ignored) : 0;

	CU_ASSERT_TRUE_FATAL(fd >= 40);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(done);
	CU_ASSERT_EQUAL(strncmp(buf, ENV_WANT, strlen(ENV_WANT)), 0);
	CU_ASSERT_EQUAL(fields, 2);
	CU_ASSERT_EQUAL(blocked, 0);
	/* Signals 1..31; glibc's posix_spawn ignores its internal 32 and 33, which exec'd glibc
	 * programs take back at startup. */
	CU_ASSERT_EQUAL(ignored & 0x7fffffffULL, 0);
	if (strncmp(buf, ENV_WANT, strlen(ENV_WANT)) != 0)
		fprintf(stderr, "\n  env.sh saw: %s\n", buf);
	fx_teardown();
}

/* Exit >= 2: one run, then -script-error <path> 0 <code>, no retry. */
static void test_script_exit_2_is_not_retried(void)
{
	fx_setup();
	const char *path = script("error.sh");
	char want[SN_SCRIPT_PATH_MAX + 64];
	int one = 1;
	fx.s->retry_delay_ms = 1;

	int rc = sn_scripts_notify(fx.s, path, "+sdown", "x");
	bool got = run_until(events_at_least, &one, WAIT_MS);
	run_for(100); /* a retry would have run by now */

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE_FATAL(got);
	CU_ASSERT_EQUAL(fx.event_count, 1);
	CU_ASSERT_STRING_EQUAL(fx.events[0].event, "-script-error");
	snprintf(want, sizeof(want), "%s 0 2", path);
	CU_ASSERT_STRING_EQUAL(fx.events[0].payload, want);
	CU_ASSERT_EQUAL(count_lines(), 1);
	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), 0);
	fx_teardown();
}

/* Exit 1 is retried after base, 2 base, 4 base (Sentinel's doubling). */
static void test_script_exit_1_retries_with_doubling_delay(void)
{
	fx_setup();
	static struct views vs;
	fx.s->retry_delay_ms = 150;

	int rc = sn_scripts_notify(fx.s, script("fail.sh"), "+sdown", "x");
	CU_ASSERT_EQUAL(rc, 0);
	for (uint32_t run = 1; run <= 3; run++) {
		int64_t want_ms = 150LL << (run - 1);
		bool got = run_until(scheduled_after_run, &run, WAIT_MS);
		CU_ASSERT_TRUE_FATAL(got);
		pending(&vs);
		CU_ASSERT_FALSE(vs.v[0].running);
		CU_ASSERT_EQUAL(vs.v[0].pid, 0);
		CU_ASSERT_EQUAL(vs.v[0].retry_num, run);
		CU_ASSERT_TRUE(vs.v[0].run_delay_ms <= want_ms);
		CU_ASSERT_TRUE(vs.v[0].run_delay_ms > want_ms - 100);
		CU_ASSERT_EQUAL(count_lines(), (int)run);
	}

	CU_ASSERT_EQUAL(fx.event_count, 0);
	fx_teardown();
}

/* Ten runs in all, then -script-error <path> 0 1. */
static void test_script_exit_1_gives_up_after_ten_runs(void)
{
	fx_setup();
	const char *path = script("fail.sh");
	char want[SN_SCRIPT_PATH_MAX + 64];
	fx.s->retry_delay_ms = 1; /* 1, 2, 4, ... 256 ms */

	int rc = sn_scripts_notify(fx.s, path, "+sdown", "x");
	bool done = run_until(queue_empty, NULL, WAIT_MS);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(done);
	CU_ASSERT_EQUAL(count_lines(), SN_SCRIPT_MAX_RETRY);
	CU_ASSERT_EQUAL_FATAL(fx.event_count, 1);
	CU_ASSERT_STRING_EQUAL(fx.events[0].event, "-script-error");
	snprintf(want, sizeof(want), "%s 0 1", path);
	CU_ASSERT_STRING_EQUAL(fx.events[0].payload, want);
	fx_teardown();
}

/* Death by a signal is retried like exit 1; after the last run the signal is reported. */
static void test_script_killed_by_signal_is_retried(void)
{
	fx_setup();
	const char *path = script("killself.sh");
	char want[SN_SCRIPT_PATH_MAX + 64];
	fx.s->retry_delay_ms = 1;

	int rc = sn_scripts_notify(fx.s, path, "+sdown", "x");
	bool done = run_until(queue_empty, NULL, WAIT_MS);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(done);
	CU_ASSERT_EQUAL(count_lines(), SN_SCRIPT_MAX_RETRY);
	CU_ASSERT_EQUAL_FATAL(fx.event_count, 1);
	snprintf(want, sizeof(want), "%s %d 0", path, SIGTERM);
	CU_ASSERT_STRING_EQUAL(fx.events[0].payload, want);
	fx_teardown();
}

static bool one_running(void *arg)
{
	struct views *vs = arg;
	return pending(vs) == 1 && vs->v[0].running && count_lines() == 1;
}

/* Past max_runtime_ms: -script-timeout <path> <pid>, SIGKILL to the group, then a retry. */
static void test_script_timeout_kills_group_and_retries(void)
{
	fx_setup();
	const char *path = script("sleep.sh");
	static struct views vs;
	char buf[256];
	char want[SN_SCRIPT_PATH_MAX + 64];
	long pid = 0;
	long grandchild = 0;
	int one = 1;
	uint32_t first = 1;
	fx.s->max_runtime_ms = 800;
	fx.s->retry_delay_ms = 60000;

	int rc = sn_scripts_notify(fx.s, path, "+sdown", "x");
	bool started = run_until(one_running, &vs, WAIT_MS);
	read_out(buf, sizeof(buf));
	int fields = sscanf(buf, "%ld %ld", &pid, &grandchild);
	bool timed_out = run_until(events_at_least, &one, WAIT_MS);
	bool rescheduled = run_until(scheduled_after_run, &first, WAIT_MS);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE_FATAL(started);
	CU_ASSERT_EQUAL_FATAL(fields, 2);
	CU_ASSERT_EQUAL(vs.v[0].pid, pid);
	CU_ASSERT_TRUE(timed_out);
	CU_ASSERT_TRUE(rescheduled);
	CU_ASSERT_EQUAL_FATAL(fx.event_count, 1);
	CU_ASSERT_STRING_EQUAL(fx.events[0].event, "-script-timeout");
	snprintf(want, sizeof(want), "%s %ld", path, pid);
	CU_ASSERT_STRING_EQUAL(fx.events[0].payload, want);
	CU_ASSERT_TRUE(reaped(pid));
	CU_ASSERT_TRUE(grandchild_killed(grandchild));
	fx_teardown();
}

/* 20 long scripts: 16 run, 4 wait in order; free kills and reaps all, grandchildren too. */
static void test_script_concurrency_bound_and_free_with_children(void)
{
	fx_setup();
	const char *path = script("sleep.sh");
	static struct views vs;
	uint32_t max = SN_SCRIPT_MAX_RUNNING;
	char payload[32];
	int rc = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(payload, sizeof(payload), "n%d", i);
		rc |= sn_scripts_notify(fx.s, path, "+sdown", payload);
	}

	bool full = run_until(running_at_least, &max, WAIT_MS);
	run_for(200);
	pending(&vs);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE_FATAL(full);
	CU_ASSERT_EQUAL(sn_scripts_running(fx.s), SN_SCRIPT_MAX_RUNNING);
	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), 20);
	CU_ASSERT_EQUAL_FATAL(vs.n, 20);
	for (size_t i = 0; i < vs.n; i++) {
		snprintf(payload, sizeof(payload), "n%zu", i);
		CU_ASSERT_STRING_EQUAL(vs.v[i].argv[2], payload);
		CU_ASSERT_EQUAL(vs.v[i].running, i < SN_SCRIPT_MAX_RUNNING);
		CU_ASSERT_EQUAL(vs.v[i].pid > 0, i < SN_SCRIPT_MAX_RUNNING);
		CU_ASSERT_EQUAL(vs.v[i].retry_num, i < SN_SCRIPT_MAX_RUNNING ? 1u : 0u);
		CU_ASSERT_EQUAL(vs.v[i].run_delay_ms, 0);
		CU_ASSERT_TRUE(vs.v[i].run_time_ms >= 0);
	}
	int sixteen = SN_SCRIPT_MAX_RUNNING;
	bool all_wrote = run_until(lines_at_least, &sixteen, WAIT_MS);
	CU_ASSERT_TRUE(all_wrote);
	CU_ASSERT_EQUAL(count_lines(), SN_SCRIPT_MAX_RUNNING);
	char buf[4096];
	read_out(buf, sizeof(buf));
	sn_scripts_free(fx.s);

	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), 0);
	for (size_t i = 0; i < SN_SCRIPT_MAX_RUNNING; i++)
		CU_ASSERT_TRUE(reaped(vs.v[i].pid));
	long pid = 0;
	long grandchild = 0;
	for (const char *line = buf; sscanf(line, "%ld %ld", &pid, &grandchild) == 2;) {
		CU_ASSERT_TRUE(grandchild_killed(grandchild));
		line = strchr(line, '\n');
		if (line == NULL)
			break;
		line++;
	}
	CU_ASSERT_EQUAL(fx.event_count, 0); /* teardown reports nothing */
	fx_teardown();
}

/* 300 jobs: the 44 oldest give way; with 16 running, the oldest waiting ones go first. */
static void test_script_queue_is_bounded(void)
{
	fx_setup();
	static struct views vs;
	char payload[32];
	uint32_t max = SN_SCRIPT_MAX_RUNNING;
	int rc = 0;
	for (int i = 0; i < SN_SCRIPT_MAX_RUNNING; i++)
		rc |= sn_scripts_notify(fx.s, script("sleep.sh"), "+sdown", "sleeper");
	bool full = run_until(running_at_least, &max, WAIT_MS);
	for (int i = 0; i < 300; i++) {
		snprintf(payload, sizeof(payload), "n%d", i);
		rc |= sn_scripts_notify(fx.s, script("ok.sh"), "+sdown", payload);
	}

	size_t n = pending(&vs);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE_FATAL(full);
	CU_ASSERT_EQUAL(n, SN_SCRIPT_MAX_QUEUE);
	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), SN_SCRIPT_MAX_QUEUE);
	CU_ASSERT_EQUAL(fx.s->dropped, 300 - (SN_SCRIPT_MAX_QUEUE - SN_SCRIPT_MAX_RUNNING));
	for (size_t i = 0; i < SN_SCRIPT_MAX_RUNNING; i++) {
		CU_ASSERT_TRUE(vs.v[i].running);
		CU_ASSERT_STRING_EQUAL(vs.v[i].argv[2], "sleeper");
	}
	CU_ASSERT_STRING_EQUAL(vs.v[SN_SCRIPT_MAX_RUNNING].argv[2], "n60");
	CU_ASSERT_STRING_EQUAL(vs.v[SN_SCRIPT_MAX_QUEUE - 1].argv[2], "n299");
	fx_teardown();
}

/* Many short jobs drain, never more than 16 at once. */
static uint32_t most_running;

static bool drained_watching_running(void *arg)
{
	(void)arg;
	if (sn_scripts_running(fx.s) > most_running)
		most_running = sn_scripts_running(fx.s);
	return sn_scripts_queue_len(fx.s) == 0;
}

static void test_script_queue_drains_sixteen_at_a_time(void)
{
	fx_setup();
	int rc = 0;
	most_running = 0;
	for (int i = 0; i < 40; i++)
		rc |= sn_scripts_notify(fx.s, script("ok.sh"), "+sdown", "x");

	bool done = run_until(drained_watching_running, NULL, WAIT_MS * 3);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(done);
	CU_ASSERT_TRUE(most_running > 0);
	CU_ASSERT_TRUE(most_running <= SN_SCRIPT_MAX_RUNNING);
	CU_ASSERT_EQUAL(sn_scripts_running(fx.s), 0);
	CU_ASSERT_EQUAL(fx.event_count, 0);
	fx_teardown();
}

/* A program that cannot be executed: Sentinel's child would _exit(2), so "0 2" and no retry. */
static void test_script_exec_failure_is_error_without_retry(void)
{
	fx_setup();
	const char *missing = "/nonexistent/vigil-script.sh";
	const char *plain = script("not-executable.txt");
	char want[SN_SCRIPT_PATH_MAX + 64];
	int two = 2;

	int rc1 = sn_scripts_notify(fx.s, missing, "+sdown", "x");
	int rc2 = sn_scripts_notify(fx.s, plain, "+sdown", "x");
	bool got = run_until(events_at_least, &two, WAIT_MS);

	CU_ASSERT_EQUAL(rc1, 0);
	CU_ASSERT_EQUAL(rc2, 0);
	CU_ASSERT_TRUE_FATAL(got);
	CU_ASSERT_STRING_EQUAL(fx.events[0].event, "-script-error");
	snprintf(want, sizeof(want), "%s 0 2", missing);
	CU_ASSERT_STRING_EQUAL(fx.events[0].payload, want);
	snprintf(want, sizeof(want), "%s 0 2", plain);
	CU_ASSERT_STRING_EQUAL(fx.events[1].payload, want);
	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), 0);
	fx_teardown();
}

static int spawn_eagain(char *const argv[], pid_t *pid)
{
	(void)argv;
	(void)pid;
	return EAGAIN;
}

/* No child could be created: "-script-error <path> 99 0", and the job waits for a retry. */
static void test_script_fork_failure_is_signal_99_and_retried(void)
{
	fx_setup();
	const char *path = script("argv.sh");
	char want[SN_SCRIPT_PATH_MAX + 64];
	static struct views vs;
	int one = 1;
	fx.s->spawn = spawn_eagain;
	fx.s->retry_delay_ms = 200;

	int rc = sn_scripts_notify(fx.s, path, "+sdown", "x");
	bool got = run_until(events_at_least, &one, WAIT_MS);
	pending(&vs);
	fx.s->spawn = sn_scripts_spawn;
	bool done = run_until(queue_empty, NULL, WAIT_MS);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE_FATAL(got);
	CU_ASSERT_STRING_EQUAL(fx.events[0].event, "-script-error");
	snprintf(want, sizeof(want), "%s 99 0", path);
	CU_ASSERT_STRING_EQUAL(fx.events[0].payload, want);
	CU_ASSERT_EQUAL_FATAL(vs.n, 1);
	CU_ASSERT_FALSE(vs.v[0].running);
	CU_ASSERT_EQUAL(vs.v[0].retry_num, 1);
	CU_ASSERT_TRUE(vs.v[0].run_delay_ms > 100 && vs.v[0].run_delay_ms <= 200);
	CU_ASSERT_TRUE(done);
	CU_ASSERT_EQUAL(fx.event_count, 1);
	CU_ASSERT_EQUAL(count_lines(), 3); /* argv.sh ran once: path, event, payload */
	fx_teardown();
}

/* The hook may queue scripts (the daemon might): the queue stays consistent. */
static void test_script_hook_may_queue_more(void)
{
	fx_setup();
	const char *path = script("argv.sh");
	char buf[1024];
	char want[1024];
	fx.reentrant_path = path;

	int rc = sn_scripts_notify(fx.s, script("error.sh"), "+sdown", "x");
	bool done = run_until(queue_empty, NULL, WAIT_MS);
	bool settled = fx.event_count == 1 && fx.reentrant_rc == 0;

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(done);
	CU_ASSERT_TRUE(settled);
	read_out(buf, sizeof(buf));
	snprintf(want, sizeof(want), "[%s]\n[+reentrant]\n[%s 0 2]\n", path, script("error.sh"));
	CU_ASSERT_STRING_EQUAL(buf, want);
	fx_teardown();
}

static void test_script_rejects_bad_arguments(void)
{
	fx_setup();
	static char long_payload[SN_SCRIPT_ARG_MAX + 1];
	static char long_path[SN_SCRIPT_PATH_MAX + 1];
	struct qu_addr a = {.host = "10.0.0.1", .port = 1};
	memset(long_payload, 'x', sizeof(long_payload) - 1);
	memset(long_path, '/', sizeof(long_path) - 1);

	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, "", "+sdown", "x"), 0);
	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, NULL, "+sdown", "x"), 0);
	CU_ASSERT_EQUAL(sn_scripts_reconfig(fx.s, "", "m", SN_SCRIPT_LEADER, &a, &a), 0);
	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, "/bin/true", NULL, "x"), -EINVAL);
	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, "/bin/true", "+sdown", NULL), -EINVAL);
	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, "/bin/true", "+sdown", long_payload), -EINVAL);
	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, long_path, "+sdown", "x"), -EINVAL);
	CU_ASSERT_EQUAL(sn_scripts_reconfig(fx.s, "/bin/true", "m", SN_SCRIPT_LEADER, NULL, &a),
	                -EINVAL);
	CU_ASSERT_EQUAL(sn_scripts_reconfig(fx.s, "/bin/true", "m", (enum sn_script_role)7, &a, &a),
	                -EINVAL);
	long_payload[SN_SCRIPT_ARG_MAX - 1] = '\0'; /* the longest accepted */
	CU_ASSERT_EQUAL(sn_scripts_notify(fx.s, "/bin/true", "+sdown", long_payload), 0);
	CU_ASSERT_EQUAL(sn_scripts_queue_len(fx.s), 1);
	fx_teardown();
}

static void test_script_init_needs_default_loop(void)
{
	struct ev_loop *other = ev_loop_new(EVFLAG_AUTO);
	struct sn_scripts *s = calloc(1, sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	int rc = sn_scripts_init(s, other, NULL);
	int rc_notify = sn_scripts_notify(s, "/bin/true", "+sdown", "x");
	sn_scripts_free(s); /* safe after a failed init */
	sn_scripts_free(s);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(rc_notify, -EINVAL);
	free(s);
	ev_loop_destroy(other);
}

static void test_script_retry_delay_doubles(void)
{
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(30000, 1), 30000);
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(30000, 2), 60000);
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(30000, 3), 120000);
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(30000, 9), 30000LL << 8); /* 128 min */
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(30000, 0), 30000);
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(0, 1), 1);
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(INT64_MAX / 2, 3), INT64_MAX / 4);
	CU_ASSERT_EQUAL(sn_scripts_retry_delay_ms(1, UINT32_MAX), INT64_MAX / 4);
}

CU_TestInfo script_tests[] = {
    {"notify argv is path, event, payload", test_script_notify_argv_is_exact},
    {"reconfig argv is Sentinel's seven arguments", test_script_reconfig_argv_is_exact},
    {"child inherits no fd, mask or group", test_script_child_inherits_nothing_of_the_daemon},
    {"exit 2 is reported, not retried", test_script_exit_2_is_not_retried},
    {"exit 1 retries with doubling delay", test_script_exit_1_retries_with_doubling_delay},
    {"exit 1 gives up after ten runs", test_script_exit_1_gives_up_after_ten_runs},
    {"death by signal is retried", test_script_killed_by_signal_is_retried},
    {"timeout kills the group, reports, retries", test_script_timeout_kills_group_and_retries},
    {"16 run at once; free reaps them", test_script_concurrency_bound_and_free_with_children},
    {"queue keeps the 256 newest, running kept", test_script_queue_is_bounded},
    {"queue drains 16 at a time", test_script_queue_drains_sixteen_at_a_time},
    {"exec failure is 0 2, not retried", test_script_exec_failure_is_error_without_retry},
    {"fork failure is signal 99, retried", test_script_fork_failure_is_signal_99_and_retried},
    {"hook may queue more scripts", test_script_hook_may_queue_more},
    {"bad arguments are refused", test_script_rejects_bad_arguments},
    {"init needs the default loop", test_script_init_needs_default_loop},
    {"retry delay doubles and saturates", test_script_retry_delay_doubles},
    CU_TEST_INFO_NULL,
};
