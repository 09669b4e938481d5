/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The only place that writes log lines: ISO-8601 UTC time, pid, level, then key=value fields.
 * Logs go to stderr or to a file that SIGHUP reopens. Never log secrets.
 */
#ifndef SN_LOG_H
#define SN_LOG_H

enum sn_log_level {
	SN_LOG_DEBUG = 0,
	SN_LOG_VERBOSE,
	SN_LOG_NOTICE,
	SN_LOG_WARNING,
};

/* Parse "debug", "verbose", "notice", "warning"; returns -1 if unknown. */
int sn_log_level_parse(const char *name);
const char *sn_log_level_name(enum sn_log_level level);

/* Set the threshold; lines below it are dropped. */
void sn_log_set_level(enum sn_log_level level);

/*
 * Log to path (appending), or to stderr when path is NULL or "". Returns 0 or -errno; on error the
 * previous destination stays.
 */
int sn_log_open(const char *path) __attribute__((warn_unused_result));

/* Reopen the current log file (after logrotate moved it). Returns 0 or -errno. */
int sn_log_reopen(void);

void sn_log_close(void);

void sn_log(enum sn_log_level level, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));

#endif
