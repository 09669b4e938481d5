// SPDX-License-Identifier: BSD-3-Clause
/*
 * vigil_sim: the command line of the deterministic simulator. Runs one seed (optionally traced,
 * twice to prove the replay is exact, or checked against an expected coverage flag) or a sweep of
 * seeds split over worker processes, and supplies qu_panic(), which names the seed before aborting.
 * It must never read a clock: a run's output depends on its arguments only.
 */
#include "sim.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SWEEP_JOBS_MAX 16
#define HIST_BUCKET_MS 50
#define HIST_BUCKETS 1200 /* up to 60 s */
#define SHOW_SEEDS 8
#define SHOW_FAILURES 10 /* per worker; the rest are only counted */
#define EXPECT_SPLIT_VOTE 1u
#define EXPECT_CRASH_REPLY 2u

struct opts {
	uint64_t seed;
	uint64_t seeds; /* 0: run .seed alone */
	uint32_t n;
	uint64_t steps;
	uint32_t jobs;
	bool trace;
	bool twice;
	bool lenient;    /* epochs revealed before persisted are only counted */
	bool list;       /* sweep: print every run's result line */
	uint32_t expect; /* EXPECT_* bits: situations the run (or sweep) must hit */
	enum sim_sabotage sabotage;
	const char *expect_failure; /* sabotage: some run must fail with this in its message */
};

/* What one worker reports for its share of a sweep (fixed size: it goes through a pipe). */
struct sweep_sum {
	uint64_t runs, failures, steps, elections, crashes;
	uint64_t expected_failures; /* failures whose message names what --expect-failure said */
	uint64_t per_n[SIM_WATCHERS_MAX + 1];
	uint64_t split_votes, crash_replies, epoch_reveals;
	uint64_t split_seed[SHOW_SEEDS], crash_seed[SHOW_SEEDS], reveal_seed[SHOW_SEEDS];
	uint64_t hash; /* combined trace hashes, order-independent (sum) */
	int64_t live_max_ms;
	uint64_t live_max_seed;
	int64_t margin_min_ms; /* bound - live time, the smallest seen */
	uint64_t margin_min_seed;
	uint32_t hist[HIST_BUCKETS + 1];
};

void qu_panic(const char *file, int line, const char *expr)
{
	const struct sim *s = sim_current();
	fflush(stdout);
	if (s != NULL)
		fprintf(stderr,
		        "SIM_SEED=%llu SIM_STEPS=%llu N=%u: core assertion failed at %s:%d: %s\n"
		        "  replay: make sim SIM_SEED=%llu N=%u\n",
		        (unsigned long long)s->conf.seed, (unsigned long long)s->steps,
		        (unsigned)s->conf.n, file, line, expr, (unsigned long long)s->conf.seed,
		        (unsigned)s->conf.n);
	else
		fprintf(stderr, "qu_panic outside a run: %s:%d: %s\n", file, line, expr);
	fflush(stderr);
	abort();
}

static void print_failure(FILE *out, const struct sim_conf *c, const struct sim_result *r)
{
	fprintf(
	    out,
	    "FAIL SIM_SEED=%llu SIM_STEPS=%llu N=%u: %s\n  replay: make sim SIM_SEED=%llu N=%u\n",
	    (unsigned long long)c->seed, (unsigned long long)r->steps, (unsigned)c->n, r->fail_msg,
	    (unsigned long long)c->seed, (unsigned)c->n);
	fflush(out);
}

static void print_result(const struct sim_conf *c, const struct sim_result *r)
{
	printf("SIM_SEED=%llu N=%u quorum=%u down_after_ms=%lld failover_timeout_ms=%lld "
	       "steps=%llu sim_ms=%lld max_epoch=%llu elections=%u crashes=%u persist_failures=%u "
	       "live_ms=%lld bound_ms=%lld split_vote=%d crash_persist_reply=%d epoch_reveals=%u "
	       "hash=%016llx\n",
	       (unsigned long long)c->seed, (unsigned)c->n, (unsigned)c->quorum,
	       (long long)c->down_after_ms, (long long)c->failover_timeout_ms,
	       (unsigned long long)r->steps, (long long)r->sim_ms, (unsigned long long)r->max_epoch,
	       r->cov.elections, r->cov.crashes, r->cov.persist_failures, (long long)r->live_ms,
	       (long long)r->bound_ms, (int)r->cov.split_vote, (int)r->cov.crash_persist_reply,
	       r->cov.epoch_reveals, (unsigned long long)r->hash);
}

/* Every expected situation was hit (counts: runs that hit split votes, crash-before-reply). */
static int expect_ok(uint32_t expect, uint64_t split_votes, uint64_t crash_replies)
{
	int rc = 0;
	if ((expect & EXPECT_SPLIT_VOTE) != 0 && split_votes == 0) {
		printf("FAIL: no split vote was hit: pick a new seed (docs/simulation.md)\n");
		rc = 1;
	}
	if ((expect & EXPECT_CRASH_REPLY) != 0 && crash_replies == 0) {
		printf("FAIL: no crash between persisting and replying was hit: pick a new seed "
		       "(docs/simulation.md)\n");
		rc = 1;
	}
	return rc;
}

static int run_one(struct sim *s, const struct opts *o)
{
	struct sim_conf c;
	struct sim_result r, again;
	sim_conf_from_seed(&c, o->seed, o->n);
	c.steps_limit = o->steps;
	c.lenient_epochs = o->lenient;
	c.sabotage = o->sabotage;
	sim_run(s, &c, o->trace ? stdout : NULL, &r);
	print_result(&c, &r);
	if (!r.ok) {
		print_failure(stdout, &c, &r);
		return 1;
	}
	if (o->twice) {
		sim_run(s, &c, NULL, &again);
		if (again.hash != r.hash || again.steps != r.steps) {
			printf("FAIL SIM_SEED=%llu N=%u: replay differs: hash %016llx vs %016llx\n",
			       (unsigned long long)c.seed, (unsigned)c.n,
			       (unsigned long long)r.hash, (unsigned long long)again.hash);
			return 1;
		}
		printf("replay: identical (hash %016llx, %llu steps)\n", (unsigned long long)r.hash,
		       (unsigned long long)r.steps);
	}
	return expect_ok(o->expect, r.cov.split_vote, r.cov.crash_persist_reply);
}

/* ---- sweeps --------------------------------------------------------------------------------- */

static void note_seed(uint64_t *list, uint64_t count, uint64_t seed)
{
	if (count <= SHOW_SEEDS)
		list[count - 1] = seed;
}

static void sweep_add(struct sweep_sum *sum, const struct opts *o, const struct sim_conf *c,
                      const struct sim_result *r)
{
	sum->runs++;
	sum->per_n[c->n]++;
	sum->steps += r->steps;
	sum->elections += r->cov.elections;
	sum->crashes += r->cov.crashes;
	sum->hash += r->hash;
	if (!r->ok && o->expect_failure != NULL && strstr(r->fail_msg, o->expect_failure) != NULL)
		sum->expected_failures++;
	else if (!r->ok && ++sum->failures <= SHOW_FAILURES && o->expect_failure == NULL)
		print_failure(stdout, c, r);
	if (r->cov.split_vote)
		note_seed(sum->split_seed, ++sum->split_votes, c->seed);
	if (r->cov.crash_persist_reply)
		note_seed(sum->crash_seed, ++sum->crash_replies, c->seed);
	if (r->cov.epoch_reveals > 0)
		note_seed(sum->reveal_seed, ++sum->epoch_reveals, c->seed);
	if (r->live_ms < 0)
		return;
	int64_t b = r->live_ms / HIST_BUCKET_MS;
	sum->hist[b < HIST_BUCKETS ? b : HIST_BUCKETS]++;
	if (r->live_ms > sum->live_max_ms) {
		sum->live_max_ms = r->live_ms;
		sum->live_max_seed = c->seed;
	}
	if (r->bound_ms - r->live_ms < sum->margin_min_ms) {
		sum->margin_min_ms = r->bound_ms - r->live_ms;
		sum->margin_min_seed = c->seed;
	}
}

static void sweep_range(struct sim *s, const struct opts *o, uint32_t job, struct sweep_sum *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->margin_min_ms = INT64_MAX;
	for (uint64_t i = job; i < o->seeds; i += o->jobs) {
		struct sim_conf c;
		struct sim_result r;
		sim_conf_from_seed(&c, o->seed + i, o->n);
		c.steps_limit = o->steps;
		c.lenient_epochs = o->lenient;
		c.sabotage = o->sabotage;
		sim_run(s, &c, NULL, &r);
		if (o->list)
			print_result(&c, &r);
		sweep_add(sum, o, &c, &r);
	}
}

static void sweep_merge(struct sweep_sum *into, const struct sweep_sum *from)
{
	for (uint64_t i = 0; i < from->split_votes && i < SHOW_SEEDS; i++)
		note_seed(into->split_seed, ++into->split_votes, from->split_seed[i]);
	into->split_votes += from->split_votes > SHOW_SEEDS ? from->split_votes - SHOW_SEEDS : 0;
	for (uint64_t i = 0; i < from->crash_replies && i < SHOW_SEEDS; i++)
		note_seed(into->crash_seed, ++into->crash_replies, from->crash_seed[i]);
	into->crash_replies +=
	    from->crash_replies > SHOW_SEEDS ? from->crash_replies - SHOW_SEEDS : 0;
	for (uint64_t i = 0; i < from->epoch_reveals && i < SHOW_SEEDS; i++)
		note_seed(into->reveal_seed, ++into->epoch_reveals, from->reveal_seed[i]);
	into->epoch_reveals +=
	    from->epoch_reveals > SHOW_SEEDS ? from->epoch_reveals - SHOW_SEEDS : 0;
	into->runs += from->runs;
	into->failures += from->failures;
	into->expected_failures += from->expected_failures;
	into->steps += from->steps;
	into->elections += from->elections;
	into->crashes += from->crashes;
	into->hash += from->hash;
	for (uint32_t n = 0; n <= SIM_WATCHERS_MAX; n++)
		into->per_n[n] += from->per_n[n];
	for (uint32_t b = 0; b <= HIST_BUCKETS; b++)
		into->hist[b] += from->hist[b];
	if (from->live_max_ms > into->live_max_ms) {
		into->live_max_ms = from->live_max_ms;
		into->live_max_seed = from->live_max_seed;
	}
	if (from->margin_min_ms < into->margin_min_ms) {
		into->margin_min_ms = from->margin_min_ms;
		into->margin_min_seed = from->margin_min_seed;
	}
}

static int64_t percentile_ms(const struct sweep_sum *sum, uint32_t permille)
{
	uint64_t total = 0, seen = 0;
	for (uint32_t b = 0; b <= HIST_BUCKETS; b++)
		total += sum->hist[b];
	for (uint32_t b = 0; b <= HIST_BUCKETS; b++) {
		seen += sum->hist[b];
		if (total > 0 && seen * 1000 >= total * permille)
			return (int64_t)(b + 1) * HIST_BUCKET_MS;
	}
	return -1;
}

static void print_seeds(const char *what, const uint64_t *list, uint64_t count)
{
	printf("%s: %llu runs", what, (unsigned long long)count);
	for (uint64_t i = 0; i < count && i < SHOW_SEEDS; i++)
		printf("%s%llu", i == 0 ? ", e.g. seeds " : " ", (unsigned long long)list[i]);
	printf("\n");
}

static void sweep_print(const struct opts *o, const struct sweep_sum *sum)
{
	printf("sweep: seeds %llu..%llu runs=%llu (N=3: %llu, N=5: %llu, N=7: %llu) failures=%llu "
	       "steps=%llu elections=%llu crashes=%llu hash=%016llx\n",
	       (unsigned long long)o->seed, (unsigned long long)(o->seed + o->seeds - 1),
	       (unsigned long long)sum->runs, (unsigned long long)sum->per_n[3],
	       (unsigned long long)sum->per_n[5], (unsigned long long)sum->per_n[7],
	       (unsigned long long)sum->failures, (unsigned long long)sum->steps,
	       (unsigned long long)sum->elections, (unsigned long long)sum->crashes,
	       (unsigned long long)sum->hash);
	if (sum->live_max_seed == 0 && sum->hist[0] == 0 && percentile_ms(sum, 1000) < 0)
		printf("liveness after heal: no run reached a leader\n");
	else
		printf("liveness after heal: p50<=%lldms p99<=%lldms p999<=%lldms max=%lldms (seed "
		       "%llu); smallest margin to the bound %lldms (seed %llu)\n",
		       (long long)percentile_ms(sum, 500), (long long)percentile_ms(sum, 990),
		       (long long)percentile_ms(sum, 999), (long long)sum->live_max_ms,
		       (unsigned long long)sum->live_max_seed, (long long)sum->margin_min_ms,
		       (unsigned long long)sum->margin_min_seed);
	print_seeds("split vote", sum->split_seed, sum->split_votes);
	print_seeds("crash between persist and reply", sum->crash_seed, sum->crash_replies);
	print_seeds("epoch revealed before persisted (fatal unless --lenient-epochs)",
	            sum->reveal_seed, sum->epoch_reveals);
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;
	while (put < len) {
		ssize_t r = write(fd, (const char *)buf + put, len - put);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		put += (size_t)r;
	}
	return 0;
}

/* Fork o->jobs workers; each runs every jobs-th seed and sends back its summary. */
static int sweep(struct sim *s, const struct opts *o)
{
	int fds[SWEEP_JOBS_MAX];
	pid_t pids[SWEEP_JOBS_MAX];
	struct sweep_sum part, total;
	fflush(stdout);
	for (uint32_t j = 0; j < o->jobs; j++) {
		int p[2];
		if (pipe(p) != 0 || (pids[j] = fork()) < 0) {
			perror("vigil_sim: cannot start a worker");
			return 2;
		}
		if (pids[j] == 0) {
			close(p[0]);
			setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines: workers share stdout */
			sweep_range(s, o, j, &part);
			fflush(stdout);
			_exit(write_full(p[1], &part, sizeof(part)) == 0 ? 0 : 2);
		}
		close(p[1]);
		fds[j] = p[0];
	}
	memset(&total, 0, sizeof(total));
	total.margin_min_ms = INT64_MAX;
	int rc = 0;
	for (uint32_t j = 0; j < o->jobs; j++) {
		int status = 0;
		bool got = read_full(fds[j], &part, sizeof(part)) == 0;
		close(fds[j]);
		if (waitpid(pids[j], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0 || !got) {
			printf("FAIL: worker %u died (status %d): see the SIM_SEED line above\n", j,
			       status);
			rc = 1;
			continue;
		}
		sweep_merge(&total, &part);
	}
	sweep_print(o, &total);
	if (expect_ok(o->expect, total.split_votes, total.crash_replies) != 0)
		rc = 1;
	if (o->expect_failure != NULL) {
		bool caught = total.expected_failures > 0;
		printf("%s: %llu runs failed with \"%s\": the checkers %s the sabotaged shell\n",
		       caught ? "ok" : "FAIL", (unsigned long long)total.expected_failures,
		       o->expect_failure, caught ? "caught" : "did not catch");
		/* Other failures are detections too (a shell that loses its state file also loses
		 * its peers, and liveness fails): only a silent sabotage fails the test. */
		return rc != 0 || !caught ? 1 : 0;
	}
	return rc != 0 || total.failures != 0 ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: vigil_sim [--seed S] [--seeds COUNT] [--n 3|5|7] [--steps K] [--jobs J]\n"
	        "                 [--trace] [--twice] [--list] [--lenient-epochs]\n"
	        "                 [--expect split-vote] [--expect crash-persist-reply]\n"
	        "  one seed (default), or COUNT seeds from S; N defaults to 3, 5 or 7 by seed\n"
	        "                 [--sabotage lose-persist|forget-vote --expect-failure TEXT]\n"
	        "  --expect: the run (or, in a sweep, at least one run) must hit that situation\n"
	        "  --sabotage: break the simulated shell on purpose; --expect-failure: some run\n"
	        "  must fail with TEXT in its message\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->jobs = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x = 0;
		if (strcmp(a, "--trace") == 0) {
			o->trace = true;
			continue;
		}
		if (strcmp(a, "--twice") == 0) {
			o->twice = true;
			continue;
		}
		if (strcmp(a, "--lenient-epochs") == 0) {
			o->lenient = true;
			continue;
		}
		if (strcmp(a, "--list") == 0) {
			o->list = true;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(a, "--expect") == 0 && strcmp(v, "split-vote") == 0)
			o->expect |= EXPECT_SPLIT_VOTE;
		else if (strcmp(a, "--expect") == 0 && strcmp(v, "crash-persist-reply") == 0)
			o->expect |= EXPECT_CRASH_REPLY;
		else if (strcmp(a, "--sabotage") == 0 && strcmp(v, "lose-persist") == 0)
			o->sabotage = SIM_SABOTAGE_LOSE_PERSIST;
		else if (strcmp(a, "--sabotage") == 0 && strcmp(v, "forget-vote") == 0)
			o->sabotage = SIM_SABOTAGE_FORGET_VOTE;
		else if (strcmp(a, "--expect-failure") == 0)
			o->expect_failure = v;
		else if (!parse_u64(v, &x))
			return -1;
		else if (strcmp(a, "--seed") == 0)
			o->seed = x;
		else if (strcmp(a, "--seeds") == 0)
			o->seeds = x;
		else if (strcmp(a, "--n") == 0 && (x == 0 || x == 3 || x == 5 || x == 7))
			o->n = (uint32_t)x;
		else if (strcmp(a, "--steps") == 0)
			o->steps = x;
		else if (strcmp(a, "--jobs") == 0 && x >= 1 && x <= SWEEP_JOBS_MAX)
			o->jobs = (uint32_t)x;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	struct sim *s = malloc(sizeof(*s));
	if (s == NULL) {
		fprintf(stderr, "vigil_sim: out of memory\n");
		return 2;
	}
	int rc = o.seeds == 0 ? run_one(s, &o) : sweep(s, &o);
	free(s);
	return rc;
}
