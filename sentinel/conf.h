/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file: libconfuse tables in, a validated, immutable struct sn_conf out.
 * Loading either yields a complete conf or an error naming file, line and key; it never returns
 * half a configuration. cfg_t never leaves conf.c, and the file is never written back.
 */
#ifndef SN_CONF_H
#define SN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quorum_types.h"

#include "err.h"
#include "log.h"

#define SN_BINDS_MAX 16
#define SN_PATH_MAX 4096                 /* dir, logfile, incl. NUL */
#define SN_CONF_FILE_SIZE_MAX (1u << 20) /* bigger config files are refused */
#define SN_CONF_INT_MAX 2147483647       /* ms, quorum, parallel-syncs: what the core accepts */
#define SN_CONF_MAXCLIENTS_MAX 1000000

/* Defaults of a monitored primary's settings (also for SENTINEL MONITOR at runtime). */
#define SN_DEFAULT_PORT 26379
#define SN_DEFAULT_PRIMARY_PORT 6379
#define SN_DEFAULT_QUORUM 2
#define SN_DEFAULT_PARALLEL_SYNCS 1
#define SN_DEFAULT_DENY_SCRIPTS_RECONFIG true

/*
 * Scripts of one monitored primary (sentinel-protocol.md §7): "" (none) or an absolute path to an
 * executable regular file, checked when the config is loaded.
 */
struct sn_group_scripts {
	char notification[SN_PATH_MAX];    /* notification-script */
	char client_reconfig[SN_PATH_MAX]; /* client-reconfig-script */
};

struct sn_conf {
	char binds[SN_BINDS_MAX][QU_HOST_MAX]; /* IP literals, at least one, no duplicates */
	size_t bind_count;
	uint16_t port;                 /* 1..65535 */
	char dir[SN_PATH_MAX];         /* non-empty; the state file lives here */
	char requirepass[QU_AUTH_MAX]; /* "": no AUTH required */
	char announce_ip[QU_HOST_MAX]; /* "" or an IP literal */
	uint16_t announce_port;        /* 0: announce port */
	enum sn_log_level log_level;
	char logfile[SN_PATH_MAX];  /* "": stderr */
	uint32_t maxclients;        /* 1..SN_CONF_MAXCLIENTS_MAX */
	bool deny_scripts_reconfig; /* SENTINEL SET of a script path is refused */
	size_t group_count;
	struct qu_group_conf *groups; /* malloc'd, in file order, names unique */
	/* malloc'd with groups, group_count entries: scripts[i] belongs to groups[i]. A copy of the
	 * struct that drops groups must drop scripts too (sn_conf_free frees both). */
	struct sn_group_scripts *scripts;
};

/*
 * Parse and validate the config file at path (at most SN_CONF_FILE_SIZE_MAX bytes). On success
 * fills *out (free it with sn_conf_free) and returns 0. On failure returns -EINVAL for a bad
 * config, -ENOMEM, or -errno of the failed read; *out is then zeroed (sn_conf_free-safe) and err
 * says what is wrong, e.g. "vigil.conf:12: primary \"a\": quorum: 0 is out of range
 * (1..2147483647)".
 */
int sn_conf_load_file(const char *path, struct sn_conf *out, struct sn_err *err)
    __attribute__((warn_unused_result));

/*
 * The same from a NUL-terminated text; name stands for the file name in error messages. Comments
 * start with '#' (or "//", or are "/" "*" ... "*" "/") and are not part of strings.
 */
int sn_conf_load_buf(const char *text, const char *name, struct sn_conf *out, struct sn_err *err)
    __attribute__((warn_unused_result));

/* Release what a successful load allocated and zero *conf. NULL or a zeroed conf is fine. */
void sn_conf_free(struct sn_conf *conf);

/* The configured group with this name (exact match), or NULL. */
const struct qu_group_conf *sn_conf_group(const struct sn_conf *conf, const char *name);

/* The scripts of the configured group with this name (exact match), or NULL if no such group. */
const struct sn_group_scripts *sn_conf_group_scripts(const struct sn_conf *conf, const char *name);

/*
 * The rule for a script path, at load and for SENTINEL SET: "" (no script) or an absolute path,
 * shorter than SN_PATH_MAX, to a regular file this process may execute. Returns 0, or -EINVAL
 * (not absolute, too long, not a regular file), -EACCES, or -errno of stat(); err then says why,
 * e.g. "\"/x\": No such file or directory" (the caller adds the key).
 */
int sn_conf_script_path_check(const char *path, struct sn_err *err)
    __attribute__((warn_unused_result));

/*
 * Fill *g with the defaults of a primary section: 127.0.0.1:6379, quorum 2, down-after 30 s,
 * failover-timeout 180 s, parallel-syncs 1, no credentials, empty name. The cfg_opt_t table of
 * conf.c uses the same values.
 */
void sn_conf_group_defaults(struct qu_group_conf *g);

#endif
