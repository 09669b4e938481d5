// SPDX-License-Identifier: BSD-3-Clause
/*
 * INFO for the RESP port: the server, clients, cpu and stats sections in redis-sentinel
 * 7.0.15's field order, and the sentinel section through the hook. This file owns those
 * field names. It only reads counters and the process's own facts (uname, rusage); it never
 * changes a client or the server.
 */
#include "cmd.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd_internal.h"

#define INFO_SECTIONS 6
#define PUBSUB_DISTINCT_MAX 65536u /* INFO counts distinct channels up to this many subs */

enum info_section { SEC_SERVER, SEC_CLIENTS, SEC_CPU, SEC_STATS, SEC_SENTINEL, SEC_VIGIL };

static const char *const info_section_names[INFO_SECTIONS] = {"server", "clients", "cpu", "stats",
                                                              "sentinel", "vigil"};

static const char *ev_backend_name(struct ev_loop *loop)
{
	unsigned b = ev_backend(loop);
	return b == EVBACKEND_EPOLL    ? "epoll"
	       : b == EVBACKEND_POLL   ? "poll"
	       : b == EVBACKEND_SELECT ? "select"
	       : b == EVBACKEND_KQUEUE ? "kqueue"
	                               : "libev";
}

static void info_server(struct sn_server *s, struct sn_buf *b)
{
	struct utsname u;
	struct timespec now;
	char exe[512];
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t up_s = (sn_clock_now_ms() - s->started_ms) / 1000;
	sn_buf_printf(b,
	              "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\n"
	              "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:sentinel\r\n"
	              "os:%s %s %s\r\narch_bits:%d\r\nmonotonic_clock:POSIX clock_gettime\r\n"
	              "multiplexing_api:%s\r\natomicvar_api:c11-builtin\r\ngcc_version:%d.%d.%d\r\n"
	              "process_id:%ld\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%u\r\n"
	              "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
	              "hz:10\r\nconfigured_hz:10\r\nlru_clock:%lld\r\nexecutable:%s\r\n"
	              "config_file:%s\r\nio_threads_active:0\r\nvigil_version:%s\r\n",
	              VIGIL_REDIS_VERSION, u.sysname, u.release, u.machine, (int)(sizeof(long) * 8),
	              ev_backend_name(s->loop), __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
	              (long)getpid(), s->run_id, (unsigned)s->port,
	              (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000, (long long)up_s,
	              (long long)(up_s / 86400), (long long)(now.tv_sec & ((1 << 24) - 1)), exe,
	              s->config_path != NULL ? s->config_path : "", VIGIL_VERSION);
}

static void info_clients(struct sn_server *s, struct sn_buf *b)
{
	sn_buf_printf(b,
	              "# Clients\r\nconnected_clients:%u\r\ncluster_connections:0\r\n"
	              "maxclients:%u\r\nclient_recent_max_input_buffer:%zu\r\n"
	              "client_recent_max_output_buffer:%zu\r\nblocked_clients:0\r\n"
	              "tracking_clients:0\r\nclients_in_timeout_table:0\r\n",
	              s->client_count, s->maxclients, s->stats.recent_max_input_bytes,
	              s->stats.recent_max_output_bytes);
}

static void info_cpu(struct sn_buf *b)
{
	struct rusage self, children;
	if (getrusage(RUSAGE_SELF, &self) != 0)
		memset(&self, 0, sizeof(self));
	if (getrusage(RUSAGE_CHILDREN, &children) != 0)
		memset(&children, 0, sizeof(children));
	/* single-threaded: the main thread is the process */
	sn_buf_printf(
	    b,
	    "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n"
	    "used_cpu_sys_children:%ld.%06ld\r\nused_cpu_user_children:%ld.%06ld\r\n"
	    "used_cpu_sys_main_thread:%ld.%06ld\r\nused_cpu_user_main_thread:%ld.%06ld\r\n",
	    (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec,
	    (long)self.ru_utime.tv_usec, (long)children.ru_stime.tv_sec,
	    (long)children.ru_stime.tv_usec, (long)children.ru_utime.tv_sec,
	    (long)children.ru_utime.tv_usec, (long)self.ru_stime.tv_sec,
	    (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec);
}

static int sub_cmp(const void *a, const void *b)
{
	const struct sn_sub *x = *(const struct sn_sub *const *)a;
	const struct sn_sub *y = *(const struct sn_sub *const *)b;
	if (x->pattern != y->pattern)
		return x->pattern ? 1 : -1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

/* Distinct channels and patterns with subscribers (Redis counts dict keys). Past
 * PUBSUB_DISTINCT_MAX subscriptions, fall back to plain sums rather than sort them all. */
static void count_pubsub(struct sn_server *s, size_t *channels, size_t *patterns)
{
	size_t total = 0, k = 0;
	*channels = *patterns = 0;
	for (struct sn_client *c = s->clients; c != NULL; c = c->next) {
		total += c->sub_count;
		*channels += c->channel_count;
		*patterns += c->pattern_count;
	}
	if (total == 0 || total > PUBSUB_DISTINCT_MAX)
		return;
	const struct sn_sub **all = malloc(total * sizeof(*all));
	if (all == NULL)
		return;
	for (struct sn_client *c = s->clients; c != NULL; c = c->next) {
		for (uint32_t i = 0; i < c->sub_count; i++)
			all[k++] = &c->subs[i];
	}
	qsort(all, total, sizeof(*all), sub_cmp);
	*channels = *patterns = 0;
	for (size_t i = 0; i < total; i++) {
		if (i > 0 && sub_cmp(&all[i - 1], &all[i]) == 0)
			continue;
		if (all[i]->pattern)
			(*patterns)++;
		else
			(*channels)++;
	}
	free(all);
}

static uint64_t inst_metric(const struct sn_server *s, int m)
{
	uint64_t sum = 0;
	for (int i = 0; i < SN_SERVER_STATS_SAMPLES; i++)
		sum += s->inst.samples[m][i];
	return sum / SN_SERVER_STATS_SAMPLES;
}

static void info_stats(struct sn_server *s, struct sn_buf *b)
{
	const struct sn_server_stats *st = &s->stats;
	size_t channels, patterns;
	count_pubsub(s, &channels, &patterns);
	sn_buf_printf(
	    b,
	    "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
	    "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
	    "total_net_output_bytes:%llu\r\ntotal_net_repl_input_bytes:0\r\n"
	    "total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:%.2f\r\n"
	    "instantaneous_output_kbps:%.2f\r\ninstantaneous_input_repl_kbps:0.00\r\n"
	    "instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%llu\r\n",
	    (unsigned long long)st->connections_received,
	    (unsigned long long)st->commands_processed, (unsigned long long)inst_metric(s, 0),
	    (unsigned long long)st->net_input_bytes, (unsigned long long)st->net_output_bytes,
	    (double)inst_metric(s, 1) / 1024, (double)inst_metric(s, 2) / 1024,
	    (unsigned long long)st->rejected_connections);
	/* The keyspace, replication, fork and defrag counters of a data node stay zero here. */
	sn_buf_append_str(
	    b, "sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n"
	       "expired_keys:0\r\nexpired_stale_perc:0.00\r\n"
	       "expired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\n"
	       "evicted_keys:0\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\n"
	       "current_eviction_exceeded_time:0\r\nkeyspace_hits:0\r\n"
	       "keyspace_misses:0\r\n");
	sn_buf_printf(b, "pubsub_channels:%zu\r\npubsub_patterns:%zu\r\n", channels, patterns);
	sn_buf_append_str(b, "pubsubshard_channels:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\n"
	                     "migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n"
	                     "active_defrag_hits:0\r\nactive_defrag_misses:0\r\n"
	                     "active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
	                     "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\n"
	                     "tracking_total_keys:0\r\ntracking_total_items:0\r\n"
	                     "tracking_total_prefixes:0\r\nunexpected_error_replies:0\r\n");
	sn_buf_printf(b,
	              "total_error_replies:%llu\r\ndump_payload_sanitizations:0\r\n"
	              "total_reads_processed:%llu\r\ntotal_writes_processed:%llu\r\n"
	              "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n"
	              "reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
	              (unsigned long long)st->error_replies,
	              (unsigned long long)st->reads_processed,
	              (unsigned long long)st->writes_processed);
}

/* Which sections INFO asked for: none = the five of redis-sentinel; "all"/"default" = the same;
 * "everything" = those and vigil's own; unknown names are ignored (sentinelInfoCommand). The
 * vigil section is opt-in so that default INFO stays byte-compatible with redis-sentinel's. */
static void info_pick(const struct sn_req *req, bool want[INFO_SECTIONS])
{
	bool any = req->argc == 1;
	for (int i = 1; i < req->argc; i++) {
		if (sn_cmd_arg_is(req, i, "all") || sn_cmd_arg_is(req, i, "default") ||
		    sn_cmd_arg_is(req, i, "everything"))
			any = true;
		if (sn_cmd_arg_is(req, i, "everything"))
			want[SEC_VIGIL] = true;
		for (int k = 0; k < INFO_SECTIONS; k++) {
			if (sn_cmd_arg_is(req, i, info_section_names[k]))
				want[k] = true;
		}
	}
	for (int k = 0; any && k < SEC_VIGIL; k++)
		want[k] = true;
}

void sn_cmd_run_info(struct sn_server *s, struct sn_client *c, const struct sn_req *req)
{
	bool want[INFO_SECTIONS] = {false};
	struct sn_buf b;
	info_pick(req, want);
	sn_buf_init(&b);
	/* Fixed order whatever the request order; a blank line between sections. */
	for (int k = 0; k < INFO_SECTIONS; k++) {
		if (!want[k])
			continue;
		if (k == SEC_SENTINEL && s->hooks.info_sentinel == NULL)
			continue;
		if (k == SEC_VIGIL && s->hooks.info_vigil == NULL)
			continue;
		if (b.len > 0)
			sn_buf_append(&b, "\r\n", 2);
		switch ((enum info_section)k) {
		case SEC_SERVER:
			info_server(s, &b);
			break;
		case SEC_CLIENTS:
			info_clients(s, &b);
			break;
		case SEC_CPU:
			info_cpu(&b);
			break;
		case SEC_STATS:
			info_stats(s, &b);
			break;
		case SEC_SENTINEL:
			s->hooks.info_sentinel(s->hooks.ctx, &b);
			break;
		case SEC_VIGIL:
			s->hooks.info_vigil(s->hooks.ctx, &b);
			break;
		}
	}
	/* A bulk string even in RESP3, as redis-sentinel sends it. */
	sn_resp_bulk(&c->out, b.data != NULL ? b.data : "", b.len);
	sn_buf_free(&b);
}
