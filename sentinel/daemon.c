// SPDX-License-Identifier: BSD-3-Clause
/*
 * The watcher's owner object: boot and teardown, and turning I/O into core inputs
 * (sn_daemon_feed) whose actions run strictly in order (executed by daemon_io.c). It decides
 * nothing: every decision is the core's. It must never call qu_step() re-entrantly; inputs that
 * arrive while actions run are queued.
 */
#include "daemon.h"
#include "daemon_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "info.h"
#include "log.h"
#include "quorum_wire.h"
#include "state.h"

_Static_assert(SN_GROUPS_MAX <= SN_STATE_GROUPS_MAX, "state file must hold every group");

#define SN_ASSERT_OK(rc)                                                                           \
	do {                                                                                       \
		if ((rc) != QU_OK)                                                                 \
			qu_panic(__FILE__, __LINE__, #rc " != QU_OK");                             \
	} while (0)

/* -script-error / -script-timeout: Sentinel gives them no instance, so no script runs. */
static void scripts_on_event(void *ctx, const char *event, const char *payload)
{
	struct sn_daemon *d = ctx;
	sn_log(SN_LOG_WARNING, "event=%s %s", event, payload);
	sn_server_publish(&d->server, event, payload, strlen(payload));
}

/* ---- feeding inputs ------------------------------------------------------------------- */

static void defer_input(struct sn_daemon *d, const struct qu_input *in)
{
	if (d->defer_len == SN_DEFER_MAX) {
		sn_log(SN_LOG_WARNING, "event=input-dropped reason=queue-full kind=%d", in->kind);
		return;
	}
	uint32_t slot = (d->defer_head + d->defer_len) % SN_DEFER_MAX;
	d->defer[slot] = *in;
	d->defer_info[slot] = NULL;
	d->defer_hello[slot] = NULL;
	if (in->kind == QU_IN_INFO_REPLY) {
		struct qu_info *copy = malloc(sizeof(*copy));
		if (copy == NULL)
			return;
		*copy = *in->u.info;
		d->defer_info[slot] = copy;
		d->defer[slot].u.info = copy;
	}
	if (in->kind == QU_IN_HELLO) {
		struct qu_hello *copy = malloc(sizeof(*copy));
		if (copy == NULL)
			return;
		*copy = *in->u.hello;
		d->defer_hello[slot] = copy;
		d->defer[slot].u.hello = copy;
	}
	d->defer_len++;
}

/*
 * Persist before you reveal: a PERSIST action writes the state file right there, before any later
 * action of the batch runs. If the write fails, the rest of the batch is dropped unexecuted and
 * the core learns it (PERSIST_FAILED) so that it persists again before revealing anything.
 */
static int feed_one(struct sn_daemon *d, const struct qu_input *in)
{
	int rc = qu_step(d->core, in);
	bool failed = false;
	for (const struct qu_action *a; (a = qu_action_next(d->core)) != NULL;) {
		if (failed)
			continue; /* drained, never executed */
		if (a->kind != QU_ACT_PERSIST) {
			sn_daemon_exec(d, a);
			continue;
		}
		if (d->booting)
			d->persist_wanted = true;
		else
			failed = sn_daemon_persist(d) != 0;
	}
	if (failed) {
		struct qu_input pf = {.kind = QU_IN_PERSIST_FAILED, .now_ms = in->now_ms};
		int pf_rc = qu_step(d->core, &pf);
		SN_ASSERT_OK(pf_rc);
		for (const struct qu_action *a; (a = qu_action_next(d->core)) != NULL;)
			sn_daemon_exec(d, a);
	}
	return rc;
}

/* Wake exactly when the core's next timed decision is due (SDOWN, an election step) instead of
 * up to a tick later: SDOWN is then declared at down-after, not down-after + tick. */
static void arm_wake(struct sn_daemon *d)
{
	if (d->loop == NULL || d->booting)
		return;
	int64_t at = qu_next_deadline_ms(d->core);
	ev_timer_stop(d->loop, &d->wake);
	if (at == INT64_MAX)
		return;
	int64_t delay_ms = at - sn_clock_now_ms();
	if (delay_ms >= SN_TICK_MS)
		return; /* the periodic tick comes first */
	ev_timer_set(&d->wake, delay_ms > 0 ? (double)delay_ms / 1000.0 : 0.0, 0.0);
	ev_timer_start(d->loop, &d->wake);
}

int sn_daemon_feed(struct sn_daemon *d, const struct qu_input *in)
{
	if (d->feeding) {
		defer_input(d, in);
		return QU_OK;
	}
	d->feeding = true;
	int rc = feed_one(d, in);
	/* Bounded: each queued input is fed once; new ones queue behind it. */
	for (uint32_t budget = SN_DEFER_MAX * 4; d->defer_len > 0 && budget > 0; budget--) {
		uint32_t slot = d->defer_head;
		d->defer_head = (d->defer_head + 1) % SN_DEFER_MAX;
		d->defer_len--;
		struct qu_input next = d->defer[slot];
		struct qu_info *info = d->defer_info[slot];
		struct qu_hello *hello = d->defer_hello[slot];
		d->defer_info[slot] = NULL;
		d->defer_hello[slot] = NULL;
		(void)feed_one(d, &next);
		free(info);
		free(hello);
	}
	d->feeding = false;
	arm_wake(d);
	return rc;
}

int sn_daemon_persist(struct sn_daemon *d)
{
	d->persist_wanted = false;
	struct sn_state st;
	struct sn_err err;
	char *text = NULL;
	size_t len = 0;
	int rc = sn_state_capture_live(d->core, &d->conf, &d->live, &st);
	if (rc == 0) {
		rc = sn_state_encode(&st, &text, &len);
		sn_state_free(&st);
	}
	if (rc == 0)
		rc = sn_state_write(d->conf.dir, text, len, &err);
	else
		sn_err_set(&err, "cannot encode state");
	free(text);
	if (rc != 0) {
		d->persist_failures++;
		sn_log(SN_LOG_WARNING, "event=state-write-failed dir=%s err=\"%s\"", d->conf.dir,
		       err.msg);
	}
	d->persist_rc = rc;
	return rc;
}

/* ---- link callbacks: translate, never decide -------------------------------------------- */

static void link_on_state(void *ctx, uint32_t node, enum qu_link_kind which, bool up)
{
	struct qu_input in = {.kind = QU_IN_LINK, .now_ms = sn_clock_now_ms(), .node = node};
	in.u.link.which = which;
	in.u.link.up = up;
	(void)sn_daemon_feed(ctx, &in);
}

static void link_on_ping(void *ctx, uint32_t node, bool valid)
{
	struct qu_input in = {.kind = QU_IN_PING_REPLY, .now_ms = sn_clock_now_ms(), .node = node};
	in.u.ping.valid = valid;
	(void)sn_daemon_feed(ctx, &in);
}

static void link_on_info(void *ctx, uint32_t node, const char *text, size_t len)
{
	struct sn_daemon *d = ctx;
	int64_t now = sn_clock_now_ms();
	struct sn_node_cache *c = &d->cache[node];
	char *copy = malloc(len + 1);
	if (copy != NULL) {
		memcpy(copy, text, len);
		copy[len] = '\0';
		free(c->info);
		c->info = copy;
		c->info_len = len;
		c->info_at_ms = now;
	}
	static const struct qu_info zero_info;
	struct qu_info *info = malloc(sizeof(*info));
	if (info == NULL)
		return;
	if (sn_info_parse(text, len, info) != 0)
		*info = zero_info; /* not INFO: refreshes the INFO clock, changes nothing else */
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .now_ms = now, .node = node};
	in.u.info = info;
	(void)sn_daemon_feed(d, &in);
	free(info);
}

/* A hello from anywhere (a node's channel or a PUBLISH to us): parse, then let the core judge. */
static void feed_hello(struct sn_daemon *d, const char *payload, size_t len, int64_t now)
{
	d->hello_received++;
	struct qu_hello h;
	int rc = qu_wire_hello_parse(payload, len, &h);
	if (rc != 0) {
		d->hello_rejected++;
		sn_log(SN_LOG_DEBUG, "event=hello-rejected reason=%d", rc);
		return;
	}
	struct qu_input in = {.kind = QU_IN_HELLO, .now_ms = now};
	in.u.hello = &h;
	if (sn_daemon_feed(d, &in) != QU_OK)
		d->hello_rejected++;
}

static void link_on_message(void *ctx, uint32_t node, const char *channel, const char *payload,
                            size_t len)
{
	struct sn_daemon *d = ctx;
	int64_t now = sn_clock_now_ms();
	struct qu_input in = {.kind = QU_IN_PUBSUB_ACTIVITY, .now_ms = now, .node = node};
	(void)sn_daemon_feed(d, &in);
	if (strcmp(channel, QU_HELLO_CHANNEL) == 0)
		feed_hello(d, payload, len, now);
}

static void link_on_publish(void *ctx, uint32_t node, uint32_t tag, bool ok)
{
	if (!ok)
		return;
	struct qu_input in = {.kind = QU_IN_HELLO_SENT, .now_ms = sn_clock_now_ms(), .node = node};
	in.u.hello_sent.group = tag;
	(void)sn_daemon_feed(ctx, &in);
}

/* A peer's answer to is-master-down-by-addr: exactly (integer, string, integer), else ignored. */
static void link_on_reply(void *ctx, uint32_t node, uint32_t tag, const struct redisReply *r)
{
	struct sn_daemon *d = ctx;
	if (tag == SN_TAG_IGNORE)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[2]->type != REDIS_REPLY_INTEGER || r->element[2]->integer < 0 ||
	    (r->element[1]->len != QU_RUNID_LEN && strcmp(r->element[1]->str, "*") != 0)) {
		d->vote_reply_rejected++;
		return;
	}
	struct qu_input in = {.kind = QU_IN_VOTE_REPLY, .now_ms = sn_clock_now_ms(), .node = node};
	in.u.vote_reply.group = tag;
	in.u.vote_reply.down = r->element[0]->integer == 1;
	snprintf(in.u.vote_reply.leader, sizeof(in.u.vote_reply.leader), "%s", r->element[1]->str);
	in.u.vote_reply.leader_epoch = (uint64_t)r->element[2]->integer;
	(void)sn_daemon_feed(d, &in);
}

/* ---- server hooks ------------------------------------------------------------------------ */

static int server_on_hello(void *ctx, const char *payload, size_t len)
{
	feed_hello(ctx, payload, len, sn_clock_now_ms());
	return 0; /* Sentinel answers :1 whether or not the hello was usable */
}

static void server_on_shutdown(void *ctx)
{
	struct sn_daemon *d = ctx;
	sn_log(SN_LOG_WARNING, "event=shutdown reason=command");
	ev_break(d->loop, EVBREAK_ALL);
}

/* ---- timers and signals ------------------------------------------------------------------ */

static void tick_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sn_daemon *d = (struct sn_daemon *)((char *)w - offsetof(struct sn_daemon, tick));
	int64_t now = sn_clock_now_ms(), wall = sn_clock_wall_ms();
	/* TILT (sentinel-protocol.md §9.1): the loop stalled (the process was stopped or starved)
	 * or the wall clock jumped against the monotonic one (a VM pause, a clock step). */
	if (d->last_tick_ms != 0) {
		int64_t gap = now - d->last_tick_ms;
		int64_t drift = (wall - d->last_tick_wall_ms) - gap;
		if (gap > QU_TILT_TRIGGER_MS || drift > QU_TILT_TRIGGER_MS ||
		    drift < -QU_TILT_TRIGGER_MS) {
			sn_log(SN_LOG_WARNING, "event=stall gap_ms=%lld drift_ms=%lld", (long long)gap,
			       (long long)drift);
			struct qu_input st = {.kind = QU_IN_STALL, .now_ms = now};
			(void)sn_daemon_feed(d, &st);
		}
	}
	d->last_tick_ms = now;
	d->last_tick_wall_ms = wall;
	struct qu_input in = {.kind = QU_IN_TICK, .now_ms = now};
	(void)sn_daemon_feed(d, &in);
}

static void wake_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sn_daemon *d = (struct sn_daemon *)((char *)w - offsetof(struct sn_daemon, wake));
	struct qu_input in = {.kind = QU_IN_TICK, .now_ms = sn_clock_now_ms()};
	(void)sn_daemon_feed(d, &in);
}

static void signal_on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	sn_log(SN_LOG_WARNING, "event=shutdown signal=%d", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void signal_on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	int rc = sn_log_reopen();
	sn_log(rc == 0 ? SN_LOG_NOTICE : SN_LOG_WARNING, "event=log-reopened rc=%d", rc);
}

/* ---- boot -------------------------------------------------------------------------------- */

static int new_myid(char *out)
{
	unsigned char raw[QU_RUNID_LEN / 2];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static int ensure_dir(const char *dir, struct sn_err *err)
{
	struct stat stbuf;
	if (stat(dir, &stbuf) == 0) {
		if (S_ISDIR(stbuf.st_mode))
			return 0;
		sn_err_set(err, "dir %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	int rc = -errno;
	sn_err_set(err, "dir %s: %s", dir, strerror(errno));
	return rc;
}

static int load_state(struct sn_daemon *d, struct sn_state *st, struct sn_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = sn_state_read(d->conf.dir, &text, &len, err);
	if (rc == -ENOENT) {
		memset(st, 0, sizeof(*st));
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = sn_state_decode(text, len, st, err);
	free(text);
	if (rc != 0)
		sn_err_wrap(err, "%s/vigil.state", d->conf.dir);
	return rc;
}

static int init_core(struct sn_daemon *d, const struct sn_state *st, const struct sn_effective *eff,
                     struct sn_err *err)
{
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	p.limits.groups_max = SN_GROUPS_MAX;
	p.limits.nodes_max = SN_NODES_MAX;
	p.limits.watchers_max = SN_WATCHERS_MAX;
	if (getrandom(&p.seed, sizeof(p.seed), 0) != (ssize_t)sizeof(p.seed))
		p.seed = (uint64_t)sn_clock_now_ms();
	d->seed = p.seed;
	if (st->myid[0] != '\0') {
		snprintf(p.myid, sizeof(p.myid), "%s", st->myid);
	} else if (new_myid(p.myid) != 0) {
		sn_err_set(err, "cannot generate an id: %s", strerror(errno));
		return -EIO;
	}
	p.current_epoch = eff->current_epoch; /* never behind an epoch recorded in the file */
	d->core_mem = calloc(1, qu_core_size(&p.limits));
	d->cache = calloc(p.limits.nodes_max, sizeof(*d->cache));
	if (d->core_mem == NULL || d->cache == NULL) {
		sn_err_set(err, "out of memory");
		return -ENOMEM;
	}
	d->core = qu_core_init(d->core_mem, &p);
	if (d->core == NULL) {
		sn_err_set(err, "cannot initialise the core");
		return -EINVAL;
	}
	return 0;
}

static int admin(struct sn_daemon *d, struct qu_admin *a)
{
	struct qu_input in = {.kind = QU_IN_ADMIN, .now_ms = sn_clock_now_ms()};
	in.u.admin = *a;
	return sn_daemon_feed(d, &in);
}

/* Monitor every effective group (config + state file): +monitor per group, like Sentinel. */
static int restore_groups(struct sn_daemon *d, const struct sn_effective *eff, struct sn_err *err)
{
	for (size_t i = 0; i < eff->group_count; i++) {
		const struct sn_eff_group *e = &eff->groups[i];
		struct qu_admin a = {.op = QU_ADMIN_MONITOR, .conf = &e->conf};
		int rc = admin(d, &a);
		if (rc != QU_OK) {
			sn_err_set(err, "primary \"%s\": cannot monitor (%d)", e->conf.name, rc);
			return -EINVAL;
		}
		uint32_t g = qu_group_find(d->core, e->conf.name);
		struct qu_admin ep = {.op = QU_ADMIN_EPOCHS, .group = g, .quiet = true};
		ep.num = e->config_epoch > INT64_MAX ? INT64_MAX : (int64_t)e->config_epoch;
		if (admin(d, &ep) != QU_OK) {
			sn_err_set(err, "primary \"%s\": bad config epoch", e->conf.name);
			return -EINVAL;
		}
		/* Our vote binds us across restarts: failing to restore it must stop the start. */
		if (e->leader[0] != '\0') {
			struct qu_admin v = {.op = QU_ADMIN_VOTE, .group = g, .quiet = true};
			v.str = e->leader;
			v.num = e->leader_epoch > INT64_MAX ? INT64_MAX : (int64_t)e->leader_epoch;
			if (admin(d, &v) != QU_OK) {
				sn_err_set(err, "primary \"%s\": bad vote", e->conf.name);
				return -EINVAL;
			}
		}
		for (size_t r = 0; r < e->replica_count; r++) {
			struct qu_admin kr = {
			    .op = QU_ADMIN_KNOWN_REPLICA, .group = g, .quiet = true};
			kr.addr = e->replicas[r];
			if (admin(d, &kr) == QU_EFULL)
				break;
		}
		for (size_t p = 0; p < e->peer_count; p++) {
			struct qu_admin kp = {.op = QU_ADMIN_KNOWN_PEER, .group = g, .quiet = true};
			kp.addr = e->peers[p].addr;
			kp.str = e->peers[p].runid;
			if (admin(d, &kp) == QU_EFULL)
				break;
		}
	}
	return 0;
}

static int start_io(struct sn_daemon *d, struct sn_err *err)
{
	static const struct sn_link_hooks link_hooks_proto = {
	    .on_state = link_on_state,
	    .on_ping = link_on_ping,
	    .on_info = link_on_info,
	    .on_message = link_on_message,
	    .on_publish = link_on_publish,
	    .on_reply = link_on_reply,
	};
	struct sn_link_hooks lh = link_hooks_proto;
	lh.ctx = d;
	uint32_t endpoints = qu_nodes_max(d->core) + qu_watchers_max(d->core);
	int rc = sn_links_init(&d->links, d->loop, endpoints, qu_myid(d->core), &lh);
	if (rc != 0) {
		sn_err_set(err, "cannot set up links (%d)", rc);
		return rc;
	}
	struct sn_server_conf sc = {
	    .binds = (const char(*)[QU_HOST_MAX])d->conf.binds,
	    .bind_count = d->conf.bind_count,
	    .port = d->conf.port,
	    .requirepass = d->conf.requirepass,
	    .maxclients = d->conf.maxclients,
	    .config_path = d->conf_path,
	    .myid = qu_myid(d->core),
	};
	struct sn_server_hooks sh = {
	    .ctx = d,
	    .sentinel = sn_cmd_sentinel,
	    .role = sn_cmd_role,
	    .info_sentinel = sn_cmd_info_sentinel,
	    .info_vigil = sn_cmd_info_vigil,
	    .hello = server_on_hello,
	    .shutdown = server_on_shutdown,
	};
	return sn_server_start(&d->server, d->loop, &sc, &sh, err);
}

static void start_timers(struct sn_daemon *d)
{
	ev_timer_init(&d->tick, tick_on_timer, 0.0, SN_TICK_MS / 1000.0);
	ev_timer_start(d->loop, &d->tick);
	ev_timer_init(&d->wake, wake_on_timer, 0.0, 0.0);
	ev_signal_init(&d->sig_term, signal_on_stop, SIGTERM);
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_init(&d->sig_int, signal_on_stop, SIGINT);
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_init(&d->sig_hup, signal_on_hup, SIGHUP);
	ev_signal_start(d->loop, &d->sig_hup);
}

int sn_daemon_init(struct sn_daemon *d, struct ev_loop *loop, const char *conf_path,
                   struct sn_conf *conf, struct sn_err *err)
{
	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	snprintf(d->conf_path, sizeof(d->conf_path), "%s", conf_path);
	d->started_ms = sn_clock_now_ms();
	d->booting = true;
	struct sn_script_hooks script_hooks = {.ctx = d, .on_event = scripts_on_event};
	struct sn_state st;
	struct sn_effective eff;
	memset(&st, 0, sizeof(st));
	memset(&eff, 0, sizeof(eff));
	int rc = sn_scripts_init(&d->scripts, loop, &script_hooks);
	if (rc != 0)
		sn_err_set(err, "scripts need the default libev loop");
	if (rc == 0)
		rc = ensure_dir(d->conf.dir, err);
	if (rc == 0)
		rc = load_state(d, &st, err);
	if (rc == 0)
		rc = sn_state_apply(&d->conf, &st, &eff, err);
	if (rc == 0) {
		/* The live globals share no pointers with conf: groups live in the core. */
		d->live = d->conf;
		d->live.groups = NULL;
		d->live.scripts = NULL;
		d->live.group_count = 0;
		sn_state_apply_globals(&st, &d->live);
	}
	if (rc == 0)
		rc = init_core(d, &st, &eff, err);
	if (rc == 0)
		rc = start_io(d, err);
	if (rc == 0)
		rc = restore_groups(d, &eff, err);
	size_t groups = eff.group_count;
	if (rc == 0 && eff.ignored_count > 0)
		sn_log(SN_LOG_WARNING,
		       "event=state-records-ignored count=%zu reason=\"primaries no longer "
		       "configured\"",
		       eff.ignored_count);
	sn_effective_free(&eff);
	sn_state_free(&st);
	if (rc != 0)
		return rc;
	sn_log(SN_LOG_NOTICE, "event=started myid=%s port=%u groups=%zu seed=%llu",
	       qu_myid(d->core), (unsigned)d->conf.port, groups, (unsigned long long)d->seed);
	d->booting = false;
	rc = sn_daemon_persist(d);
	if (rc != 0) {
		sn_err_set(err, "cannot write the state file in %s", d->conf.dir);
		return rc;
	}
	start_timers(d);
	return 0;
}

void sn_daemon_free(struct sn_daemon *d)
{
	if (d->core != NULL && !d->booting)
		(void)sn_daemon_persist(d);
	if (d->loop != NULL) {
		ev_timer_stop(d->loop, &d->tick);
		ev_timer_stop(d->loop, &d->wake);
		ev_signal_stop(d->loop, &d->sig_term);
		ev_signal_stop(d->loop, &d->sig_int);
		ev_signal_stop(d->loop, &d->sig_hup);
	}
	sn_scripts_free(&d->scripts); /* kills and reaps running scripts */
	sn_server_stop(&d->server);
	sn_links_free(&d->links);
	if (d->cache != NULL && d->core != NULL)
		for (uint32_t i = 0; i < qu_nodes_max(d->core); i++)
			free(d->cache[i].info);
	for (uint32_t i = 0; i < SN_DEFER_MAX; i++) {
		free(d->defer_info[i]);
		free(d->defer_hello[i]);
	}
	free(d->cache);
	free(d->core_mem);
	sn_conf_free(&d->conf);
	memset(d, 0, sizeof(*d));
}
