// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer harness for sn_conf_load_buf(): any text (cut at its first NUL, as a C string is) must
 * load or fail with a "name:line: ..." message, never crash, and a loaded conf must satisfy every
 * documented bound: addresses are IP literals, names unique and well-formed, values in range.
 * Violations abort; nothing is masked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static int is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void check_group(const struct sn_conf *c, size_t i)
{
	const struct qu_group_conf *g = &c->groups[i];
	size_t n = strnlen(g->name, sizeof(g->name));
	check(n > 0 && n < sizeof(g->name));
	check(strspn(g->name,
	             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n);
	for (size_t j = 0; j < i; j++)
		check(strcmp(c->groups[j].name, g->name) != 0);
	check(is_ip(g->addr.host));
	check(g->addr.port != 0);
	check(g->quorum >= 1 && g->quorum <= SN_CONF_INT_MAX);
	check(g->down_after_ms >= 1 && g->down_after_ms <= SN_CONF_INT_MAX);
	check(g->failover_timeout_ms >= 1 && g->failover_timeout_ms <= SN_CONF_INT_MAX);
	check(g->parallel_syncs >= 1 && g->parallel_syncs <= SN_CONF_INT_MAX);
	check(strnlen(g->auth_user, sizeof(g->auth_user)) < sizeof(g->auth_user));
	check(strnlen(g->auth_pass, sizeof(g->auth_pass)) < sizeof(g->auth_pass));
}

static void check_conf(const struct sn_conf *c)
{
	check(c->bind_count >= 1 && c->bind_count <= SN_BINDS_MAX);
	for (size_t i = 0; i < c->bind_count; i++) {
		check(is_ip(c->binds[i]));
		for (size_t j = 0; j < i; j++)
			check(strcmp(c->binds[i], c->binds[j]) != 0);
	}
	check(c->port != 0);
	check(c->dir[0] != '\0');
	check(c->announce_ip[0] == '\0' || is_ip(c->announce_ip));
	check(c->log_level >= SN_LOG_DEBUG && c->log_level <= SN_LOG_WARNING);
	check(c->maxclients >= 1 && c->maxclients <= SN_CONF_MAXCLIENTS_MAX);
	check(c->group_count == 0 || c->groups != NULL);
	for (size_t i = 0; i < c->group_count; i++)
		check_group(c, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct sn_conf conf;
	struct sn_err err = {{0}};

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int rc = sn_conf_load_buf(text, "fuzz.conf", &conf, &err);
	free(text);

	check(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0)
		check_conf(&conf);
	else
		check(strncmp(err.msg, "fuzz.conf:", 10) == 0 && conf.groups == NULL &&
		      conf.group_count == 0);
	sn_conf_free(&conf);
	return 0;
}
