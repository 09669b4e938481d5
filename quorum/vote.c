// SPDX-License-Identifier: BSD-3-Clause
/*
 * Epochs, votes and leader election (sentinel-protocol.md §4, §5.1): granting at most one vote per
 * group and epoch, asking for votes as soon as ODOWN holds, counting them, and backing off after
 * a lost election. Every change to an epoch or a vote is followed by PERSIST before any action
 * that reveals it; the shell writes the state file when it executes that PERSIST.
 */
#include "internal.h"

/* Randomised back-off after a lost or split election: long enough that two candidates that
 * collided rarely collide again, short enough to stay far below Sentinel's 2 x failover-timeout. */
#define QU_RETRY_MIN_MS 100
#define QU_RETRY_JITTER_MS 900

/* Watchers that see ODOWN together would all run at once and split the vote. Each waits this
 * long per connected peer with a smaller runid, so the smallest starts at once and the others,
 * asked for their vote meanwhile, vote for it instead of competing. A few milliseconds: far
 * below any detection time, far above a loopback or LAN round trip. */
#define QU_CANDIDATE_STAGGER_MS 15

static int64_t election_timeout_ms(const struct qu_group *g)
{
	return g->conf.failover_timeout_ms < QU_ELECTION_TIMEOUT_MS ? g->conf.failover_timeout_ms
								     : QU_ELECTION_TIMEOUT_MS;
}

static int64_t jitter_ms(struct qu_core *core, int64_t range)
{
	return (int64_t)(qu_prng_next(&core->prng) % (uint64_t)range);
}

void qu_core_new_epoch(struct qu_core *core, uint64_t epoch)
{
	QU_ASSERT(epoch > core->current_epoch); /* epochs never go backwards */
	QU_ASSERT(epoch <= (uint64_t)QU_EPOCH_MAX);
	core->current_epoch = epoch;
	qu_core_emit(core, QU_ACT_PERSIST, QU_NONE, QU_NONE);
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, QU_NONE, QU_NONE);
	a->event = QU_EV_NEW_EPOCH;
	snprintf(a->text, sizeof(a->text), "%llu", (unsigned long long)epoch);
}

void qu_vote_persist_failed(struct qu_core *core)
{
	core->dirty = true;
}

void qu_vote_persist_before_reveal(struct qu_core *core)
{
	if (!core->dirty)
		return;
	core->dirty = false;
	qu_core_emit(core, QU_ACT_PERSIST, QU_NONE, QU_NONE);
}

/* Record our vote for candidate in epoch: once per group and epoch, ever (§4.4 step 2). */
static void cast_vote(struct qu_core *core, uint32_t group, const char *candidate, uint64_t epoch)
{
	struct qu_group *g = &core->groups[group];
	QU_ASSERT(g->leader_epoch < epoch);
	snprintf(g->leader, sizeof(g->leader), "%s", candidate);
	g->leader_epoch = epoch;
	qu_core_emit(core, QU_ACT_PERSIST, group, QU_NONE);
	struct qu_action *a = qu_core_emit(core, QU_ACT_EVENT, group, QU_NONE);
	a->event = QU_EV_VOTE_FOR_LEADER;
	snprintf(a->text, sizeof(a->text), "%s %llu", candidate, (unsigned long long)epoch);
}

static uint32_t group_by_addr(const struct qu_core *core, const struct qu_addr *addr)
{
	for (uint32_t g = 0; g < core->limits.groups_max; g++)
		if (core->groups[g].used && qu_addr_equal(&core->groups[g].conf.addr, addr))
			return g;
	return QU_NONE;
}

static bool is_runid(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0' && n <= QU_RUNID_LEN; n++) {
		char c = s[n];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return n == QU_RUNID_LEN;
}

bool qu_vote_request_ok(const struct qu_vote_request *req)
{
	if (memchr(req->runid, '\0', sizeof(req->runid)) == NULL ||
	    memchr(req->primary.host, '\0', sizeof(req->primary.host)) == NULL)
		return false;
	return req->epoch <= (uint64_t)QU_EPOCH_MAX &&
	       (strcmp(req->runid, "*") == 0 || is_runid(req->runid));
}

void qu_vote_on_request(struct qu_core *core, const struct qu_vote_request *req)
{
	uint32_t group = group_by_addr(core, &req->primary);
	/* In TILT the answer is always "not down"; votes are still granted (§4.3, §9.1). */
	bool down = group != QU_NONE && !core->tilt &&
		    core->nodes[core->groups[group].primary].probe.sdown;
	bool wants_vote = group != QU_NONE && strcmp(req->runid, "*") != 0;
	if (wants_vote) {
		struct qu_group *g = &core->groups[group];
		if (req->epoch > core->current_epoch)
			qu_core_new_epoch(core, req->epoch);
		if (g->leader_epoch < req->epoch && core->current_epoch <= req->epoch) {
			cast_vote(core, group, req->runid, req->epoch);
			/* Give the leader we chose time to finish before competing with it. */
			if (strcmp(req->runid, core->myid) != 0)
				g->failover_retry_at_ms = core->now_ms + election_timeout_ms(g) +
							  jitter_ms(core, QU_RETRY_JITTER_MS);
		}
	}
	qu_vote_persist_before_reveal(core);
	struct qu_action *a = qu_core_emit(core, QU_ACT_VOTE_REPLY, group, QU_NONE);
	a->flag = down;
	const struct qu_group *g = wants_vote ? &core->groups[group] : NULL;
	if (g != NULL && g->leader[0] != '\0') {
		snprintf(a->runid, sizeof(a->runid), "%s", g->leader);
		a->epoch = g->leader_epoch;
	} else {
		snprintf(a->runid, sizeof(a->runid), "*");
		a->epoch = 0;
	}
}

int qu_vote_on_reply(struct qu_core *core, uint32_t watcher, const struct qu_vote_reply *rep)
{
	if (rep->group >= core->limits.groups_max || !core->groups[rep->group].used)
		return QU_ENOENT;
	struct qu_group *g = &core->groups[rep->group];
	struct qu_peer *p = NULL;
	for (uint32_t i = 0; i < g->peer_count && p == NULL; i++)
		if (g->peers[i].watcher == watcher)
			p = &g->peers[i];
	if (p == NULL)
		return QU_ENOENT;
	p->primary_down = rep->down;
	p->down_reply_at_ms = core->now_ms;
	if (strcmp(rep->leader, "*") != 0) {
		snprintf(p->leader, sizeof(p->leader), "%s", rep->leader);
		p->leader_epoch = rep->leader_epoch;
	}
	/* Decide now, not on the next tick: a reply can complete ODOWN or an election. */
	if (!core->tilt) {
		qu_peers_check_odown(core, rep->group);
		qu_vote_tick_group(core, rep->group);
	}
	return QU_OK;
}

/* §5.1: bump the epoch, vote for ourselves, and ask every peer for its vote right away. */
static void start_election(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	qu_core_new_epoch(core, core->current_epoch + 1);
	g->failover_epoch = core->current_epoch;
	g->failover_state = QU_FO_WAIT_START;
	g->failover_started_at_ms = core->now_ms;
	qu_core_event(core, QU_EV_TRY_FAILOVER, group, QU_NONE, NULL);
	cast_vote(core, group, core->myid, g->failover_epoch);
	qu_peers_ask(core, group);
}

struct tally {
	uint32_t count;
	const char *runid[QU_PEERS_MAX + 1];
	uint32_t votes[QU_PEERS_MAX + 1];
};

static void tally_add(struct tally *t, const char *runid)
{
	for (uint32_t i = 0; i < t->count; i++) {
		if (strcmp(t->runid[i], runid) == 0) {
			t->votes[i]++;
			return;
		}
	}
	QU_ASSERT(t->count < QU_PEERS_MAX + 1);
	t->runid[t->count] = runid;
	t->votes[t->count] = 1;
	t->count++;
}

/* The votes cast in our election's epoch, ours included; returns how many were cast. */
static uint32_t tally_votes(const struct qu_group *g, struct tally *t)
{
	t->count = 0;
	uint32_t cast = 0;
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_peer *p = &g->peers[i];
		if (p->leader[0] != '\0' && p->leader_epoch == g->failover_epoch) {
			tally_add(t, p->leader);
			cast++;
		}
	}
	if (g->leader[0] != '\0' && g->leader_epoch == g->failover_epoch) {
		tally_add(t, g->leader);
		cast++;
	}
	return cast;
}

enum outcome { PENDING, WON, LOST, LOST_TO_OTHER };

static enum outcome count_election(const struct qu_core *core, const struct qu_group *g)
{
	if (core->current_epoch != g->failover_epoch)
		return LOST; /* someone started a newer epoch */
	struct tally t;
	uint32_t cast = tally_votes(g, &t);
	uint32_t voters = g->peer_count + 1;
	uint32_t needed = voters / 2 + 1;
	if (needed < g->conf.quorum)
		needed = g->conf.quorum;
	uint32_t mine = 0, best_other = 0;
	for (uint32_t i = 0; i < t.count; i++) {
		if (strcmp(t.runid[i], core->myid) == 0)
			mine = t.votes[i];
		else if (t.votes[i] > best_other)
			best_other = t.votes[i];
	}
	if (mine >= needed && mine > best_other)
		return WON;
	if (best_other >= needed)
		return LOST_TO_OTHER;
	/* Split vote: even every outstanding vote could not make us win. */
	if (mine + (voters - cast) < needed)
		return LOST;
	return PENDING;
}

static void end_election(struct qu_core *core, uint32_t group, enum outcome outcome)
{
	struct qu_group *g = &core->groups[group];
	if (outcome == WON) {
		g->failover_state = QU_FO_SELECT_REPLICA;
		g->failover_state_at_ms = core->now_ms;
		qu_core_event(core, QU_EV_ELECTED_LEADER, group, QU_NONE, NULL);
		qu_core_event(core, QU_EV_FAILOVER_STATE_SELECT_SLAVE, group, QU_NONE, NULL);
		qu_vote_persist_before_reveal(core);
		struct qu_action *a = qu_core_emit(core, QU_ACT_ELECTED, group, QU_NONE);
		a->epoch = g->failover_epoch;
		qu_failover_step(core, group); /* select and promote in this very step */
		return;
	}
	qu_core_event(core, QU_EV_ABORT_NOT_ELECTED, group, QU_NONE, NULL);
	g->failover_state = QU_FO_NONE;
	int64_t retry_at;
	if (outcome == LOST_TO_OTHER)
		/* Another watcher won this epoch: it is failing over now. Competing with it would
		 * only start a second failover; if it dies, we take over after failover-timeout. */
		retry_at = core->now_ms + g->conf.failover_timeout_ms +
			   jitter_ms(core, QU_RETRY_JITTER_MS);
	else
		retry_at = core->now_ms + QU_RETRY_MIN_MS + jitter_ms(core, QU_RETRY_JITTER_MS);
	/* A wait already imposed (we voted for another candidate meanwhile) is never shortened. */
	if (retry_at > g->failover_retry_at_ms)
		g->failover_retry_at_ms = retry_at;
}

/* How many connected, healthy peers of the group would go before us (smaller runid). */
static uint32_t candidate_rank(const struct qu_core *core, const struct qu_group *g)
{
	uint32_t rank = 0;
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_watcher *w = &core->watchers[g->peers[i].watcher];
		if (w->cmd_up && !w->probe.sdown && strcmp(w->runid, core->myid) < 0)
			rank++;
	}
	return rank;
}

static int64_t election_start_at_ms(const struct qu_core *core, const struct qu_group *g)
{
	int64_t at = g->odown_since_ms + (int64_t)candidate_rank(core, g) * QU_CANDIDATE_STAGGER_MS;
	return at > g->failover_retry_at_ms ? at : g->failover_retry_at_ms;
}

int64_t qu_vote_deadline(const struct qu_core *core, uint32_t group)
{
	const struct qu_group *g = &core->groups[group];
	if (g->failover_state == QU_FO_NONE && g->odown)
		return election_start_at_ms(core, g);
	if (g->failover_state == QU_FO_WAIT_START)
		return g->failover_started_at_ms + election_timeout_ms(g) + 1;
	return INT64_MAX;
}

void qu_vote_tick_group(struct qu_core *core, uint32_t group)
{
	struct qu_group *g = &core->groups[group];
	int64_t now = core->now_ms;
	switch (g->failover_state) {
	case QU_FO_NONE:
		/* At the last epoch the wire can carry there is no next one to run in. */
		if (g->odown && now >= election_start_at_ms(core, g) &&
		    core->current_epoch < (uint64_t)QU_EPOCH_MAX)
			start_election(core, group);
		return;
	case QU_FO_WAIT_START: {
		enum outcome o = count_election(core, g);
		if (o == WON && !g->odown)
			o = PENDING; /* a failover starts only while the primary is ODOWN */
		if (o == PENDING && now - g->failover_started_at_ms > election_timeout_ms(g))
			o = LOST;
		if (o != PENDING)
			end_election(core, group, o);
		return;
	}
	case QU_FO_SELECT_REPLICA:
	case QU_FO_SEND_PROMOTE:
	case QU_FO_WAIT_PROMOTION:
	case QU_FO_RECONF_REPLICAS:
		qu_failover_step(core, group);
		return;
	}
}

void qu_vote_cast_self(struct qu_core *core, uint32_t group)
{
	cast_vote(core, group, core->myid, core->groups[group].failover_epoch);
}
