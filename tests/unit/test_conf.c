// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of sentinel/conf.c: configs parsed from strings (good ones field by field, and a
 * table with one row per error class giving the expected line and message), the documented
 * example conf/vigil.conf (read from the repo root), and file loading edge cases.
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EXAMPLE_CONF "conf/vigil.conf"

/* A failing table row names itself: CUnit copies the message. */
#define EXPECT(name, cond) expect((cond), (name), #cond, __LINE__)

static void expect(bool ok, const char *name, const char *cond, unsigned int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", name, cond);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}

static int load(const char *text, struct sn_conf *c, struct sn_err *e)
{
	memset(e, 0, sizeof(*e));
	return sn_conf_load_buf(text, "t.conf", c, e);
}

/* The issue's example, verbatim. */
static const char issue_example[] =
    "bind = \"127.0.0.1\"          # list allowed: bind = {\"127.0.0.1\", \"::1\"}\n"
    "port = 26379                # RESP port for clients and other watchers\n"
    "dir = \"/var/lib/vigil\"      # state file lives here\n"
    "requirepass = \"\"            # clients must AUTH when set\n"
    "announce-ip = \"\"            # address other watchers should use for me\n"
    "announce-port = 0\n"
    "log-level = \"notice\"        # debug, verbose, notice, warning\n"
    "logfile = \"\"                # empty: stderr\n"
    "maxclients = 10000\n"
    "primary \"mymaster\" {\n"
    "    host = \"127.0.0.1\"\n"
    "    port = 6379\n"
    "    quorum = 2\n"
    "    down-after-ms = 30000\n"
    "    failover-timeout-ms = 180000\n"
    "    parallel-syncs = 1\n"
    "    auth-user = \"\"          # ACL user for the cache nodes\n"
    "    auth-pass = \"\"\n"
    "}\n";

static void assert_root_defaults(const struct sn_conf *c)
{
	CU_ASSERT_EQUAL(c->bind_count, 1);
	CU_ASSERT_STRING_EQUAL(c->binds[0], "127.0.0.1");
	CU_ASSERT_EQUAL(c->port, 26379);
	CU_ASSERT_STRING_EQUAL(c->dir, "/var/lib/vigil");
	CU_ASSERT_STRING_EQUAL(c->requirepass, "");
	CU_ASSERT_STRING_EQUAL(c->announce_ip, "");
	CU_ASSERT_EQUAL(c->announce_port, 0);
	CU_ASSERT_EQUAL(c->log_level, SN_LOG_NOTICE);
	CU_ASSERT_STRING_EQUAL(c->logfile, "");
	CU_ASSERT_EQUAL(c->maxclients, 10000);
	CU_ASSERT_TRUE(c->deny_scripts_reconfig);
}

/* Groups without script keys have none; scripts[] parallels groups[]. */
static void assert_no_scripts(const struct sn_conf *c)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->scripts);
	for (size_t i = 0; i < c->group_count; i++) {
		CU_ASSERT_STRING_EQUAL(c->scripts[i].notification, "");
		CU_ASSERT_STRING_EQUAL(c->scripts[i].client_reconfig, "");
	}
}

static void assert_group_defaults(const struct qu_group_conf *g, const char *name)
{
	CU_ASSERT_STRING_EQUAL(g->name, name);
	CU_ASSERT_STRING_EQUAL(g->addr.host, "127.0.0.1");
	CU_ASSERT_EQUAL(g->addr.port, 6379);
	CU_ASSERT_EQUAL(g->quorum, 2);
	CU_ASSERT_EQUAL(g->down_after_ms, 30000);
	CU_ASSERT_EQUAL(g->failover_timeout_ms, 180000);
	CU_ASSERT_EQUAL(g->parallel_syncs, 1);
	CU_ASSERT_STRING_EQUAL(g->auth_user, "");
	CU_ASSERT_STRING_EQUAL(g->auth_pass, "");
}

static void test_conf_empty_text_gives_defaults(void)
{
	struct sn_conf c;
	struct sn_err e;

	int rc = load("", &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	assert_root_defaults(&c);
	CU_ASSERT_EQUAL(c.group_count, 0);
	CU_ASSERT_PTR_NULL(c.groups);
	CU_ASSERT_PTR_NULL(c.scripts);
	sn_conf_free(&c);
}

static void test_conf_issue_example_parses(void)
{
	struct sn_conf c;
	struct sn_err e;

	int rc = load(issue_example, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	assert_root_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(c.group_count, 1);
	assert_group_defaults(&c.groups[0], "mymaster");
	assert_no_scripts(&c);
	sn_conf_free(&c);
}

/* The documented example shows every key with its default: it must parse to exactly those. */
static void test_conf_example_file_parses_to_defaults(void)
{
	struct sn_conf c;
	struct sn_err e = {{0}};

	int rc = sn_conf_load_file(EXAMPLE_CONF, &c, &e);

	if (rc != 0)
		fprintf(stderr, "\n%s\n", e.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	assert_root_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(c.group_count, 1);
	assert_group_defaults(&c.groups[0], "mymaster");
	assert_no_scripts(&c);
	sn_conf_free(&c);
}

static void test_conf_every_key_is_read(void)
{
	struct sn_conf c;
	struct sn_err e;
	const char *text = "bind = {\"10.0.0.1\", \"::1\", \"0.0.0.0\"}\n"
	                   "port = 1\n"
	                   "dir = \"/tmp/v\"\n"
	                   "requirepass = 'secret${X}'\n"
	                   "announce-ip = \"fe80::1\"\n"
	                   "announce-port = 65535\n"
	                   "log-level = \"WARNING\"\n"
	                   "logfile = \"/var/log/vigil.log\"\n"
	                   "maxclients = 1000000\n"
	                   "deny-scripts-reconfig = false\n"
	                   "primary \"a.b-C_9\" {\n"
	                   "  host = \"10.1.2.3\"\n"
	                   "  port = 65535\n"
	                   "  quorum = 2147483647\n"
	                   "  down-after-ms = 1\n"
	                   "  failover-timeout-ms = 2147483647\n"
	                   "  parallel-syncs = 7\n"
	                   "  auth-user = \"u\"\n"
	                   "  auth-pass = \"p\\\"w\"\n"
	                   "  notification-script = \"/bin/sh\"\n"
	                   "  client-reconfig-script = \"/bin/true\"\n"
	                   "}\n";

	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(c.bind_count, 3);
	CU_ASSERT_STRING_EQUAL(c.binds[0], "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(c.binds[1], "::1");
	CU_ASSERT_STRING_EQUAL(c.binds[2], "0.0.0.0");
	CU_ASSERT_EQUAL(c.port, 1);
	CU_ASSERT_STRING_EQUAL(c.dir, "/tmp/v");
	CU_ASSERT_STRING_EQUAL(c.requirepass, "secret${X}");
	CU_ASSERT_STRING_EQUAL(c.announce_ip, "fe80::1");
	CU_ASSERT_EQUAL(c.announce_port, 65535);
	CU_ASSERT_EQUAL(c.log_level, SN_LOG_WARNING);
	CU_ASSERT_STRING_EQUAL(c.logfile, "/var/log/vigil.log");
	CU_ASSERT_EQUAL(c.maxclients, 1000000);
	CU_ASSERT_EQUAL_FATAL(c.group_count, 1);
	const struct qu_group_conf *g = &c.groups[0];
	CU_ASSERT_STRING_EQUAL(g->name, "a.b-C_9");
	CU_ASSERT_STRING_EQUAL(g->addr.host, "10.1.2.3");
	CU_ASSERT_EQUAL(g->addr.port, 65535);
	CU_ASSERT_EQUAL(g->quorum, 2147483647u);
	CU_ASSERT_EQUAL(g->down_after_ms, 1);
	CU_ASSERT_EQUAL(g->failover_timeout_ms, 2147483647);
	CU_ASSERT_EQUAL(g->parallel_syncs, 7);
	CU_ASSERT_STRING_EQUAL(g->auth_user, "u");
	CU_ASSERT_STRING_EQUAL(g->auth_pass, "p\"w");
	CU_ASSERT_FALSE(c.deny_scripts_reconfig);
	CU_ASSERT_STRING_EQUAL(c.scripts[0].notification, "/bin/sh");
	CU_ASSERT_STRING_EQUAL(c.scripts[0].client_reconfig, "/bin/true");
	sn_conf_free(&c);
}

static void test_conf_groups_keep_file_order_and_own_settings(void)
{
	struct sn_conf c;
	struct sn_err e;
	const char *text = "primary \"z\" { host = \"10.0.0.3\" quorum = 1 }\n"
	                   "primary \"a\" { port = 7000 }\n"
	                   "primary \"m\" {}\n";

	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(c.group_count, 3);
	CU_ASSERT_STRING_EQUAL(c.groups[0].name, "z");
	CU_ASSERT_STRING_EQUAL(c.groups[0].addr.host, "10.0.0.3");
	CU_ASSERT_EQUAL(c.groups[0].quorum, 1);
	CU_ASSERT_STRING_EQUAL(c.groups[1].name, "a");
	CU_ASSERT_EQUAL(c.groups[1].addr.port, 7000);
	CU_ASSERT_EQUAL(c.groups[1].quorum, 2);
	assert_group_defaults(&c.groups[2], "m");
	CU_ASSERT_PTR_EQUAL(sn_conf_group(&c, "a"), &c.groups[1]);
	CU_ASSERT_PTR_NULL(sn_conf_group(&c, "A"));
	CU_ASSERT_PTR_NULL(sn_conf_group(&c, "zz"));
	sn_conf_free(&c);
}

static void test_conf_group_defaults_helper_matches_table(void)
{
	struct sn_conf c;
	struct sn_err e;
	struct qu_group_conf d;

	int rc = load("primary \"g\" {}\n", &c, &e);
	sn_conf_group_defaults(&d);
	snprintf(d.name, sizeof(d.name), "g");

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(memcmp(&d, &c.groups[0], sizeof(d)), 0);
	sn_conf_free(&c);
}

/* Comment characters inside strings are data; comments themselves vanish. */
static void test_conf_comment_chars_in_strings_are_kept(void)
{
	struct sn_conf c;
	struct sn_err e;
	const char *text = "requirepass = \"a#b//c/*d*/\" # trailing\n"
	                   "logfile = '/x#y' // trailing\n"
	                   "dir = /var//lib/vigil /* trailing */\n"
	                   "primary \"g\" {\n"
	                   "  auth-pass = \"q\\\"#\\\\\" # escaped quote and backslash\n"
	                   "  auth-user = 'it\\'s#'\n"
	                   "}\n";

	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(c.requirepass, "a#b//c/*d*/");
	CU_ASSERT_STRING_EQUAL(c.logfile, "/x#y");
	CU_ASSERT_STRING_EQUAL(c.dir, "/var//lib/vigil");
	CU_ASSERT_STRING_EQUAL(c.groups[0].auth_pass, "q\"#\\");
	CU_ASSERT_STRING_EQUAL(c.groups[0].auth_user, "it's#");
	sn_conf_free(&c);
}

/* libconfuse 3.3 alone puts "#c" inside a list as a token and miscounts lines after comments. */
static void test_conf_comments_inside_lists_and_sections(void)
{
	struct sn_conf c;
	struct sn_err e;
	const char *text = "bind = {\n"
	                   "  \"127.0.0.1\", # loopback\n"
	                   "  # \"10.0.0.1\",\n"
	                   "  \"::1\" // v6\n"
	                   "}\n";

	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(c.bind_count, 2);
	CU_ASSERT_STRING_EQUAL(c.binds[1], "::1");
	sn_conf_free(&c);
}

static void test_conf_env_expands_in_double_quotes_only(void)
{
	struct sn_conf c;
	struct sn_err e;

	setenv("VIGIL_UNIT_DIR", "/srv/vigil", 1);
	int rc = load("dir = \"${VIGIL_UNIT_DIR}\"\nlogfile = '${VIGIL_UNIT_DIR}'\n", &c, &e);
	unsetenv("VIGIL_UNIT_DIR");

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(c.dir, "/srv/vigil");
	CU_ASSERT_STRING_EQUAL(c.logfile, "${VIGIL_UNIT_DIR}");
	sn_conf_free(&c);
}

/* Limits are inclusive: the longest accepted values. */
static void test_conf_accepts_values_at_their_limits(void)
{
	char text[8192];
	char name[QU_NAME_MAX];
	char pass[QU_AUTH_MAX];
	char dir[SN_PATH_MAX];
	struct sn_conf c;
	struct sn_err e;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(pass, 'p', sizeof(pass) - 1);
	pass[sizeof(pass) - 1] = '\0';
	memset(dir, 'd', sizeof(dir) - 1);
	dir[sizeof(dir) - 1] = '\0';
	snprintf(
	    text, sizeof(text),
	    "dir = \"%s\"\nrequirepass = \"%s\"\nbind = {\"10.0.0.1\", \"10.0.0.2\", "
	    "\"10.0.0.3\", \"10.0.0.4\", \"10.0.0.5\", \"10.0.0.6\", \"10.0.0.7\", \"10.0.0.8\", "
	    "\"10.0.0.9\", \"10.0.0.10\", \"10.0.0.11\", \"10.0.0.12\", \"10.0.0.13\", "
	    "\"10.0.0.14\", \"10.0.0.15\", \"10.0.0.16\"}\n"
	    "primary \"%s\" { auth-pass = \"%s\" }\n",
	    dir, pass, name, pass);

	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(strlen(c.dir), SN_PATH_MAX - 1);
	CU_ASSERT_EQUAL(strlen(c.requirepass), QU_AUTH_MAX - 1);
	CU_ASSERT_EQUAL(c.bind_count, SN_BINDS_MAX);
	CU_ASSERT_STRING_EQUAL(c.binds[15], "10.0.0.16");
	CU_ASSERT_STRING_EQUAL(c.groups[0].name, name);
	CU_ASSERT_STRING_EQUAL(c.groups[0].auth_pass, pass);
	sn_conf_free(&c);
}

/* Each group keeps its own scripts, found by group name. */
static void test_conf_scripts_belong_to_their_group(void)
{
	struct sn_conf c;
	struct sn_err e;
	const char *text = "primary \"x\" { notification-script = \"/bin/sh\" }\n"
	                   "primary \"y\" {}\n"
	                   "primary \"z\" { client-reconfig-script = '/bin/true'\n"
	                   "                notification-script = \"\" }\n";

	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(c.group_count, 3);
	CU_ASSERT_STRING_EQUAL(c.scripts[0].notification, "/bin/sh");
	CU_ASSERT_STRING_EQUAL(c.scripts[0].client_reconfig, "");
	CU_ASSERT_STRING_EQUAL(c.scripts[1].notification, "");
	CU_ASSERT_STRING_EQUAL(c.scripts[1].client_reconfig, "");
	CU_ASSERT_STRING_EQUAL(c.scripts[2].notification, "");
	CU_ASSERT_STRING_EQUAL(c.scripts[2].client_reconfig, "/bin/true");
	CU_ASSERT_PTR_EQUAL(sn_conf_group_scripts(&c, "z"), &c.scripts[2]);
	CU_ASSERT_PTR_NULL(sn_conf_group_scripts(&c, "w"));
	sn_conf_free(&c);
	CU_ASSERT_PTR_NULL(c.scripts);
}

static void test_conf_deny_scripts_reconfig_spellings(void)
{
	static const struct {
		const char *value;
		bool deny;
	} cases[] = {
	    {"true", true}, {"yes", true},  {"on", true},      {"false", false},
	    {"no", false},  {"off", false}, {"\"no\"", false},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[64];
		struct sn_conf c;
		struct sn_err e;
		snprintf(text, sizeof(text), "deny-scripts-reconfig = %s\n", cases[i].value);

		int rc = load(text, &c, &e);

		EXPECT(cases[i].value, rc == 0);
		EXPECT(cases[i].value, c.deny_scripts_reconfig == cases[i].deny);
		sn_conf_free(&c);
	}
}

/* The same rule serves the config and SENTINEL SET: "" or an absolute, executable file. */
static void test_conf_script_path_check_rule(void)
{
	static const struct {
		const char *path;
		int rc;
		const char *msg;
	} cases[] = {
	    {"", 0, ""},
	    {"/bin/sh", 0, ""},
	    {"bin/sh", -EINVAL, "\"bin/sh\" is not an absolute path"},
	    {"./x.sh", -EINVAL, "is not an absolute path"},
	    {"/nonexistent/x.sh", -ENOENT, "\"/nonexistent/x.sh\": No such file or directory"},
	    {"/etc/passwd/x", -ENOTDIR, "Not a directory"},
	    {"/tmp", -EINVAL, "\"/tmp\" is not a regular file"},
	    {"/etc/passwd", -EACCES, "\"/etc/passwd\" is not executable"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sn_err e = {{0}};

		int rc = sn_conf_script_path_check(cases[i].path, &e);

		EXPECT(cases[i].path, rc == cases[i].rc);
		EXPECT(cases[i].path, strstr(e.msg, cases[i].msg) != NULL);
	}
}

static void test_conf_script_path_too_long_is_refused(void)
{
	char path[SN_PATH_MAX + 1];
	struct sn_err e = {{0}};

	path[0] = '/';
	memset(path + 1, 'x', SN_PATH_MAX - 1);
	path[SN_PATH_MAX] = '\0';
	int rc = sn_conf_script_path_check(path, &e);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "too long"));
}

struct bad_case {
	const char *name;
	const char *text;
	int line;
	const char *msg; /* substring of the message after "t.conf:<line>: " */
};

#define SEC(body) "primary \"a\" {\n" body "}\n"

static const struct bad_case bad_cases[] = {
    {"unknown root key", "port = 1\nnope = 2\n", 2, "no such option 'nope'"},
    {"unknown key in section", SEC("  host = \"1.2.3.4\"\n  colour = 1\n"), 3,
     "primary \"a\": no such option 'colour'"},
    {"root key inside a section", SEC("  bind = \"::1\"\n"), 2, "no such option 'bind'"},
    {"section key at root", "quorum = 2\n", 1, "no such option 'quorum'"},
    {"string for a number", "port = \"abc\"\n", 1, "port: \"abc\" is not a whole number"},
    {"hex number", "maxclients = 0x10\n", 1, "maxclients: \"0x10\" is not a whole number"},
    {"octal-looking number is decimal or nothing", "port = 1.5\n", 1, "not a whole number"},
    {"list for a number", "port = {1, 2}\n", 1, "unexpected token"},
    {"root port 0", "\n\nport = 0\n", 3, "port: 0 is out of range (1..65535)"},
    {"root port 65536", "port = 65536\n", 1, "port: 65536 is out of range (1..65535)"},
    {"announce-port 65536", "announce-port = 65536\n", 1, "announce-port: 65536 is out of range"},
    {"maxclients 0", "maxclients = 0\n", 1, "maxclients: 0 is out of range (1..1000000)"},
    {"huge number", "maxclients = 99999999999999999999999\n", 1,
     "maxclients: 99999999999999999999999 is out of range"},
    {"quorum 0", SEC("  host = \"10.0.0.1\"\n\n  quorum = 0\n"), 4,
     "primary \"a\": quorum: 0 is out of range (1..2147483647)"},
    {"quorum negative", SEC("  quorum = -1\n"), 2, "quorum: -1 is out of range"},
    {"quorum too big", SEC("  quorum = 2147483648\n"), 2, "quorum: 2147483648 is out of range"},
    {"down-after-ms 0", SEC("  down-after-ms = 0\n"), 2, "primary \"a\": down-after-ms: 0 is out"},
    {"failover-timeout-ms 0", SEC("  failover-timeout-ms = 0\n"), 2,
     "primary \"a\": failover-timeout-ms: 0 is out of range"},
    {"parallel-syncs 0", SEC("  parallel-syncs = 0\n"), 2, "parallel-syncs: 0 is out of range"},
    {"primary port 0", SEC("  port = 0\n"), 2, "primary \"a\": port: 0 is out of range"},
    {"primary port 70000", SEC("  port = 70000\n"), 2, "port: 70000 is out of range (1..65535)"},
    {"duplicate primary name", "primary \"a\" {}\nprimary \"b\" {}\n\nprimary \"a\" {}\n", 4,
     "primary \"a\": duplicate primary name"},
    {"bad log-level", "log-level = \"loud\"\n", 1,
     "log-level: \"loud\" is not one of debug, verbose, notice, warning"},
    {"missing title", "port = 1\nprimary {\n}\n", 2, "missing title for section 'primary'"},
    {"hostname refused", SEC("  host = \"localhost\"\n"), 2,
     "primary \"a\": host: \"localhost\" is not an IPv4 or IPv6 address"},
    {"bad IPv4", SEC("  host = \"10.0.0.256\"\n"), 2, "host: \"10.0.0.256\" is not an IPv4"},
    {"empty host", SEC("  host = \"\"\n"), 2, "host: \"\" is not an IPv4 or IPv6 address"},
    {"name with space", "primary \"a b\" {\n}\n", 1,
     "primary \"a b\": name must be 1..127 characters from [A-Za-z0-9._-]"},
    {"name with slash", "port = 1\nprimary \"a/b\" {}\n", 2, "name must be 1..127 characters"},
    {"empty name", "primary \"\" {}\n", 1, "primary \"\": name must be"},
    {"name too long",
     "primary "
     "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
     "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\" {}\n",
     1, "name must be 1..127 characters"},
    {"auth-pass too long",
     SEC("  auth-pass = \"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
         "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
         "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
         "pppppppppppppppppppp\"\n"),
     2, "primary \"a\": auth-pass: too long (at most 255 bytes)"},
    {"empty dir", "dir = \"\"\n", 1, "dir: must not be empty"},
    {"bind hostname", "bind = {\"127.0.0.1\",\n \"example.com\"}\n", 2,
     "bind: \"example.com\" is not an IPv4 or IPv6 address"},
    {"bind duplicate", "bind = {\"::1\", \"::1\"}\n", 1, "bind: \"::1\" is listed twice"},
    {"bind appended duplicate", "bind += \"127.0.0.1\"\n", 1,
     "bind: \"127.0.0.1\" is listed twice"},
    {"bind empty", "port = 1\n\n  bind = {}\nport = 2\n", 3, "bind: needs 1..16 addresses"},
    {"bind 17 addresses",
     "bind = {\"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\", \"10.0.0.4\", \"10.0.0.5\", \"10.0.0.6\", "
     "\"10.0.0.7\", \"10.0.0.8\", \"10.0.0.9\", \"10.0.0.10\", \"10.0.0.11\", \"10.0.0.12\", "
     "\"10.0.0.13\", \"10.0.0.14\", \"10.0.0.15\", \"10.0.0.16\",\n \"10.0.0.17\"}\n",
     2, "bind: more than 16 addresses"},
    {"announce-ip hostname", "announce-ip = \"me.example\"\n", 1, "announce-ip: \"me.example\""},
    {"unterminated block comment", "port = 1\n/* no end\nport = 2\n", 2, "unterminated /* comment"},
    {"unterminated single-quoted string", "port = 1\nrequirepass = 'abc\\\n\n", 2,
     "unterminated string"},
    {"unterminated double-quoted string", "dir = \"/x\n\nport = 2\n", 1, "unterminated string"},
    {"hidden anchor key", "\"vigil parse anchor\" = 1\n", 1, "no such option"},
    {"include is not a key", "include(\"/etc/passwd\")\n", 1, "no such option 'include'"},
    {"value without key", "= 1\n", 1, "unexpected token"},
    {"script not absolute", SEC("  host = \"10.0.0.1\"\n  notification-script = \"x.sh\"\n"), 3,
     "primary \"a\": notification-script: \"x.sh\" is not an absolute path"},
    {"script missing", SEC("  client-reconfig-script = \"/nonexistent/r.sh\"\n"), 2,
     "primary \"a\": client-reconfig-script: \"/nonexistent/r.sh\": No such file or directory"},
    {"script is a directory", SEC("  notification-script = \"/tmp\"\n"), 2,
     "notification-script: \"/tmp\" is not a regular file"},
    {"script not executable", SEC("  notification-script = \"/etc/passwd\"\n"), 2,
     "notification-script: \"/etc/passwd\" is not executable"},
    {"script key at root", "notification-script = \"/bin/sh\"\n", 1,
     "no such option 'notification-script'"},
    {"deny-scripts-reconfig not a boolean", "port = 1\ndeny-scripts-reconfig = maybe\n", 2,
     "invalid boolean value for option 'deny-scripts-reconfig'"},
    {"deny-scripts-reconfig in a section", SEC("  deny-scripts-reconfig = false\n"), 2,
     "no such option 'deny-scripts-reconfig'"},
};

/* Comments of every kind before the error: the line must still be right. */
static const struct bad_case comment_cases[] = {
    {"after # comments", "# one\n# two\n\n# three\nport = 0\n", 5, "port: 0 is out of range"},
    {"after trailing comments", "port = 1 # a\nport = 2 // b\nport = 0 /* c */\n", 3,
     "port: 0 is out"},
    {"after a multi-line block comment", "/*\n * x\n */\nport = 0\n", 4, "port: 0 is out"},
    {"after a multi-line string", "requirepass = \"a\nb\n\"\nport = 0\n", 4, "port: 0 is out"},
    {"in a section after comments",
     "# c\nprimary \"a\" { # c\n  # c\n  host = \"10.0.0.1\" # c\n  quorum = 0 # c\n}\n", 5,
     "primary \"a\": quorum: 0 is out of range"},
};

static void check_bad_case(const struct bad_case *bc)
{
	struct sn_conf c;
	struct sn_err e;
	char prefix[64];

	int rc = load(bc->text, &c, &e);

	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", bc->line);
	EXPECT(bc->name, rc == -EINVAL);
	EXPECT(bc->name, strncmp(e.msg, prefix, strlen(prefix)) == 0);
	EXPECT(bc->name, strstr(e.msg, bc->msg) != NULL);
	EXPECT(bc->name, c.groups == NULL && c.group_count == 0 && c.bind_count == 0);
	EXPECT(bc->name, c.scripts == NULL);
	if (rc != -EINVAL || strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
	    strstr(e.msg, bc->msg) == NULL)
		fprintf(stderr, "\n  case \"%s\": rc=%d msg=\"%s\"\n", bc->name, rc, e.msg);
	sn_conf_free(&c);
}

static void test_conf_rejects_each_error_class_with_line_and_key(void)
{
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
		check_bad_case(&bad_cases[i]);
}

static void test_conf_line_numbers_survive_comments(void)
{
	for (size_t i = 0; i < ARRAY_LEN(comment_cases); i++)
		check_bad_case(&comment_cases[i]);
}

/* Secrets are never echoed in errors. */
static void test_conf_error_does_not_reveal_secret(void)
{
	char text[600];
	struct sn_conf c;
	struct sn_err e;

	snprintf(text, sizeof(text), "requirepass = \"hunter2%0300d\"\n", 0);
	int rc = load(text, &c, &e);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "requirepass: too long"));
	CU_ASSERT_PTR_NULL(strstr(e.msg, "hunter2"));
}

static void test_conf_load_file_missing_is_enoent(void)
{
	struct sn_conf c;
	struct sn_err e = {{0}};

	int rc = sn_conf_load_file("/nonexistent/vigil.conf", &c, &e);

	CU_ASSERT_EQUAL(rc, -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/vigil.conf"));
	CU_ASSERT_PTR_NULL(c.groups);
}

static int write_temp(char *path, size_t size, const void *data, size_t len)
{
	snprintf(path, size, "/tmp/vigil-unit-conf-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static void test_conf_load_file_reports_file_name_and_line(void)
{
	char path[64];
	struct sn_conf c;
	struct sn_err e = {{0}};
	const char text[] = "port = 1\nprimary \"a\" {\n  quorum = 0\n}\n";
	char prefix[96];

	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), text, strlen(text)), 0);
	int rc = sn_conf_load_file(path, &c, &e);
	unlink(path);

	snprintf(prefix, sizeof(prefix), "%s:3: primary \"a\": quorum: 0", path);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(strncmp(e.msg, prefix, strlen(prefix)), 0);
}

static void test_conf_load_file_refuses_nul_and_huge_files(void)
{
	char path[64];
	struct sn_conf c;
	struct sn_err e = {{0}};
	const char nul[] = "port = 1\n\0port = 0\n";
	size_t big_len = SN_CONF_FILE_SIZE_MAX + 1;
	char *big = malloc(big_len);

	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), nul, sizeof(nul) - 1), 0);
	int rc_nul = sn_conf_load_file(path, &c, &e);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, '\n', big_len);
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), big, big_len), 0);
	int rc_big = sn_conf_load_file(path, &c, &e);
	unlink(path);
	free(big);

	CU_ASSERT_EQUAL(rc_nul, -EINVAL);
	CU_ASSERT_EQUAL(rc_big, -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "bigger than"));
}

CU_TestInfo conf_tests[] = {
    {"empty text gives all defaults", test_conf_empty_text_gives_defaults},
    {"issue example parses", test_conf_issue_example_parses},
    {"conf/vigil.conf parses to the defaults", test_conf_example_file_parses_to_defaults},
    {"every key is read", test_conf_every_key_is_read},
    {"scripts belong to their group", test_conf_scripts_belong_to_their_group},
    {"deny-scripts-reconfig spellings", test_conf_deny_scripts_reconfig_spellings},
    {"script path rule", test_conf_script_path_check_rule},
    {"too long script path is refused", test_conf_script_path_too_long_is_refused},
    {"groups keep file order", test_conf_groups_keep_file_order_and_own_settings},
    {"group defaults helper matches the table", test_conf_group_defaults_helper_matches_table},
    {"comment chars in strings are kept", test_conf_comment_chars_in_strings_are_kept},
    {"comments inside lists", test_conf_comments_inside_lists_and_sections},
    {"${VAR} expands in double quotes only", test_conf_env_expands_in_double_quotes_only},
    {"values at their limits are accepted", test_conf_accepts_values_at_their_limits},
    {"each error class names line and key", test_conf_rejects_each_error_class_with_line_and_key},
    {"line numbers survive comments", test_conf_line_numbers_survive_comments},
    {"errors do not reveal secrets", test_conf_error_does_not_reveal_secret},
    {"missing file is -ENOENT", test_conf_load_file_missing_is_enoent},
    {"file errors name the file and line", test_conf_load_file_reports_file_name_and_line},
    {"NUL bytes and huge files are refused", test_conf_load_file_refuses_nul_and_huge_files},
    CU_TEST_INFO_NULL,
};
