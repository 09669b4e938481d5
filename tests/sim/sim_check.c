// SPDX-License-Identifier: BSD-3-Clause
/*
 * The simulator's referee: safety invariants checked as actions execute and after every step,
 * the coverage flags the fixed seeds must keep hitting, and the trace hash that proves a replay
 * is exact. It keeps its own ground truth (what each watcher persisted and revealed, per epoch)
 * and never trusts a core's memory for it; it reads cores only through quorum.h.
 */
#include "sim.h"

#include <stdarg.h>
#include <string.h>

void sim_fail(struct sim *s, const char *fmt, ...)
{
	if (s->failed)
		return; /* the first broken invariant is the one to explain */
	s->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->fail_msg, sizeof(s->fail_msg), fmt, ap);
	va_end(ap);
}

void sim_hash(struct sim *s, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		s->hash ^= (v >> (8 * i)) & 0xffu;
		s->hash *= 0x100000001b3u; /* FNV-1a 64 */
	}
}

void sim_hash_str(struct sim *s, const char *str)
{
	for (size_t i = 0; i < QU_RUNID_LEN && str[i] != '\0'; i++) {
		s->hash ^= (unsigned char)str[i];
		s->hash *= 0x100000001b3u;
	}
}

void sim_hash_text(struct sim *s, const char *text)
{
	for (size_t i = 0; i < QU_TEXT_MAX && text[i] != '\0'; i++) {
		s->hash ^= (unsigned char)text[i];
		s->hash *= 0x100000001b3u;
	}
}

int sim_watcher_by_runid(const struct sim *s, const char *runid)
{
	for (uint32_t i = 0; i < s->conf.n; i++)
		if (strcmp(s->w[i].runid, runid) == 0)
			return (int)i;
	return SIM_FOREIGN;
}

static bool epoch_ok(struct sim *s, uint32_t w, uint64_t epoch, const char *what)
{
	if (epoch < SIM_EPOCHS_MAX)
		return true;
	sim_fail(s, "w%u: %s epoch %llu beyond the simulator's bound %u", w, what,
	         (unsigned long long)epoch, SIM_EPOCHS_MAX);
	return false;
}

static const char *who(const struct sim *s, int code)
{
	if (code >= 0)
		return s->w[code].runid;
	return code == SIM_NO_VOTE ? "nobody" : "a foreign id";
}

void sim_check_persist(struct sim *s, uint32_t wi, const struct sim_snap *prev)
{
	struct sim_watcher *w = &s->w[wi];
	const struct sim_snap *now = &w->snap;
	if (now->current_epoch < prev->current_epoch)
		sim_fail(s, "w%u: persisted current epoch went backwards: %llu -> %llu", wi,
		         (unsigned long long)prev->current_epoch,
		         (unsigned long long)now->current_epoch);
	/* The forget-vote sabotage must be caught by the double-vote checks, not by this one. */
	if (now->leader_epoch < prev->leader_epoch && s->conf.sabotage != SIM_SABOTAGE_FORGET_VOTE)
		sim_fail(s, "w%u: persisted vote epoch went backwards: %llu -> %llu", wi,
		         (unsigned long long)prev->leader_epoch,
		         (unsigned long long)now->leader_epoch);
	if (now->leader_epoch > now->current_epoch)
		sim_fail(s, "w%u: persisted a vote in epoch %llu above its epoch %llu", wi,
		         (unsigned long long)now->leader_epoch,
		         (unsigned long long)now->current_epoch);
	if (now->leader[0] == '\0' || now->leader_epoch == 0 ||
	    !epoch_ok(s, wi, now->leader_epoch, "vote"))
		return;
	int code = sim_watcher_by_runid(s, now->leader);
	int8_t *slot = &w->persisted[now->leader_epoch];
	if (*slot == SIM_NO_VOTE)
		*slot = (int8_t)code;
	else if (*slot != code)
		sim_fail(s, "w%u: persisted two votes in epoch %llu: %.8s then %.8s", wi,
		         (unsigned long long)now->leader_epoch, who(s, *slot), now->leader);
}

void sim_check_reveal(struct sim *s, uint32_t wi, const char *leader, uint64_t epoch,
                      const char *how)
{
	struct sim_watcher *w = &s->w[wi];
	if (epoch == 0) {
		sim_fail(s, "w%u: %s names leader %.8s in epoch 0", wi, how, leader);
		return;
	}
	if (!epoch_ok(s, wi, epoch, how))
		return;
	int code = sim_watcher_by_runid(s, leader);
	if (w->persisted[epoch] != code)
		sim_fail(s,
		         "w%u: %s reveals a vote for %.8s in epoch %llu not persisted first "
		         "(persisted: %.8s)",
		         wi, how, leader, (unsigned long long)epoch, who(s, w->persisted[epoch]));
	if (w->revealed[epoch] == SIM_NO_VOTE)
		w->revealed[epoch] = (int8_t)code;
	else if (w->revealed[epoch] != code)
		sim_fail(s, "w%u: revealed two leaders for epoch %llu: %.8s, then %.8s (%s)", wi,
		         (unsigned long long)epoch, who(s, w->revealed[epoch]), leader, how);
}

void sim_check_epoch_reveal(struct sim *s, uint32_t wi, uint64_t epoch, const char *how)
{
	if (epoch <= s->w[wi].snap.current_epoch)
		return;
	s->cov.epoch_reveals++;
	if (s->trace)
		fprintf(s->out, "%8lld w%u WARN %s reveals epoch %llu, persisted %llu\n",
		        (long long)(s->now_ms - SIM_T0_MS), wi, how, (unsigned long long)epoch,
		        (unsigned long long)s->w[wi].snap.current_epoch);
	if (!s->conf.lenient_epochs)
		sim_fail(s, "w%u: %s reveals epoch %llu before persisting it (persisted %llu)", wi,
		         how, (unsigned long long)epoch,
		         (unsigned long long)s->w[wi].snap.current_epoch);
}

/* Votes for w in epoch as w's own view counts them: its own vote plus its peers' reports. */
static uint32_t view_votes(struct sim *s, uint32_t wi, const struct qu_group *g, uint64_t epoch)
{
	const struct qu_core *core = s->w[wi].core;
	uint32_t votes = 0;
	if (g->leader_epoch == epoch && strcmp(g->leader, s->w[wi].runid) == 0)
		votes++;
	for (uint32_t i = 0; i < g->peer_count; i++) {
		const struct qu_peer *p = &g->peers[i];
		if (p->leader_epoch != epoch || strcmp(p->leader, s->w[wi].runid) != 0)
			continue;
		votes++;
		const struct qu_watcher *x = qu_watcher_at(core, p->watcher);
		int v = x == NULL ? SIM_FOREIGN : sim_watcher_by_runid(s, x->runid);
		if (v < 0 || s->w[v].revealed[epoch] != (int8_t)wi)
			sim_fail(s,
			         "w%u: elected in epoch %llu counting a vote from %.8s that it "
			         "never cast",
			         wi, (unsigned long long)epoch, x == NULL ? "?" : x->runid);
	}
	return votes;
}

static void check_elected_view(struct sim *s, uint32_t wi, const struct qu_group *g, uint64_t epoch)
{
	if (!g->odown)
		sim_fail(s, "w%u: elected in epoch %llu while its group is not ODOWN", wi,
		         (unsigned long long)epoch);
	/* The failover proper runs in the same step as the election (select, promote, or an abort
	 * when no replica qualifies), so by now the state is past WAIT_START. */
	if (g->failover_epoch != epoch || g->failover_state == QU_FO_WAIT_START)
		sim_fail(s,
		         "w%u: ELECTED for epoch %llu but its failover is in epoch %llu, state %d",
		         wi, (unsigned long long)epoch, (unsigned long long)g->failover_epoch,
		         (int)g->failover_state);
	uint32_t voters = g->peer_count + 1;
	uint32_t needed = voters / 2 + 1;
	if (needed < s->conf.quorum)
		needed = s->conf.quorum;
	uint32_t votes = view_votes(s, wi, g, epoch);
	if (votes < needed)
		sim_fail(
		    s, "w%u: elected in epoch %llu with %u votes; needs %u (voters %u, quorum %u)",
		    wi, (unsigned long long)epoch, votes, needed, voters, s->conf.quorum);
	/* Ground truth, independent of the core: enough watchers really persisted that vote. */
	uint32_t truth = 0;
	for (uint32_t v = 0; v < s->conf.n; v++)
		truth += s->w[v].persisted[epoch] == (int8_t)wi;
	if (truth < s->conf.quorum || truth < s->conf.n / 2 + 1)
		sim_fail(s, "w%u: elected in epoch %llu but only %u watchers ever voted for it", wi,
		         (unsigned long long)epoch, truth);
}

void sim_check_elected(struct sim *s, uint32_t wi, const struct qu_action *a)
{
	uint64_t epoch = a->epoch;
	if (!epoch_ok(s, wi, epoch, "elected"))
		return;
	if (s->elected[epoch] != SIM_NO_VOTE)
		sim_fail(s, "two leaders elected in epoch %llu: w%d and w%u",
		         (unsigned long long)epoch, (int)s->elected[epoch], wi);
	s->elected[epoch] = (int8_t)wi;
	s->cov.elections++;
	sim_check_reveal(s, wi, s->w[wi].runid, epoch, "ELECTED");
	const struct qu_group *g = qu_group_at(s->w[wi].core, a->group);
	if (g == NULL) {
		sim_fail(s, "w%u: ELECTED for unknown group %u", wi, (unsigned)a->group);
		return;
	}
	check_elected_view(s, wi, g, epoch);
	if (s->trace)
		fprintf(s->out, "%8lld w%u elected epoch=%llu\n",
		        (long long)(s->now_ms - SIM_T0_MS), wi, (unsigned long long)epoch);
}

void sim_check_promote(struct sim *s, uint32_t wi, const struct qu_action *a, uint32_t k)
{
	const struct qu_group *g = qu_group_at(s->w[wi].core, a->group);
	if (g == NULL) {
		sim_fail(s, "w%u: PROMOTE for unknown group %u", wi, (unsigned)a->group);
		return;
	}
	uint64_t epoch = g->failover_epoch;
	if (!epoch_ok(s, wi, epoch, "promote"))
		return;
	/* Only the elected leader of that epoch (or a forced failover) may promote. */
	if (!g->forced && s->elected[epoch] != (int8_t)wi)
		sim_fail(s, "w%u promoted node %u in epoch %llu without being its elected leader", wi,
		         k, (unsigned long long)epoch);
	if (s->promoted[epoch] != SIM_NO_VOTE && s->promoted[epoch] != (int8_t)k)
		sim_fail(s, "two nodes promoted in epoch %llu: %d and %u", (unsigned long long)epoch,
		         (int)s->promoted[epoch], k);
	s->promoted[epoch] = (int8_t)k;
}

/* Liveness is reached by leading a failover, or by already serving a primary that is alive and
 * really a primary (a failover completed, or there was nothing to fail over). */
static bool serves_live_primary(const struct sim *s, const struct qu_group *g)
{
	for (uint32_t k = 0; k < SIM_NODES; k++) {
		const struct sim_node *n = &s->nodes[k];
		if (n->addr.port == g->conf.addr.port && strcmp(n->addr.host, g->conf.addr.host) == 0)
			return n->alive && n->primary;
	}
	return false;
}

void sim_check_step(struct sim *s, uint32_t wi)
{
	const struct sim_watcher *w = &s->w[wi];
	uint64_t epoch = qu_current_epoch(w->core);
	const struct qu_group *g = qu_group_at(w->core, 0);
	if (epoch < w->snap.current_epoch)
		sim_fail(s, "w%u: in-memory epoch %llu below the persisted %llu", wi,
		         (unsigned long long)epoch, (unsigned long long)w->snap.current_epoch);
	if (epoch > s->max_epoch)
		s->max_epoch = epoch;
	if (!epoch_ok(s, wi, epoch, "current") || g == NULL)
		return;
	if (g->leader_epoch < w->snap.leader_epoch ||
	    (g->leader_epoch == w->snap.leader_epoch && strcmp(g->leader, w->snap.leader) != 0))
		sim_fail(s, "w%u: in-memory vote %.8s@%llu contradicts the persisted %.8s@%llu", wi,
		         g->leader, (unsigned long long)g->leader_epoch, w->snap.leader,
		         (unsigned long long)w->snap.leader_epoch);
	if (g->failover_state == QU_FO_WAIT_START && epoch_ok(s, wi, g->failover_epoch, "failover"))
		s->candidates[g->failover_epoch] |= (uint8_t)(1u << wi);
	if (s->healed && s->live_at_ms < 0 && (g->failover_state >= QU_FO_SELECT_REPLICA ||
						 serves_live_primary(s, g))) {
		s->live_at_ms = s->now_ms;
		if (s->trace)
			fprintf(s->out, "%8lld live: w%u leads epoch %llu\n",
			        (long long)(s->now_ms - SIM_T0_MS), wi,
			        (unsigned long long)g->failover_epoch);
	}
}

static uint32_t popcount8(uint8_t v)
{
	uint32_t c = 0;
	for (; v != 0; v &= (uint8_t)(v - 1))
		c++;
	return c;
}

void sim_check_finish(struct sim *s)
{
	uint64_t last = s->max_epoch < SIM_EPOCHS_MAX ? s->max_epoch : SIM_EPOCHS_MAX - 1;
	uint64_t latest_elected = 0;
	for (uint64_t e = 1; e <= last; e++)
		if (s->elected[e] != SIM_NO_VOTE)
			latest_elected = e;
	for (uint64_t e = 1; e < latest_elected; e++)
		if (popcount8(s->candidates[e]) >= 2 && s->elected[e] == SIM_NO_VOTE)
			s->cov.split_vote = true;
	for (uint64_t e = 1; s->trace && e <= last; e++) {
		fprintf(s->out, "epoch %llu: candidates", (unsigned long long)e);
		for (uint32_t w = 0; w < s->conf.n; w++)
			if (s->candidates[e] & (1u << w))
				fprintf(s->out, " w%u", w);
		if (s->elected[e] != SIM_NO_VOTE)
			fprintf(s->out, "; elected w%d", (int)s->elected[e]);
		fputc('\n', s->out);
	}
}
