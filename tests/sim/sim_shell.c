// SPDX-License-Identifier: BSD-3-Clause
/*
 * The simulated shell of each watcher, modelled on sentinel/daemon.c: boot or restart a core from
 * its last snapshot, feed inputs, execute the actions strictly in order (a PERSIST snapshots the
 * durable state right there), and inject crashes and failed writes between actions. It must never
 * decide anything for the core, nor touch the core's memory other than through quorum.h.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static const char *const input_names[] = {
    [QU_IN_TICK] = "TICK",
    [QU_IN_LINK] = "LINK",
    [QU_IN_PING_REPLY] = "PING_REPLY",
    [QU_IN_INFO_REPLY] = "INFO_REPLY",
    [QU_IN_PUBSUB_ACTIVITY] = "PUBSUB_ACTIVITY",
    [QU_IN_HELLO_SENT] = "HELLO_SENT",
    [QU_IN_ADMIN] = "ADMIN",
    [QU_IN_HELLO] = "HELLO",
    [QU_IN_VOTE_REQUEST] = "VOTE_REQUEST",
    [QU_IN_VOTE_REPLY] = "VOTE_REPLY",
    [QU_IN_PERSIST_FAILED] = "PERSIST_FAILED",
};

static const char *const action_names[] = {
    [QU_ACT_NODE_ADD] = "NODE_ADD",   [QU_ACT_NODE_DEL] = "NODE_DEL",
    [QU_ACT_RELINK] = "RELINK",       [QU_ACT_SEND_PING] = "SEND_PING",
    [QU_ACT_SEND_INFO] = "SEND_INFO", [QU_ACT_SEND_HELLO] = "SEND_HELLO",
    [QU_ACT_EVENT] = "EVENT",         [QU_ACT_PERSIST] = "PERSIST",
    [QU_ACT_SEND_ASK] = "SEND_ASK",   [QU_ACT_VOTE_REPLY] = "VOTE_REPLY",
    [QU_ACT_ELECTED] = "ELECTED",
};

/* Execution state of one batch of actions. */
struct batch {
	bool no_faults; /* outside the fault phase, or the PERSIST_FAILED follow-up */
	bool drop;      /* a crash or a failed write: the rest is drained, unexecuted */
	bool crash;
	bool persist_failed;
	bool persisted_vote; /* a PERSIST in this batch recorded a new vote */
	bool replied;        /* the VOTE_REPLY went out */
};

/* ---- snapshots ---------------------------------------------------------------------------- */

static void snapshot(struct sim *s, uint32_t wi, struct sim_snap *snap)
{
	const struct qu_core *core = s->w[wi].core;
	const struct qu_group *g = qu_group_at(core, 0);
	memset(snap, 0, sizeof(*snap));
	snap->current_epoch = qu_current_epoch(core);
	if (g == NULL) {
		sim_fail(s, "w%u: group %s missing at PERSIST", wi, SIM_GROUP_NAME);
		return;
	}
	memcpy(snap->leader, g->leader, sizeof(snap->leader));
	snap->leader_epoch = g->leader_epoch;
	snap->config_epoch = g->config_epoch;
	snap->primary = g->conf.addr;
	for (uint32_t i = 0; i < g->replica_count && snap->replica_count < SIM_SNAP_REPLICAS; i++) {
		const struct qu_node *n = qu_node_at(core, g->replicas[i]);
		if (n != NULL)
			snap->replicas[snap->replica_count++] = n->addr;
	}
	if (g->peer_count > SIM_SNAP_PEERS)
		sim_fail(s, "w%u: %u peers do not fit the snapshot", wi, (unsigned)g->peer_count);
	for (uint32_t i = 0; i < g->peer_count && snap->peer_count < SIM_SNAP_PEERS; i++) {
		const struct qu_watcher *x = qu_watcher_at(core, g->peers[i].watcher);
		if (x == NULL)
			continue;
		memcpy(snap->peer_runid[snap->peer_count], x->runid, sizeof(x->runid));
		snap->peer_addr[snap->peer_count++] = x->addr;
	}
}

static void do_persist(struct sim *s, uint32_t wi, struct batch *b)
{
	struct sim_watcher *w = &s->w[wi];
	struct sim_snap prev = w->snap;
	if (s->conf.sabotage == SIM_SABOTAGE_LOSE_PERSIST && w->snap.primary.port != 0)
		return; /* sabotage: the write "succeeds" but nothing reaches the disk */
	snapshot(s, wi, &w->snap);
	sim_check_persist(s, wi, &prev);
	if (w->snap.leader_epoch != prev.leader_epoch || strcmp(w->snap.leader, prev.leader) != 0)
		b->persisted_vote = true;
	sim_hash(s, w->snap.current_epoch);
	sim_hash(s, w->snap.leader_epoch);
}

/* ---- boot and crash --------------------------------------------------------------------- */

static void feed_admin(struct sim *s, uint32_t wi, struct qu_admin *a, bool must)
{
	struct qu_input in = {.kind = QU_IN_ADMIN, .now_ms = s->now_ms};
	a->quiet = true;
	in.u.admin = *a;
	int rc = qu_step(s->w[wi].core, &in);
	s->steps++;
	sim_hash(s, 0xad000000u + (uint64_t)a->op);
	for (const struct qu_action *act; (act = qu_action_next(s->w[wi].core)) != NULL;) {
		if (act->kind == QU_ACT_NODE_ADD)
			sim_net_open(s, wi, act->node);
		else if (act->kind != QU_ACT_EVENT)
			sim_fail(s, "w%u: quiet restore op %d emitted %s", wi, (int)a->op,
			         action_names[act->kind]);
	}
	if (must && rc != QU_OK)
		sim_fail(s, "w%u: restore op %d failed: %d", wi, (int)a->op, rc);
}

/* The daemon's boot: MONITOR from the config, then epochs, replicas, vote and peers. */
static void restore(struct sim *s, uint32_t wi)
{
	const struct sim_snap *snap = &s->w[wi].snap;
	struct qu_group_conf conf;
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.name, sizeof(conf.name), "%s", SIM_GROUP_NAME);
	conf.addr = snap->primary;
	conf.quorum = s->conf.quorum;
	conf.down_after_ms = s->conf.down_after_ms;
	conf.failover_timeout_ms = s->conf.failover_timeout_ms;
	conf.parallel_syncs = 1;
	struct qu_admin a = {.op = QU_ADMIN_MONITOR, .conf = &conf};
	feed_admin(s, wi, &a, true);
	a = (struct qu_admin){.op = QU_ADMIN_EPOCHS, .num = (int64_t)snap->config_epoch};
	feed_admin(s, wi, &a, true);
	for (uint32_t i = 0; i < snap->replica_count; i++) {
		a = (struct qu_admin){.op = QU_ADMIN_KNOWN_REPLICA, .addr = snap->replicas[i]};
		feed_admin(s, wi, &a, true);
	}
	if (snap->leader[0] != '\0' && s->conf.sabotage != SIM_SABOTAGE_FORGET_VOTE) {
		a = (struct qu_admin){.op = QU_ADMIN_VOTE, .str = snap->leader};
		a.num = (int64_t)snap->leader_epoch;
		feed_admin(s, wi, &a, true);
	}
	for (uint32_t i = 0; i < snap->peer_count; i++) {
		a = (struct qu_admin){.op = QU_ADMIN_KNOWN_PEER, .str = snap->peer_runid[i]};
		a.addr = snap->peer_addr[i];
		feed_admin(s, wi, &a, true);
	}
}

static void schedule_tick(struct sim *s, uint32_t wi, int64_t at_ms)
{
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	ev->kind = SIM_EV_TICK;
	ev->to = wi;
	ev->to_inc = s->w[wi].inc;
	sim_queue_push(s, ev, at_ms);
}

void sim_watcher_boot(struct sim *s, uint32_t wi)
{
	struct sim_watcher *w = &s->w[wi];
	if (w->alive || w->permadead)
		return;
	struct qu_params p;
	memset(&p, 0, sizeof(p));
	p.limits = (struct qu_limits){
	    .groups_max = 1, .nodes_max = SIM_CORE_NODES, .watchers_max = SIM_CORE_WATCHERS};
	p.seed = sim_rng_next(&s->rng);
	memcpy(p.myid, w->runid, sizeof(p.myid));
	p.current_epoch = w->snap.current_epoch;
	w->mem = calloc(1, qu_core_size(&p.limits)); /* as daemon.c does */
	w->core = w->mem == NULL ? NULL : qu_core_init(w->mem, &p);
	if (w->core == NULL) {
		sim_fail(s, "w%u: cannot create a core", wi);
		free(w->mem);
		w->mem = NULL;
		return;
	}
	w->alive = true;
	memset(w->links, 0, sizeof(w->links));
	sim_hash(s, 0xb0000000u + wi);
	if (s->trace)
		fprintf(s->out, "%8lld w%u boot epoch=%llu vote=%.8s@%llu peers=%u\n",
		        (long long)(s->now_ms - SIM_T0_MS), wi,
		        (unsigned long long)w->snap.current_epoch, w->snap.leader,
		        (unsigned long long)w->snap.leader_epoch, (unsigned)w->snap.peer_count);
	restore(s, wi);
	/* Like sn_daemon_init(): write the state file once the restore is done. */
	struct batch b = {.no_faults = true};
	do_persist(s, wi, &b);
	sim_check_step(s, wi);
	schedule_tick(s, wi, s->now_ms + sim_rng_range(&s->rng, 0, SIM_TICK_MS));
}

void sim_watcher_crash(struct sim *s, uint32_t wi)
{
	struct sim_watcher *w = &s->w[wi];
	if (!w->alive)
		return;
	free(w->mem);
	w->mem = NULL;
	w->core = NULL;
	w->alive = false;
	w->inc++;
	w->restarts++;
	memset(w->links, 0, sizeof(w->links));
	s->cov.crashes++;
	sim_hash(s, 0xc0000000u + wi);
	if (s->trace)
		fprintf(s->out, "%8lld w%u crash\n", (long long)(s->now_ms - SIM_T0_MS), wi);
}

/* ---- executing actions -------------------------------------------------------------------- */

/*
 * An event that travels back to wi on its own connection (a reply, an ack, a pub/sub message):
 * NULL when that connection is not up (the daemon does not send then) or is silently broken
 * (the request is lost in the network).
 */
static struct sim_event *conn_event(struct sim *s, uint32_t wi, uint32_t endpoint, uint32_t which,
                                    enum sim_ev_kind kind)
{
	if (endpoint >= SIM_ENDPOINTS)
		return NULL;
	const struct sim_link *l = &s->w[wi].links[endpoint];
	if (!l->open || l->conn[which].state != SIM_CONN_UP)
		return NULL;
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return NULL;
	ev->kind = kind;
	ev->to = wi;
	ev->to_inc = s->w[wi].inc;
	ev->endpoint = endpoint;
	ev->which = which;
	ev->gen = l->conn[which].gen;
	if (!sim_net_conn_current(s, ev)) {
		sim_queue_release(&s->q, ev);
		return NULL;
	}
	return ev;
}

static void send_info(struct sim *s, uint32_t wi, const struct qu_action *a)
{
	if (a->node >= SIM_CORE_NODES) {
		sim_fail(s, "w%u: SEND_INFO to watcher endpoint %u", wi, a->node);
		return;
	}
	struct sim_event *ev = conn_event(s, wi, a->node, QU_LINK_CMD, SIM_EV_INFO_REPLY);
	if (ev == NULL)
		return;
	ev->from = s->w[wi].links[a->node].far;
	ev->from_inc = s->w[wi].links[a->node].conn[QU_LINK_CMD].far_inc;
	sim_net_send(s, ev);
}

static uint32_t endpoint_of_node(const struct sim *s, uint32_t wi, uint32_t k)
{
	for (uint32_t e = 0; e < SIM_CORE_NODES; e++) {
		const struct qu_node *n = qu_node_at(s->w[wi].core, e);
		if (n != NULL && n->addr.port == s->nodes[k].addr.port &&
		    strcmp(n->addr.host, s->nodes[k].addr.host) == 0)
			return e;
	}
	return SIM_NONE;
}

/* PUBLISH on node k: every watcher subscribed to it (the sender too) gets the message. */
static void publish_via_node(struct sim *s, uint32_t wi, uint32_t k, const struct qu_hello *h)
{
	if (sim_in_chaos(s) && sim_rng_ppm(&s->rng, s->conf.drop_ppm)) {
		s->cov.dropped_msgs++;
		return;
	}
	for (uint32_t r = 0; r < s->conf.n; r++) {
		if (!s->w[r].alive)
			continue;
		uint32_t e = endpoint_of_node(s, r, k);
		struct sim_event *ev =
		    e == SIM_NONE ? NULL : conn_event(s, r, e, QU_LINK_PUBSUB, SIM_EV_HELLO);
		if (ev == NULL)
			continue;
		ev->hello = *h;
		ev->from = wi;
		sim_net_send(s, ev);
	}
}

/* Built like daemon.c exec_hello(): our address, id, epoch, and the group's current config. */
static void send_hello(struct sim *s, uint32_t wi, const struct qu_action *a)
{
	struct sim_watcher *w = &s->w[wi];
	const struct qu_group *g = qu_group_at(w->core, a->group);
	struct sim_event *ack = conn_event(s, wi, a->node, QU_LINK_CMD, SIM_EV_HELLO_SENT);
	if (ack == NULL)
		return;
	if (g == NULL) {
		sim_queue_release(&s->q, ack);
		return;
	}
	ack->group = a->group;
	/* Like the daemon: our address, then the fields the core rendered when it emitted this. */
	char payload[QU_TEXT_MAX + QU_HOST_MAX + 16];
	snprintf(payload, sizeof(payload), "%s,%u,%s", w->addr.host, (unsigned)w->addr.port,
		 a->text);
	struct qu_hello h;
	if (qu_wire_hello_parse(payload, strlen(payload), &h) != 0) {
		sim_queue_release(&s->q, ack);
		sim_fail(s, "w%u: the core rendered a hello that does not parse: %s", wi, payload);
		return;
	}
	sim_check_epoch_reveal(s, wi, h.current_epoch, "hello");
	const struct sim_link *l = &w->links[a->node];
	if (l->to_watcher) {
		struct sim_event *ev = sim_queue_alloc(s);
		if (ev != NULL) {
			ev->kind = SIM_EV_HELLO;
			ev->to = l->far;
			ev->to_inc = l->conn[QU_LINK_CMD].far_inc;
			ev->endpoint = SIM_NONE;
			ev->from = wi;
			ev->hello = h;
			sim_net_send(s, ev);
		}
	} else {
		publish_via_node(s, wi, l->far, &h);
	}
	sim_net_send(s, ack);
}

static void send_ask(struct sim *s, uint32_t wi, const struct qu_action *a)
{
	struct sim_watcher *w = &s->w[wi];
	sim_check_epoch_reveal(s, wi, a->epoch, "ask");
	if (strcmp(a->runid, w->runid) == 0)
		sim_check_reveal(s, wi, a->runid, a->epoch, "candidacy");
	if (a->node < SIM_CORE_NODES) {
		sim_fail(s, "w%u: SEND_ASK to node endpoint %u", wi, a->node);
		return;
	}
	const struct qu_group *g = qu_group_at(w->core, a->group);
	struct sim_event *ev = conn_event(s, wi, a->node, QU_LINK_CMD, SIM_EV_ASK);
	if (ev == NULL)
		return;
	if (g == NULL) {
		sim_queue_release(&s->q, ev);
		return;
	}
	/* The request goes to the far end; the reply comes back on our connection. */
	ev->from = wi;
	ev->from_inc = w->inc;
	ev->to = w->links[a->node].far;
	ev->to_inc = w->links[a->node].conn[QU_LINK_CMD].far_inc;
	ev->group = a->group;
	ev->epoch = a->epoch;
	memcpy(ev->runid, a->runid, sizeof(ev->runid));
	ev->hello.primary = g->conf.addr;
	sim_net_send(s, ev);
}

static void send_vote_reply(struct sim *s, uint32_t wi, const struct qu_action *a,
                            const struct sim_event *ask)
{
	if (ask == NULL) {
		sim_fail(s, "w%u: VOTE_REPLY outside a VOTE_REQUEST", wi);
		return;
	}
	if (strcmp(a->runid, "*") != 0)
		sim_check_reveal(s, wi, a->runid, a->epoch, "vote reply");
	struct sim_event *ev = sim_queue_alloc(s);
	if (ev == NULL)
		return;
	ev->kind = SIM_EV_VOTE_REPLY;
	ev->to = ask->from;
	ev->to_inc = ask->from_inc;
	ev->endpoint = ask->endpoint;
	ev->which = QU_LINK_CMD;
	ev->gen = ask->gen;
	ev->group = ask->group;
	ev->flag = a->flag;
	ev->epoch = a->epoch;
	memcpy(ev->runid, a->runid, sizeof(ev->runid));
	sim_net_send(s, ev);
}

static bool qu_addr_equal_sim(const struct qu_addr *x, const struct qu_addr *y)
{
	return x->port == y->port && strcmp(x->host, y->host) == 0;
}

static void transact(struct sim *s, uint32_t wi, const struct qu_action *a, bool promote);

static void exec_action(struct sim *s, uint32_t wi, const struct qu_action *a,
                        const struct sim_event *ask, bool *replied)
{
	struct sim_event *ev;
	switch (a->kind) {
	case QU_ACT_NODE_ADD:
		sim_net_open(s, wi, a->node);
		break;
	case QU_ACT_NODE_DEL:
		if (a->node < SIM_ENDPOINTS)
			sim_net_close(s, wi, a->node);
		break;
	case QU_ACT_RELINK:
		if (a->node < SIM_ENDPOINTS)
			sim_net_relink(s, wi, a->node, a->link);
		break;
	case QU_ACT_SEND_PING:
		ev = conn_event(s, wi, a->node, QU_LINK_CMD, SIM_EV_PING_REPLY);
		if (ev != NULL)
			sim_net_send(s, ev);
		break;
	case QU_ACT_SEND_INFO:
		send_info(s, wi, a);
		break;
	case QU_ACT_SEND_HELLO:
		send_hello(s, wi, a);
		break;
	case QU_ACT_EVENT:
	case QU_ACT_PERSIST:
		break;
	case QU_ACT_SEND_ASK:
		send_ask(s, wi, a);
		break;
	case QU_ACT_VOTE_REPLY:
		send_vote_reply(s, wi, a, ask);
		*replied = true;
		break;
	case QU_ACT_ELECTED:
		sim_check_elected(s, wi, a);
		break;
	case QU_ACT_PROMOTE:
		transact(s, wi, a, true);
		break;
	case QU_ACT_REPOINT:
		transact(s, wi, a, false);
		break;
	}
}

/* Only the fields each kind defines are hashed and printed (the rest of an action is stale). */
static void trace_action(struct sim *s, uint32_t wi, const struct qu_action *a, const char *mark)
{
	bool voting = a->kind == QU_ACT_SEND_ASK || a->kind == QU_ACT_VOTE_REPLY;
	bool epoch = voting || a->kind == QU_ACT_ELECTED;
	sim_hash(s, ((uint64_t)a->kind << 32) | a->node);
	sim_hash(s, ((uint64_t)a->group << 32) | (a->kind == QU_ACT_RELINK ? a->link : 0u));
	if (epoch)
		sim_hash(s, a->epoch);
	if (voting)
		sim_hash_str(s, a->runid);
	if (a->kind == QU_ACT_VOTE_REPLY)
		sim_hash(s, a->flag);
	if (a->kind == QU_ACT_EVENT) {
		sim_hash(s, a->event);
		sim_hash_text(s, a->text);
	}
	if (!s->trace)
		return;
	fprintf(s->out, "%8lld w%u %s %s node=%u", (long long)(s->now_ms - SIM_T0_MS), wi, mark,
	        action_names[a->kind], (unsigned)a->node);
	if (epoch)
		fprintf(s->out, " epoch=%llu", (unsigned long long)a->epoch);
	if (voting)
		fprintf(s->out, " runid=%.8s", a->runid);
	if (a->kind == QU_ACT_VOTE_REPLY)
		fprintf(s->out, " down=%d", (int)a->flag);
	if (a->kind == QU_ACT_EVENT)
		fprintf(s->out, " %s %s", qu_event_name(a->event), a->text);
	fputc('\n', s->out);
}

/* One action, in order: a crash or a failed write may come first and drop the rest. */
static void run_action(struct sim *s, uint32_t wi, const struct qu_action *a, struct batch *b,
                       const struct sim_event *ask)
{
	if (b->drop) {
		trace_action(s, wi, a, "x");
		return;
	}
	if (!b->no_faults && sim_rng_ppm(&s->rng, s->conf.crash_action_ppm)) {
		b->crash = b->drop = true;
		trace_action(s, wi, a, "x");
		return;
	}
	trace_action(s, wi, a, "<");
	if (a->kind != QU_ACT_PERSIST) {
		exec_action(s, wi, a, ask, &b->replied);
		return;
	}
	if (!b->no_faults && sim_rng_ppm(&s->rng, s->conf.persist_fail_ppm)) {
		b->persist_failed = b->drop = true;
		s->cov.persist_failures++;
		if (s->trace)
			fprintf(s->out, "%8lld w%u persist failed\n",
			        (long long)(s->now_ms - SIM_T0_MS), wi);
		return;
	}
	do_persist(s, wi, b);
	if (!b->no_faults && sim_rng_ppm(&s->rng, s->conf.crash_persist_ppm))
		b->crash = b->drop = true;
}

static void after_batch(struct sim *s, uint32_t wi, const struct batch *b, bool asked)
{
	if (b->crash) {
		/* The situation the brief names: the vote is on disk, the asker never hears it. */
		if (asked && b->persisted_vote && !b->replied)
			s->cov.crash_persist_reply = true;
		sim_watcher_crash(s, wi);
		if (!s->healed)
			sim_schedule_boot(s, wi, s->now_ms + sim_rng_range(&s->rng, 50, 3000));
		return;
	}
	if (b->persist_failed) {
		/* daemon.c feed_one(): the rest of the batch is dropped, the core is told. */
		struct qu_input pf = {.kind = QU_IN_PERSIST_FAILED, .now_ms = s->now_ms};
		s->ask = NULL;
		sim_feed(s, wi, &pf);
	}
}

void sim_feed(struct sim *s, uint32_t wi, const struct qu_input *in)
{
	struct sim_watcher *w = &s->w[wi];
	if (!w->alive || s->failed || s->stopped)
		return;
	if (s->conf.steps_limit != 0 && s->steps >= s->conf.steps_limit) {
		s->stopped = true;
		return;
	}
	s->steps++;
	sim_hash(s, ((uint64_t)s->now_ms << 16) ^ ((uint64_t)wi << 8) ^ (uint64_t)in->kind);
	sim_hash(s, in->node);
	if (s->trace)
		fprintf(s->out, "%8lld w%u > %s node=%u\n", (long long)(s->now_ms - SIM_T0_MS), wi,
		        input_names[in->kind], (unsigned)in->node);
	bool asked = in->kind == QU_IN_VOTE_REQUEST;
	const struct sim_event *ask = asked ? s->ask : NULL;
	int rc = qu_step(w->core, in);
	sim_hash(s, (uint64_t)(int64_t)rc);
	/* Faults only in the fault phase; a PERSIST_FAILED follow-up is executed as the daemon
	 * does, without more faults. */
	struct batch b = {.no_faults = !sim_in_chaos(s) || in->kind == QU_IN_PERSIST_FAILED};
	for (const struct qu_action *a; (a = qu_action_next(w->core)) != NULL;)
		run_action(s, wi, a, &b, ask);
	after_batch(s, wi, &b, asked);
	if (w->alive)
		sim_check_step(s, wi);
}

/* ---- delivering events --------------------------------------------------------------------- */

/* What INFO on node k says: a primary lists the nodes following it, a replica names its primary. */
static void build_info(const struct sim *s, uint32_t k, struct qu_info *info)
{
	memset(info, 0, sizeof(*info));
	info->has_run_id = true;
	memcpy(info->run_id, s->nodes[k].run_id, sizeof(info->run_id));
	info->priority = QU_DEFAULT_PRIORITY;
	info->replica_announced = true;
	if (s->nodes[k].primary) {
		info->role = QU_ROLE_PRIMARY;
		for (uint32_t r = 0; r < SIM_NODES; r++)
			if (r != k && !s->nodes[r].primary && s->nodes[r].follows == k)
				info->replicas[info->replica_count++] = s->nodes[r].addr;
		return;
	}
	uint32_t f = s->nodes[k].follows;
	info->role = QU_ROLE_REPLICA;
	info->has_primary = true;
	info->primary = s->nodes[f].addr;
	info->primary_link_up = s->nodes[f].alive && s->nodes[f].primary;
	info->repl_offset = s->nodes[k].repl_offset;
}

/* PROMOTE / REPOINT reach the node when it is alive and reachable; replies are not awaited (the
 * core judges from INFO), as in the daemon. */
static void transact(struct sim *s, uint32_t wi, const struct qu_action *a, bool promote)
{
	const struct sim_link *l = &s->w[wi].links[a->node];
	if (l->to_watcher || l->far == SIM_NONE || l->far >= SIM_NODES)
		return;
	uint32_t k = l->far;
	if (promote)
		sim_check_promote(s, wi, a, k);
	if (!s->nodes[k].alive || s->side[wi] != s->side[SIM_WATCHERS_MAX + k] ||
	    s->cut[wi][SIM_WATCHERS_MAX + k])
		return;
	if (promote) {
		s->nodes[k].primary = true;
		return;
	}
	for (uint32_t j = 0; j < SIM_NODES; j++) {
		if (j != k && qu_addr_equal_sim(&s->nodes[j].addr, &a->addr)) {
			s->nodes[k].primary = false;
			s->nodes[k].follows = j;
		}
	}
}

static bool path_ok(const struct sim *s, uint32_t a, uint32_t b)
{
	return s->side[a] == s->side[b] && !s->cut[a][b] && !s->cut[b][a];
}

static bool target_ok(const struct sim *s, const struct sim_event *ev)
{
	const struct sim_watcher *t = &s->w[ev->to];
	return t->alive && t->inc == ev->to_inc && path_ok(s, ev->from, ev->to);
}

static void on_tick(struct sim *s, const struct sim_event *ev)
{
	struct sim_watcher *w = &s->w[ev->to];
	if (!w->alive || w->inc != ev->to_inc)
		return;
	int64_t jitter = sim_rng_range(&s->rng, -SIM_TICK_JITTER_MS, SIM_TICK_JITTER_MS);
	schedule_tick(s, ev->to, s->now_ms + SIM_TICK_MS + jitter);
	uint32_t inc = w->inc;
	sim_net_links(s, ev->to);
	if (!w->alive || w->inc != inc)
		return;
	struct qu_input in = {.kind = QU_IN_TICK, .now_ms = s->now_ms};
	sim_feed(s, ev->to, &in);
}

static void on_link_down(struct sim *s, const struct sim_event *ev)
{
	const struct sim_watcher *w = &s->w[ev->to];
	if (!w->alive || w->inc != ev->to_inc || !w->links[ev->endpoint].open ||
	    w->links[ev->endpoint].conn[ev->which].state == SIM_CONN_UP)
		return;
	struct qu_input in = {.kind = QU_IN_LINK, .now_ms = s->now_ms, .node = ev->endpoint};
	in.u.link.which = (enum qu_link_kind)ev->which;
	in.u.link.up = false;
	sim_feed(s, ev->to, &in);
}

static void on_info(struct sim *s, const struct sim_event *ev)
{
	if (!sim_net_conn_current(s, ev))
		return;
	build_info(s, ev->from, &s->info);
	struct qu_input in = {.kind = QU_IN_INFO_REPLY, .now_ms = s->now_ms, .node = ev->endpoint};
	in.u.info = &s->info;
	sim_feed(s, ev->to, &in);
}

static void on_hello(struct sim *s, const struct sim_event *ev)
{
	struct qu_input in = {.kind = QU_IN_HELLO, .now_ms = s->now_ms};
	in.u.hello = &ev->hello;
	if (ev->endpoint == SIM_NONE) {
		if (target_ok(s, ev))
			sim_feed(s, ev->to, &in);
		return;
	}
	if (!sim_net_conn_current(s, ev))
		return;
	/* daemon.c link_on_message(): pub/sub activity first, then the hello itself. */
	struct qu_input act = {
	    .kind = QU_IN_PUBSUB_ACTIVITY, .now_ms = s->now_ms, .node = ev->endpoint};
	uint32_t inc = s->w[ev->to].inc;
	sim_feed(s, ev->to, &act);
	if (s->w[ev->to].alive && s->w[ev->to].inc == inc)
		sim_feed(s, ev->to, &in);
}

static void on_ask(struct sim *s, const struct sim_event *ev)
{
	if (!target_ok(s, ev))
		return;
	struct qu_input in = {.kind = QU_IN_VOTE_REQUEST, .now_ms = s->now_ms};
	in.u.vote_request.primary = ev->hello.primary;
	in.u.vote_request.epoch = ev->epoch;
	memcpy(in.u.vote_request.runid, ev->runid, sizeof(in.u.vote_request.runid));
	s->ask = ev;
	sim_feed(s, ev->to, &in);
	s->ask = NULL;
}

static void on_reply(struct sim *s, const struct sim_event *ev)
{
	if (!sim_net_conn_current(s, ev))
		return;
	struct qu_input in = {.now_ms = s->now_ms, .node = ev->endpoint};
	if (ev->kind == SIM_EV_PING_REPLY) {
		in.kind = QU_IN_PING_REPLY;
		in.u.ping.valid = true;
	} else if (ev->kind == SIM_EV_HELLO_SENT) {
		in.kind = QU_IN_HELLO_SENT;
		in.u.hello_sent.group = ev->group;
	} else {
		in.kind = QU_IN_VOTE_REPLY;
		in.u.vote_reply.group = ev->group;
		in.u.vote_reply.down = ev->flag;
		memcpy(in.u.vote_reply.leader, ev->runid, sizeof(in.u.vote_reply.leader));
		in.u.vote_reply.leader_epoch = ev->epoch;
	}
	sim_feed(s, ev->to, &in);
}

void sim_deliver(struct sim *s, const struct sim_event *ev)
{
	const struct sim_watcher *w = &s->w[ev->to];
	switch (ev->kind) {
	case SIM_EV_TICK:
		on_tick(s, ev);
		break;
	case SIM_EV_BOOT:
		if (ev->gen == w->boot_token)
			sim_watcher_boot(s, ev->to);
		break;
	case SIM_EV_CONNECTED:
		if (w->alive && w->inc == ev->to_inc)
			sim_net_on_connected(s, ev);
		break;
	case SIM_EV_LINK_DOWN:
		on_link_down(s, ev);
		break;
	case SIM_EV_INFO_REPLY:
		on_info(s, ev);
		break;
	case SIM_EV_HELLO:
		on_hello(s, ev);
		break;
	case SIM_EV_ASK:
		on_ask(s, ev);
		break;
	case SIM_EV_PING_REPLY:
	case SIM_EV_HELLO_SENT:
	case SIM_EV_VOTE_REPLY:
		on_reply(s, ev);
		break;
	case SIM_EV_FAULT:
		sim_fault_inject(s);
		break;
	case SIM_EV_HEAL:
		sim_fault_heal(s);
		break;
	}
}
