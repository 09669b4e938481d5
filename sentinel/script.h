/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notification-script and client-reconfig-script runs, with Sentinel 7.0's argv, queue, timeout
 * and retry rules (sentinel-protocol.md §7, §1.5): a bounded queue of jobs, at most 16 children at
 * once, each watched by an ev_child and an ev_timer of the libev default loop. It decides nothing
 * about *when* a script is due (the daemon calls it on events) and never blocks, except in
 * sn_scripts_free, which kills and reaps its children.
 */
#ifndef SN_SCRIPT_H
#define SN_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

#include "quorum_types.h"

/* Sentinel's limits (SENTINEL_SCRIPT_MAX_QUEUE / MAX_RUNNING / MAX_RETRY / MAX_RUNTIME / ...). */
#define SN_SCRIPT_MAX_QUEUE 256
#define SN_SCRIPT_MAX_RUNNING 16
#define SN_SCRIPT_MAX_RETRY 10 /* runs in all, the first included */
#define SN_SCRIPT_MAX_RUNTIME_MS 60000
#define SN_SCRIPT_RETRY_DELAY_MS                                                                   \
	30000 /* after the first failed run, doubled after each next one                           \
	       */
#define SN_SCRIPT_FORK_FAILED_SIGNAL                                                               \
	99                            /* "-script-error <path> 99 0": the child was not created    \
	                               */
#define SN_SCRIPT_ARGC_MAX 8          /* client-reconfig: path + 7 arguments */
#define SN_SCRIPT_PATH_MAX 4096       /* incl. NUL, as SN_PATH_MAX */
#define SN_SCRIPT_ARG_MAX QU_TEXT_MAX /* any other argument, incl. NUL */

/* Sentinel's wire names of the events this module reports (level W, published, no instance). */
#define SN_SCRIPT_EV_ERROR "-script-error"     /* payload "<path> <signal> <exit-code>" */
#define SN_SCRIPT_EV_TIMEOUT "-script-timeout" /* payload "<path> <pid>" */

/*
 * Called for -script-error and -script-timeout with the exact Sentinel payload. Sentinel passes no
 * instance for them, so they must not trigger a notification script themselves. The hook may call
 * sn_scripts_notify/sn_scripts_reconfig, never sn_scripts_free.
 */
typedef void (*sn_script_event_fn)(void *ctx, const char *event, const char *payload);

struct sn_script_hooks {
	void *ctx;
	sn_script_event_fn on_event; /* may be NULL */
};

/*
 * Start argv[0] with argv as posix_spawn would, with the child's setup of sn_scripts (own process
 * group, stdin/stdout on /dev/null, no other descriptor). Returns 0 and *pid, or a positive
 * errno: EAGAIN or ENOMEM mean no child was created, anything else that exec failed.
 */
typedef int (*sn_script_spawn_fn)(char *const argv[], pid_t *pid);

enum sn_script_role {
	SN_SCRIPT_LEADER = 0, /* "leader": this watcher promoted the replica */
	SN_SCRIPT_OBSERVER,   /* "observer": switched on another watcher's hello */
};

/* One queued run. Private to script.c; embedded here so that struct sn_scripts needs no malloc. */
struct sn_script_job {
	ev_child child;    /* running: the child's exit */
	ev_timer deadline; /* running: max_runtime_ms after the start */
	struct sn_scripts *owner;
	char *args;                         /* malloc'd block holding the argv strings */
	char *argv[SN_SCRIPT_ARGC_MAX + 1]; /* into args, NULL-terminated; argv[0] is the path */
	uint32_t argc;
	bool used;
	bool running;
	pid_t pid;           /* running: the child (also its process group) */
	int64_t start_at_ms; /* running: started at; else earliest start, 0 = now */
	uint32_t retry_num;  /* runs started so far (Sentinel's retry_num) */
};

struct sn_scripts {
	struct ev_loop *loop; /* the default loop: ev_child works nowhere else */
	struct sn_script_hooks hooks;
	/* Sentinel's SCRIPT-MAX-RUNTIME / SCRIPT-RETRY-DELAY, > 0; tests shorten them. */
	int64_t max_runtime_ms;
	int64_t retry_delay_ms;
	sn_script_spawn_fn spawn; /* sn_scripts_spawn; a seam for fault injection in tests */
	ev_timer wake;            /* the next due start */
	uint32_t running;         /* jobs with a live child, <= SN_SCRIPT_MAX_RUNNING */
	uint32_t len;             /* jobs queued, running ones included */
	uint16_t order[SN_SCRIPT_MAX_QUEUE]; /* slots of the queued jobs, oldest first */
	uint64_t dropped;                    /* scheduled jobs evicted by a full queue */
	bool full_logged;
	struct sn_script_job jobs[SN_SCRIPT_MAX_QUEUE];
};

/* What SENTINEL PENDING-SCRIPTS shows of one job (sentinel-protocol.md §6.2). */
struct sn_script_view {
	const char *const *argv;
	uint32_t argc;
	bool running;         /* flags: "running" or "scheduled" */
	long pid;             /* 0 unless running */
	int64_t run_time_ms;  /* running: since its start */
	int64_t run_delay_ms; /* scheduled: until it may start, >= 0 */
	uint32_t retry_num;
};

typedef void (*sn_script_visit_fn)(void *ctx, const struct sn_script_view *v);

/*
 * Set up an empty queue on loop, which must be the libev default loop (ev_child needs it).
 * Timeouts and retry delays start at Sentinel's defaults. Returns 0, or -EINVAL for another loop
 * (s is then still sn_scripts_free-safe). hooks is copied.
 */
int sn_scripts_init(struct sn_scripts *s, struct ev_loop *loop, const struct sn_script_hooks *hooks)
    __attribute__((warn_unused_result));

/*
 * Stop everything: SIGKILL each running child's process group and reap the child (blocking, but a
 * killed child exits at once), free the queue. No event is reported. Call it before the loop is
 * destroyed. Idempotent; a zeroed s is fine.
 */
void sn_scripts_free(struct sn_scripts *s);

/*
 * Queue "<path> <event> <payload>" (a notification-script run). An empty or NULL path means no
 * script: nothing is queued and 0 is returned. A full queue evicts its oldest job not running,
 * like Sentinel. The run starts from the loop, never inside this call. Strings are copied.
 * Returns 0, -EINVAL if path is not below SN_SCRIPT_PATH_MAX or another argument not below
 * SN_SCRIPT_ARG_MAX bytes, or -ENOMEM.
 */
int sn_scripts_notify(struct sn_scripts *s, const char *path, const char *event,
                      const char *payload) __attribute__((warn_unused_result));

/*
 * Queue "<path> <name> <leader|observer> start <from-ip> <from-port> <to-ip> <to-port>" (a
 * client-reconfig-script run). Same rules and results as sn_scripts_notify.
 */
int sn_scripts_reconfig(struct sn_scripts *s, const char *path, const char *name,
                        enum sn_script_role role, const struct qu_addr *from,
                        const struct qu_addr *to) __attribute__((warn_unused_result));

/*
 * Visit every queued job, oldest first (the order of SENTINEL PENDING-SCRIPTS), with now_ms from
 * sn_clock_now_ms(). The view points into s: valid during the call only, and visit must not
 * change s. Returns the number of jobs visited (= sn_scripts_queue_len).
 */
size_t sn_scripts_pending(const struct sn_scripts *s, int64_t now_ms, void *ctx,
                          sn_script_visit_fn visit);

/* INFO sentinel: sentinel_running_scripts and sentinel_scripts_queue_length (running included). */
uint32_t sn_scripts_running(const struct sn_scripts *s);
uint32_t sn_scripts_queue_len(const struct sn_scripts *s);

/* The real sn_script_spawn_fn: posix_spawn with the setup described there. */
int sn_scripts_spawn(char *const argv[], pid_t *pid) __attribute__((warn_unused_result));

/* Delay before the next run after the retry_num-th run failed: base_ms * 2^(retry_num - 1). */
int64_t sn_scripts_retry_delay_ms(int64_t base_ms, uint32_t retry_num);

#endif
