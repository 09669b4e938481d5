// SPDX-License-Identifier: BSD-3-Clause
/*
 * Script runs (script.h): the job queue of struct sn_scripts, posix_spawn of each child into its
 * own process group with stdin/stdout on /dev/null and no other inherited descriptor, then its
 * exit (ev_child) and its deadline (ev_timer). It never blocks the loop (sn_scripts_free aside),
 * never starts a script inside an API call, and reports an event only once the queue is whole.
 */
/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) is a GNU extension. */
#define _GNU_SOURCE
#include "script.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "quorum.h"

#define SCRIPT_ASSERT(cond) ((cond) ? (void)0 : qu_panic(__FILE__, __LINE__, #cond))
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Far enough that now + delay never overflows, far beyond Sentinel's 128 minutes. */
#define RETRY_DELAY_CAP_MS (INT64_MAX / 4)

/* Wire strings of client-reconfig-script's role argument, by enum sn_script_role. */
static const char *const role_names[] = {
    [SN_SCRIPT_LEADER] = "leader",
    [SN_SCRIPT_OBSERVER] = "observer",
};

/* Signals a script starts with at their default action: the daemon ignores SIGPIPE. */
static const int default_signals[] = {SIGPIPE, SIGHUP,  SIGINT,  SIGTERM, SIGQUIT, SIGCHLD,
                                      SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU};

/* An event to report once the queue is consistent again (the hook may queue more scripts). */
struct outcome {
	bool report;
	const char *event;
	char payload[SN_SCRIPT_PATH_MAX + 64];
};

static void scripts_on_wake(struct ev_loop *loop, ev_timer *w, int revents);
static void job_on_exit(struct ev_loop *loop, ev_child *w, int revents);
static void job_on_deadline(struct ev_loop *loop, ev_timer *w, int revents);

static void emit(struct sn_scripts *s, const struct outcome *o)
{
	if (o->report && s->hooks.on_event != NULL)
		s->hooks.on_event(s->hooks.ctx, o->event, o->payload);
}

int64_t sn_scripts_retry_delay_ms(int64_t base_ms, uint32_t retry_num)
{
	int64_t delay = base_ms > 0 ? base_ms : 1;
	/* Sentinel: 30 s, 60 s, 2 min, ... (sentinelScriptRetryDelay). */
	for (uint32_t i = 1; i < retry_num && i < 64; i++) {
		if (delay > RETRY_DELAY_CAP_MS / 2)
			return RETRY_DELAY_CAP_MS;
		delay *= 2;
	}
	return delay < RETRY_DELAY_CAP_MS ? delay : RETRY_DELAY_CAP_MS;
}

static void job_reset(struct sn_scripts *s, struct sn_script_job *j)
{
	free(j->args);
	memset(j, 0, sizeof(*j));
	j->owner = s;
	ev_child_init(&j->child, job_on_exit, 0, 0);
	ev_timer_init(&j->deadline, job_on_deadline, 0., 0.);
}

int sn_scripts_init(struct sn_scripts *s, struct ev_loop *loop, const struct sn_script_hooks *hooks)
{
	memset(s, 0, sizeof(*s));
	/* libev delivers child exits only to the default loop. */
	if (loop == NULL || !ev_is_default_loop(loop))
		return -EINVAL;
	s->loop = loop;
	if (hooks != NULL)
		s->hooks = *hooks;
	s->max_runtime_ms = SN_SCRIPT_MAX_RUNTIME_MS;
	s->retry_delay_ms = SN_SCRIPT_RETRY_DELAY_MS;
	s->spawn = sn_scripts_spawn;
	ev_timer_init(&s->wake, scripts_on_wake, 0., 0.);
	for (size_t i = 0; i < SN_SCRIPT_MAX_QUEUE; i++)
		job_reset(s, &s->jobs[i]);
	return 0;
}

static struct sn_script_job *job_at(struct sn_scripts *s, uint32_t i)
{
	return &s->jobs[s->order[i]];
}

static uint32_t index_of(const struct sn_scripts *s, const struct sn_script_job *j)
{
	uint16_t slot = (uint16_t)(j - s->jobs);
	uint32_t i = 0;
	while (i < s->len && s->order[i] != slot)
		i++;
	SCRIPT_ASSERT(i < s->len);
	return i;
}

/* Drop the i-th job (not running) and close the gap. */
static void queue_remove(struct sn_scripts *s, uint32_t i)
{
	job_reset(s, job_at(s, i));
	memmove(&s->order[i], &s->order[i + 1], (s->len - i - 1) * sizeof(s->order[0]));
	s->len--;
}

/* Sentinel keeps at most 256 jobs: the oldest one not running gives way to a new one. */
static void evict_oldest_scheduled(struct sn_scripts *s)
{
	uint32_t i = 0;
	while (i < s->len && job_at(s, i)->running)
		i++;
	SCRIPT_ASSERT(i < s->len); /* at most 16 of 256 run */
	s->dropped++;
	if (!s->full_logged)
		sn_log(SN_LOG_WARNING,
		       "event=script-dropped reason=queue-full path=%s dropped=%llu",
		       job_at(s, i)->argv[0], (unsigned long long)s->dropped);
	queue_remove(s, i);
	s->full_logged = true; /* once per full episode; a finished job ends it */
}

static uint16_t free_slot(const struct sn_scripts *s)
{
	uint16_t slot = 0;
	while (slot < SN_SCRIPT_MAX_QUEUE && s->jobs[slot].used)
		slot++;
	return slot;
}

/* Start (or restart) the wake timer at the earliest due start; none while all slots run. */
static void arm_wake(struct sn_scripts *s, int64_t now_ms)
{
	ev_timer_stop(s->loop, &s->wake);
	if (s->running >= SN_SCRIPT_MAX_RUNNING)
		return; /* a child's exit re-arms it */
	int64_t next = INT64_MAX;
	for (uint32_t i = 0; i < s->len; i++) {
		const struct sn_script_job *j = job_at(s, i);
		if (!j->running && j->start_at_ms < next)
			next = j->start_at_ms;
	}
	if (next == INT64_MAX)
		return;
	int64_t delay_ms = next > now_ms ? next - now_ms : 0;
	ev_timer_set(&s->wake, (double)delay_ms / 1000.0, 0.);
	ev_timer_start(s->loop, &s->wake);
}

/* Copy argc strings into one block and queue the job; the loop starts it. */
static int enqueue(struct sn_scripts *s, const char *const *args, uint32_t argc)
{
	size_t total = 0;
	for (uint32_t i = 0; i < argc; i++)
		total += strlen(args[i]) + 1;
	char *block = malloc(total);
	if (block == NULL)
		return -ENOMEM;
	if (s->len == SN_SCRIPT_MAX_QUEUE)
		evict_oldest_scheduled(s);
	uint16_t slot = free_slot(s);
	SCRIPT_ASSERT(slot < SN_SCRIPT_MAX_QUEUE);
	struct sn_script_job *j = &s->jobs[slot];
	j->args = block;
	j->argc = argc;
	for (uint32_t i = 0; i < argc; i++) {
		size_t n = strlen(args[i]) + 1;
		memcpy(block, args[i], n);
		j->argv[i] = block;
		block += n;
	}
	j->argv[argc] = NULL;
	j->used = true;
	s->order[s->len++] = slot;
	ev_timer_stop(s->loop, &s->wake);
	ev_timer_set(&s->wake, 0., 0.);
	ev_timer_start(s->loop, &s->wake);
	return 0;
}

static int check_args(const struct sn_scripts *s, const char *const *args, uint32_t argc)
{
	if (s->loop == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < argc; i++) {
		size_t max = i == 0 ? SN_SCRIPT_PATH_MAX : SN_SCRIPT_ARG_MAX;
		if (args[i] == NULL || strnlen(args[i], max) == max)
			return -EINVAL;
	}
	return 0;
}

int sn_scripts_notify(struct sn_scripts *s, const char *path, const char *event,
                      const char *payload)
{
	if (path == NULL || path[0] == '\0')
		return 0;
	const char *args[] = {path, event, payload};
	int rc = check_args(s, args, 3);
	return rc != 0 ? rc : enqueue(s, args, 3);
}

int sn_scripts_reconfig(struct sn_scripts *s, const char *path, const char *name,
                        enum sn_script_role role, const struct qu_addr *from,
                        const struct qu_addr *to)
{
	if (path == NULL || path[0] == '\0')
		return 0;
	if ((role != SN_SCRIPT_LEADER && role != SN_SCRIPT_OBSERVER) || from == NULL || to == NULL)
		return -EINVAL;
	char from_port[8];
	char to_port[8];
	snprintf(from_port, sizeof(from_port), "%u", (unsigned)from->port);
	snprintf(to_port, sizeof(to_port), "%u", (unsigned)to->port);
	/* sentinelCallClientReconfScript: the state is always "start". */
	const char *args[] = {path,       name,      role_names[role], "start",
	                      from->host, from_port, to->host,         to_port};
	int rc = check_args(s, args, 8);
	return rc != 0 ? rc : enqueue(s, args, 8);
}

static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr)
{
	sigset_t none;
	sigset_t dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	for (size_t i = 0; i < sizeof(default_signals) / sizeof(default_signals[0]); i++)
		sigaddset(&dfl, default_signals[i]);
	int rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	/* stderr stays (the daemon's log when it logs to stderr); hiredis sockets lack CLOEXEC. */
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
#endif
	/* Its own process group, so that a timeout also kills what the script started. */
	short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (rc == 0)
		rc = posix_spawnattr_setflags(attr, flags);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(attr,
		                                &none); /* libev blocks the signals it handles */
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(attr, &dfl);
	return rc;
}

int sn_scripts_spawn(char *const argv[], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		return rc;
	rc = posix_spawnattr_init(&attr);
	if (rc != 0)
		goto out_fa;
	rc = spawn_setup(&fa, &attr);
	if (rc == 0)
		rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static int job_start(struct sn_scripts *s, struct sn_script_job *j, int64_t now_ms)
{
	j->retry_num++; /* Sentinel counts every attempt, the first one included */
	j->start_at_ms = now_ms;
	pid_t pid = 0;
	int rc = s->spawn(j->argv, &pid);
	if (rc != 0)
		return rc;
	j->pid = pid;
	j->running = true;
	s->running++;
	j->child.rpid = 0;
	ev_child_set(&j->child, pid, 0);
	ev_child_start(s->loop, &j->child);
	ev_timer_set(&j->deadline, (double)s->max_runtime_ms / 1000.0, 0.);
	ev_timer_start(s->loop, &j->deadline);
	sn_log(SN_LOG_DEBUG, "event=+script-child pid=%ld path=%s", (long)pid, j->argv[0]);
	return 0;
}

/*
 * posix_spawn failed. No child was created (EAGAIN, ENOMEM): Sentinel's fork failure, reported as
 * signal 99 and retried. Otherwise exec failed, where Sentinel's child does _exit(2): "0 2", and
 * exit code 2 means no retry.
 */
static void job_start_failed(struct sn_scripts *s, uint32_t i, int err, int64_t now_ms,
                             struct outcome *o)
{
	struct sn_script_job *j = job_at(s, i);
	bool no_child = err == EAGAIN || err == ENOMEM;
	sn_log(SN_LOG_NOTICE, "event=script-spawn-failed path=%s err=\"%s\"", j->argv[0],
	       strerror(err));
	o->report = true;
	o->event = SN_SCRIPT_EV_ERROR;
	snprintf(o->payload, sizeof(o->payload), "%s %d %d", j->argv[0],
	         no_child ? SN_SCRIPT_FORK_FAILED_SIGNAL : 0, no_child ? 0 : 2);
	if (no_child && j->retry_num < SN_SCRIPT_MAX_RETRY)
		j->start_at_ms =
		    now_ms + sn_scripts_retry_delay_ms(s->retry_delay_ms, j->retry_num);
	else
		queue_remove(s, i);
}

/* Start due jobs, oldest first. Stops at a failed start, filling *o: true if so. */
static bool start_due(struct sn_scripts *s, int64_t now_ms, struct outcome *o)
{
	for (uint32_t i = 0; i < s->len && s->running < SN_SCRIPT_MAX_RUNNING; i++) {
		struct sn_script_job *j = job_at(s, i);
		if (j->running || j->start_at_ms > now_ms)
			continue;
		int rc = job_start(s, j, now_ms);
		if (rc == 0)
			continue;
		job_start_failed(s, i, rc, now_ms, o);
		return true;
	}
	return false;
}

static void scripts_on_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sn_scripts *s = container_of(w, struct sn_scripts, wake);
	/* Each failed start removes its job or delays it: the passes are bounded by the queue. */
	for (uint32_t pass = 0; pass <= SN_SCRIPT_MAX_QUEUE; pass++) {
		struct outcome o = {.report = false};
		bool failed = start_due(s, sn_clock_now_ms(), &o);
		emit(s, &o);
		if (!failed)
			break;
	}
	arm_wake(s, sn_clock_now_ms());
}

/* Sentinel's sentinelCollectTerminatedScripts: exit 1 or a signal is retried, >= 2 is final. */
static void job_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	(void)revents;
	struct sn_script_job *j = container_of(w, struct sn_script_job, child);
	struct sn_scripts *s = j->owner;
	int status = w->rstatus;
	int signum = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	ev_child_stop(loop, w);
	ev_timer_stop(loop, &j->deadline);
	sn_log(SN_LOG_DEBUG, "event=-script-child pid=%ld exit=%d signal=%d", (long)j->pid, code,
	       signum);
	s->running--;
	j->running = false;
	j->pid = 0;
	int64_t now_ms = sn_clock_now_ms();
	struct outcome o = {.report = false};
	if ((signum != 0 || code == 1) && j->retry_num < SN_SCRIPT_MAX_RETRY) {
		j->start_at_ms =
		    now_ms + sn_scripts_retry_delay_ms(s->retry_delay_ms, j->retry_num);
	} else {
		if (signum != 0 || code != 0) {
			o.report = true;
			o.event = SN_SCRIPT_EV_ERROR;
			snprintf(o.payload, sizeof(o.payload), "%s %d %d", j->argv[0], signum,
			         code);
		}
		queue_remove(s, index_of(s, j));
		s->full_logged = false;
	}
	arm_wake(s, now_ms);
	emit(s, &o);
}

static void kill_group(struct sn_script_job *j)
{
	/* The group dies with its leader; the plain pid if the group is already gone. */
	if (kill(-j->pid, SIGKILL) != 0)
		(void)kill(j->pid, SIGKILL);
}

/* Sentinel's sentinelKillTimedoutScripts: the kill is seen as a death by signal, so retried. */
static void job_on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sn_script_job *j = container_of(w, struct sn_script_job, deadline);
	struct outcome o = {.report = true, .event = SN_SCRIPT_EV_TIMEOUT};
	snprintf(o.payload, sizeof(o.payload), "%s %ld", j->argv[0], (long)j->pid);
	kill_group(j);
	emit(j->owner, &o);
}

/* Kill and reap a running job's child, unless libev reaped it already (its exit is pending). */
static void stop_child(struct sn_scripts *s, struct sn_script_job *j)
{
	bool reaped = j->child.rpid == j->pid;
	ev_timer_stop(s->loop, &j->deadline);
	ev_child_stop(s->loop, &j->child);
	if (reaped)
		return;
	kill_group(j);
	while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void sn_scripts_free(struct sn_scripts *s)
{
	if (s == NULL || s->loop == NULL)
		return;
	ev_timer_stop(s->loop, &s->wake);
	for (uint32_t i = 0; i < s->len; i++) {
		struct sn_script_job *j = job_at(s, i);
		if (j->running)
			stop_child(s, j);
		free(j->args);
	}
	memset(s, 0, sizeof(*s));
}

size_t sn_scripts_pending(const struct sn_scripts *s, int64_t now_ms, void *ctx,
                          sn_script_visit_fn visit)
{
	for (uint32_t i = 0; i < s->len; i++) {
		const struct sn_script_job *j = &s->jobs[s->order[i]];
		struct sn_script_view v = {
		    .argv = (const char *const *)j->argv,
		    .argc = j->argc,
		    .running = j->running,
		    .pid = j->running ? (long)j->pid : 0,
		    .retry_num = j->retry_num,
		};
		if (j->running)
			v.run_time_ms = now_ms - j->start_at_ms;
		else if (j->start_at_ms > now_ms)
			v.run_delay_ms = j->start_at_ms - now_ms;
		visit(ctx, &v);
	}
	return s->len;
}

uint32_t sn_scripts_running(const struct sn_scripts *s)
{
	return s->running;
}

uint32_t sn_scripts_queue_len(const struct sn_scripts *s)
{
	return s->len;
}
