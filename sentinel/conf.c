// SPDX-License-Identifier: BSD-3-Clause
/*
 * Config file: one libconfuse option table (root keys and the "primary" section), every value
 * checked by a parse callback while libconfuse still knows its line, then copied into a plain
 * struct sn_conf. cfg_t never leaves this file, and nothing here writes the config file.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <confuse.h>

/*
 * libconfuse 3.3 hands callbacks a cfg_t (the root or a section) and no user pointer. So every
 * option table carries a hidden row whose simple_value points at parse->anchor: libconfuse copies
 * that pointer into each cfg_t it builds, and parse_of() finds the parse again with container_of.
 * Hidden keys contain spaces, so no unquoted key reaches them; quoted ones are refused.
 */
#define ANCHOR_KEY "vigil parse anchor"
/*
 * A section has no callback for its title. But a list option with a default is parsed (its parse
 * callback called) the moment libconfuse creates the section, with the title set and the line of
 * its opening brace: this hidden row checks the title there.
 */
#define TITLE_HOOK_KEY "vigil title check"

struct conf_parse {
	long anchor; /* only its address matters */
	const char *name;
	struct sn_err *err;
	bool failed;      /* the first error wins */
	const char *text; /* comments blanked */
};

static struct conf_parse *parse_of(cfg_t *cfg)
{
	for (unsigned i = 0; cfg != NULL && cfg->opts[i].name != NULL; i++) {
		cfg_opt_t *opt = &cfg->opts[i];
		if (strcmp(opt->name, ANCHOR_KEY) == 0 && opt->simple_value.number != NULL)
			return (struct conf_parse *)((char *)opt->simple_value.number -
			                             offsetof(struct conf_parse, anchor));
	}
	return NULL;
}

static void conf_fail(struct conf_parse *p, int line, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

static void conf_fail(struct conf_parse *p, int line, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	char msg[sizeof(p->err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sn_err_set(p->err, "%s:%d: %s", p->name, line, msg);
}

/* libconfuse's error function: file, line, the section if any, then the message. */
static void conf_on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct conf_parse *p = parse_of(cfg);
	if (p == NULL || p->failed)
		return;
	char msg[sizeof(p->err->msg)];
	if (strcmp(fmt, "found duplicate title '%s'") == 0) /* CFGF_NO_TITLE_DUPES, untranslated */
		snprintf(msg, sizeof(msg), "primary \"%.64s\": duplicate primary name",
		         va_arg(ap, const char *));
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cfg->title != NULL)
		conf_fail(p, cfg->line, "primary \"%.64s\": %s", cfg->title, msg);
	else
		conf_fail(p, cfg->line, "%s", msg);
}

/* Report an invalid value from a parse callback (section prefix added by conf_on_error). */
static void value_fail(cfg_t *cfg, cfg_opt_t *opt, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

static void value_fail(cfg_t *cfg, cfg_opt_t *opt, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_error(cfg, "%s: %s", opt->name, msg);
}

/* Strict decimal: optional '-', digits, nothing else. 0, -1 not a number, -2 too big. */
static int parse_decimal(const char *s, long long *out)
{
	bool neg = *s == '-';
	const char *d = neg ? s + 1 : s;
	long long v = 0;
	if (*d == '\0')
		return -1;
	for (; *d != '\0'; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		if (v > (LLONG_MAX - (*d - '0')) / 10)
			return -2;
		v = v * 10 + (*d - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

static int parse_ranged(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result, long long min,
                        long long max)
{
	long long v = 0;
	int rc = parse_decimal(value, &v);
	if (rc == -1) {
		value_fail(cfg, opt, "\"%.64s\" is not a whole number", value);
		return -1;
	}
	if (rc != 0 || v < min || v > max) {
		value_fail(cfg, opt, "%.64s is out of range (%lld..%lld)", value, min, max);
		return -1;
	}
	*(long *)result = (long)v;
	return 0;
}

static int on_port(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return parse_ranged(cfg, opt, value, result, 1, 65535);
}

static int on_port_or_zero(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return parse_ranged(cfg, opt, value, result, 0, 65535);
}

static int on_positive(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return parse_ranged(cfg, opt, value, result, 1, SN_CONF_INT_MAX);
}

static int on_maxclients(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return parse_ranged(cfg, opt, value, result, 1, SN_CONF_MAXCLIENTS_MAX);
}

static bool fits(cfg_t *cfg, cfg_opt_t *opt, const char *value, size_t size)
{
	if (strlen(value) < size)
		return true;
	value_fail(cfg, opt, "too long (at most %zu bytes)", size - 1);
	return false;
}

/* An IPv4 or IPv6 literal: Sentinel refuses hostnames unless resolve-hostnames, which we lack. */
static bool is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int check_ip(cfg_t *cfg, cfg_opt_t *opt, const char *value, bool empty_ok)
{
	if (!fits(cfg, opt, value, QU_HOST_MAX))
		return -1;
	if ((empty_ok && value[0] == '\0') || is_ip(value))
		return 0;
	value_fail(cfg, opt, "\"%.64s\" is not an IPv4 or IPv6 address", value);
	return -1;
}

static int on_ip(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	return check_ip(cfg, opt, value, false);
}

static int on_ip_or_empty(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	return check_ip(cfg, opt, value, true);
}

/* One element of the bind list; nvalues already counts it (libconfuse 3.3). */
static int on_bind(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	if (check_ip(cfg, opt, value, false) != 0)
		return -1;
	if (opt->nvalues > SN_BINDS_MAX) {
		value_fail(cfg, opt, "more than %d addresses", SN_BINDS_MAX);
		return -1;
	}
	for (unsigned i = 0; i + 1 < opt->nvalues; i++) {
		const char *prev = cfg_opt_getnstr(opt, i);
		if (prev != NULL && strcmp(prev, value) == 0) {
			value_fail(cfg, opt, "\"%s\" is listed twice", value);
			return -1;
		}
	}
	return 0;
}

/* Secrets: length only, and never echoed. */
static int on_secret(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	return fits(cfg, opt, value, QU_AUTH_MAX) ? 0 : -1;
}

static int on_path(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	return fits(cfg, opt, value, SN_PATH_MAX) ? 0 : -1;
}

int sn_conf_script_path_check(const char *path, struct sn_err *err)
{
	struct stat st;
	if (path[0] == '\0')
		return 0;
	if (strnlen(path, SN_PATH_MAX) == SN_PATH_MAX) {
		sn_err_set(err, "too long (at most %d bytes)", SN_PATH_MAX - 1);
		return -EINVAL;
	}
	if (path[0] != '/') {
		sn_err_set(err, "\"%.200s\" is not an absolute path", path);
		return -EINVAL;
	}
	if (stat(path, &st) != 0) {
		int rc = -errno;
		sn_err_set(err, "\"%.200s\": %s", path, strerror(-rc));
		return rc;
	}
	/* Sentinel only asks access(X_OK), which a directory passes. */
	if (!S_ISREG(st.st_mode)) {
		sn_err_set(err, "\"%.200s\" is not a regular file", path);
		return -EINVAL;
	}
	if (access(path, X_OK) != 0) {
		sn_err_set(err, "\"%.200s\" is not executable", path);
		return -EACCES;
	}
	return 0;
}

static int on_script(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	struct sn_err e = {{0}};
	if (sn_conf_script_path_check(value, &e) == 0)
		return 0;
	value_fail(cfg, opt, "%s", e.msg);
	return -1;
}

static int on_dir(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	if (value[0] != '\0')
		return fits(cfg, opt, value, SN_PATH_MAX) ? 0 : -1;
	value_fail(cfg, opt, "must not be empty");
	return -1;
}

static int on_log_level(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	if (sn_log_level_parse(value) >= 0)
		return 0;
	value_fail(cfg, opt, "\"%.64s\" is not one of debug, verbose, notice, warning", value);
	return -1;
}

static int on_hidden(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	(void)value;
	(void)result;
	cfg_error(cfg, "no such option '%s'", opt->name);
	return -1;
}

/* Group names as Sentinel advises them: [A-Za-z0-9._-], 1..QU_NAME_MAX-1 characters. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= QU_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/*
 * The title hook (see TITLE_HOOK_KEY). It must not fail: libconfuse aborts the process when a
 * default value does not parse. It records the error, and on_primary_end stops the parse.
 */
static int on_title(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	(void)opt;
	*(const char **)result = value;
	struct conf_parse *p = parse_of(cfg);
	const char *title = cfg->title != NULL ? cfg->title : "";
	if (p != NULL && !name_ok(title))
		conf_fail(p, cfg->line,
		          "primary \"%.64s\": name must be 1..%d characters from "
		          "[A-Za-z0-9._-]",
		          title, QU_NAME_MAX - 1);
	return 0;
}

/* Validate callback of the primary section, called at its closing brace. */
static int on_primary_end(cfg_t *cfg, cfg_opt_t *opt)
{
	(void)opt;
	struct conf_parse *p = parse_of(cfg);
	return p != NULL && p->failed ? -1 : 0;
}

void sn_conf_group_defaults(struct qu_group_conf *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->addr.host, sizeof(g->addr.host), "%s", "127.0.0.1");
	g->addr.port = SN_DEFAULT_PRIMARY_PORT;
	g->quorum = SN_DEFAULT_QUORUM;
	g->down_after_ms = QU_DEFAULT_DOWN_AFTER_MS;
	g->failover_timeout_ms = QU_DEFAULT_FAILOVER_TIMEOUT_MS;
	g->parallel_syncs = SN_DEFAULT_PARALLEL_SYNCS;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

static void group_from_cfg(cfg_t *sec, struct qu_group_conf *g, struct sn_group_scripts *sc)
{
	sn_conf_group_defaults(g);
	copy_str(g->name, sizeof(g->name), cfg_title(sec));
	copy_str(g->addr.host, sizeof(g->addr.host), cfg_getstr(sec, "host"));
	g->addr.port = (uint16_t)cfg_getint(sec, "port");
	g->quorum = (uint32_t)cfg_getint(sec, "quorum");
	g->down_after_ms = cfg_getint(sec, "down-after-ms");
	g->failover_timeout_ms = cfg_getint(sec, "failover-timeout-ms");
	g->parallel_syncs = (uint32_t)cfg_getint(sec, "parallel-syncs");
	copy_str(g->auth_user, sizeof(g->auth_user), cfg_getstr(sec, "auth-user"));
	copy_str(g->auth_pass, sizeof(g->auth_pass), cfg_getstr(sec, "auth-pass"));
	copy_str(sc->notification, sizeof(sc->notification),
	         cfg_getstr(sec, "notification-script"));
	copy_str(sc->client_reconfig, sizeof(sc->client_reconfig),
	         cfg_getstr(sec, "client-reconfig-script"));
}

/*
 * The line of the last statement that starts with key, 0 if none. Only for errors no callback
 * sees, like "bind = {}" (libconfuse calls nothing for an empty list).
 */
static int last_key_line(const char *text, const char *key)
{
	size_t n = strlen(key);
	int found = 0;
	int line = 1;
	for (const char *c = text; c != NULL; line++) {
		const char *w = c + strspn(c, " \t");
		if (strncmp(w, key, n) == 0 && w[n] != '\0' && strchr(" \t=+", w[n]) != NULL)
			found = line;
		c = strchr(c, '\n');
		if (c != NULL)
			c++;
	}
	return found;
}

/* Copy a parsed, validated cfg into *c. */
static int conf_from_cfg(cfg_t *cfg, struct conf_parse *p, struct sn_conf *c)
{
	c->bind_count = cfg_size(cfg, "bind");
	if (c->bind_count == 0 || c->bind_count > SN_BINDS_MAX) {
		conf_fail(p, last_key_line(p->text, "bind"), "bind: needs 1..%d addresses",
		          SN_BINDS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->bind_count; i++)
		copy_str(c->binds[i], sizeof(c->binds[i]), cfg_getnstr(cfg, "bind", (unsigned)i));
	c->port = (uint16_t)cfg_getint(cfg, "port");
	copy_str(c->dir, sizeof(c->dir), cfg_getstr(cfg, "dir"));
	copy_str(c->requirepass, sizeof(c->requirepass), cfg_getstr(cfg, "requirepass"));
	copy_str(c->announce_ip, sizeof(c->announce_ip), cfg_getstr(cfg, "announce-ip"));
	c->announce_port = (uint16_t)cfg_getint(cfg, "announce-port");
	c->log_level = (enum sn_log_level)sn_log_level_parse(cfg_getstr(cfg, "log-level"));
	copy_str(c->logfile, sizeof(c->logfile), cfg_getstr(cfg, "logfile"));
	c->maxclients = (uint32_t)cfg_getint(cfg, "maxclients");
	c->deny_scripts_reconfig = cfg_getbool(cfg, "deny-scripts-reconfig") != cfg_false;
	c->group_count = cfg_size(cfg, "primary");
	if (c->group_count == 0)
		return 0;
	c->groups = calloc(c->group_count, sizeof(*c->groups));
	c->scripts = calloc(c->group_count, sizeof(*c->scripts));
	if (c->groups == NULL || c->scripts == NULL) {
		sn_err_set(p->err, "%s: out of memory", p->name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->group_count; i++)
		group_from_cfg(cfg_getnsec(cfg, "primary", (unsigned)i), &c->groups[i],
		               &c->scripts[i]);
	return 0;
}

#define HIDDEN_ANCHOR(p)                                                                           \
	{                                                                                          \
		.name = ANCHOR_KEY, .type = CFGT_INT, .simple_value.number = &(p)->anchor,         \
		.parsecb = on_hidden                                                               \
	}

/* The table: one row per key, with its default. conf/vigil.conf documents each. */
static int parse_text(const char *text, struct conf_parse *p, struct sn_conf *out)
{
	cfg_opt_t primary_opts[] = {
	    CFG_STR_CB("host", "127.0.0.1", CFGF_NONE, on_ip),
	    CFG_INT_CB("port", SN_DEFAULT_PRIMARY_PORT, CFGF_NONE, on_port),
	    CFG_INT_CB("quorum", SN_DEFAULT_QUORUM, CFGF_NONE, on_positive),
	    CFG_INT_CB("down-after-ms", QU_DEFAULT_DOWN_AFTER_MS, CFGF_NONE, on_positive),
	    CFG_INT_CB("failover-timeout-ms", QU_DEFAULT_FAILOVER_TIMEOUT_MS, CFGF_NONE,
	               on_positive),
	    CFG_INT_CB("parallel-syncs", SN_DEFAULT_PARALLEL_SYNCS, CFGF_NONE, on_positive),
	    CFG_STR_CB("auth-user", "", CFGF_NONE, on_secret),
	    CFG_STR_CB("auth-pass", "", CFGF_NONE, on_secret),
	    CFG_STR_CB("notification-script", "", CFGF_NONE, on_script),
	    CFG_STR_CB("client-reconfig-script", "", CFGF_NONE, on_script),
	    HIDDEN_ANCHOR(p),
	    CFG_STR_LIST_CB(TITLE_HOOK_KEY, "{title}", CFGF_NONE, on_title),
	    CFG_END(),
	};
	cfg_opt_t opts[] = {
	    CFG_STR_LIST_CB("bind", "{127.0.0.1}", CFGF_NONE, on_bind),
	    CFG_INT_CB("port", SN_DEFAULT_PORT, CFGF_NONE, on_port),
	    CFG_STR_CB("dir", "/var/lib/vigil", CFGF_NONE, on_dir),
	    CFG_STR_CB("requirepass", "", CFGF_NONE, on_secret),
	    CFG_STR_CB("announce-ip", "", CFGF_NONE, on_ip_or_empty),
	    CFG_INT_CB("announce-port", 0, CFGF_NONE, on_port_or_zero),
	    CFG_STR_CB("log-level", "notice", CFGF_NONE, on_log_level),
	    CFG_STR_CB("logfile", "", CFGF_NONE, on_path),
	    CFG_INT_CB("maxclients", 10000, CFGF_NONE, on_maxclients),
	    CFG_BOOL("deny-scripts-reconfig",
	             SN_DEFAULT_DENY_SCRIPTS_RECONFIG ? cfg_true : cfg_false, CFGF_NONE),
	    {.name = "primary",
	     .type = CFGT_SEC,
	     .subopts = primary_opts,
	     .flags = CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES,
	     .validcb = on_primary_end},
	    HIDDEN_ANCHOR(p),
	    CFG_END(),
	};
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	if (cfg == NULL) {
		sn_err_set(p->err, "%s: out of memory", p->name);
		return -ENOMEM;
	}
	cfg_set_error_function(cfg, conf_on_error);
	int rc = -EINVAL;
	if (cfg_parse_buf(cfg, text) == CFG_SUCCESS && !p->failed)
		rc = conf_from_cfg(cfg, p, out);
	else if (!p->failed)
		sn_err_set(p->err, "%s: cannot parse", p->name);
	cfg_free(cfg);
	return rc;
}

static void blank(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\n')
			p[i] = ' ';
}

/* Length of the comment starting at p (0 if none), or SIZE_MAX if a block comment is open. */
static size_t comment_len(const char *start, const char *p)
{
	bool word_start = p == start || strchr(" \t\r\n\"'{}(),=", p[-1]) != NULL;
	if (*p == '#' || (word_start && p[0] == '/' && p[1] == '/'))
		return strcspn(p, "\n");
	if (!word_start || p[0] != '/' || p[1] != '*')
		return 0;
	const char *end = strstr(p + 2, "*/");
	return end != NULL ? (size_t)(end + 2 - p) : SIZE_MAX;
}

/*
 * libconfuse 3.3 miscounts lines after every comment and returns comment text as a token inside
 * a list, so comments are blanked out first, newlines kept. Strings follow libconfuse: "..." and
 * '...' with backslash escapes. '#' starts a comment anywhere outside a string (as in libconfuse:
 * "ab#cd" is ab), "//" and "/" "*" only where a word starts. Unterminated strings and block
 * comments are errors.
 */
static int blank_comments(char *text, struct conf_parse *p)
{
	char quote = 0;
	int line = 1;
	int quote_line = 0;
	for (char *c = text; *c != '\0'; c++) {
		line += *c == '\n';
		if (quote != 0) {
			if (*c == '\\' && c[1] != '\0')
				line += *++c == '\n';
			else if (*c == quote)
				quote = 0;
			continue;
		}
		if (*c == '"' || *c == '\'') {
			quote = *c;
			quote_line = line;
			continue;
		}
		size_t n = comment_len(text, c);
		if (n == SIZE_MAX) {
			conf_fail(p, line, "unterminated /* comment");
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			line += c[i] == '\n';
		blank(c, n);
		c += n > 0 ? n - 1 : 0;
	}
	if (quote == 0)
		return 0;
	/* Caught here: libconfuse 3.3 would echo a trailing backslash of it to stdout. */
	conf_fail(p, quote_line, "unterminated string");
	return -EINVAL;
}

int sn_conf_load_buf(const char *text, const char *name, struct sn_conf *out, struct sn_err *err)
{
	memset(out, 0, sizeof(*out));
	struct conf_parse p = {.name = name, .err = err};
	char *copy = strdup(text);
	if (copy == NULL) {
		sn_err_set(err, "%s: out of memory", name);
		return -ENOMEM;
	}
	p.text = copy;
	int rc = blank_comments(copy, &p);
	if (rc == 0)
		rc = parse_text(copy, &p, out);
	free(copy);
	if (rc != 0)
		sn_conf_free(out);
	return rc;
}

/* Read a whole regular file of at most max bytes, NUL-terminated. Returns 0 or -errno. */
static int read_small_file(const char *path, size_t max, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	char *buf = malloc(max + 2);
	size_t n = 0;
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (n <= max) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max)
		rc = -EFBIG;
out:
	close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int sn_conf_load_file(const char *path, struct sn_conf *out, struct sn_err *err)
{
	memset(out, 0, sizeof(*out));
	char *text = NULL;
	size_t len = 0;
	int rc = read_small_file(path, SN_CONF_FILE_SIZE_MAX, &text, &len);
	if (rc == -EFBIG) {
		sn_err_set(err, "%s: bigger than %u bytes", path, SN_CONF_FILE_SIZE_MAX);
		return rc;
	}
	if (rc != 0) {
		sn_err_set(err, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (memchr(text, '\0', len) != NULL) {
		sn_err_set(err, "%s: contains a NUL byte", path);
		free(text);
		return -EINVAL;
	}
	rc = sn_conf_load_buf(text, path, out, err);
	free(text);
	return rc;
}

void sn_conf_free(struct sn_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->groups);
	free(conf->scripts);
	memset(conf, 0, sizeof(*conf));
}

const struct qu_group_conf *sn_conf_group(const struct sn_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->group_count; i++)
		if (strcmp(conf->groups[i].name, name) == 0)
			return &conf->groups[i];
	return NULL;
}

const struct sn_group_scripts *sn_conf_group_scripts(const struct sn_conf *conf, const char *name)
{
	for (size_t i = 0; conf->scripts != NULL && i < conf->group_count; i++)
		if (strcmp(conf->groups[i].name, name) == 0)
			return &conf->scripts[i];
	return NULL;
}
