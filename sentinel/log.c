// SPDX-License-Identifier: BSD-3-Clause
/*
 * Log sink. The sink is process-wide state by nature (stderr is), so it is the one module with a
 * file-scope variable; nothing else in vigil keeps mutable globals.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "verbose", "notice", "warning"};

static struct {
	enum sn_log_level level;
	FILE *file; /* NULL: stderr */
	char path[4096];
} sink = {.level = SN_LOG_NOTICE};

int sn_log_level_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *sn_log_level_name(enum sn_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

void sn_log_set_level(enum sn_log_level level)
{
	sink.level = level;
}

int sn_log_open(const char *path)
{
	if (path == NULL || path[0] == '\0') {
		sn_log_close();
		return 0;
	}
	if (strlen(path) >= sizeof(sink.path))
		return -ENAMETOOLONG;
	FILE *f = fopen(path, "a");
	if (f == NULL)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	sn_log_close();
	sink.file = f;
	snprintf(sink.path, sizeof(sink.path), "%s", path);
	return 0;
}

int sn_log_reopen(void)
{
	if (sink.file == NULL)
		return 0;
	char path[sizeof(sink.path)];
	snprintf(path, sizeof(path), "%s", sink.path);
	return sn_log_open(path);
}

void sn_log_close(void)
{
	if (sink.file != NULL)
		fclose(sink.file);
	sink.file = NULL;
	sink.path[0] = '\0';
}

void sn_log(enum sn_log_level level, const char *fmt, ...)
{
	if (level < sink.level)
		return;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char line[2048];
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ pid=%d level=%s ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(tv.tv_usec / 1000), (int)getpid(), sn_log_level_name(level));
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	FILE *out = sink.file != NULL ? sink.file : stderr;
	fprintf(out, "%s\n", line);
	fflush(out);
}
