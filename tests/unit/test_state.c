// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of sentinel/state*.c: the codec (a golden file, round trips of hostile values, a
 * table of corrupt inputs with line and message, every prefix and many one-byte corruptions of a
 * valid file), apply (config + state, groups, votes, peers and the CONFIG SET globals), capture
 * against a live quorum core (a vote and peers made by real inputs, restored into a fresh core
 * that then refuses a second vote in the same epoch), and the atomic write and read in a
 * temporary directory. Decoding always runs on an exact-size heap copy so that ASan builds catch
 * over-reads.
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quorum.h"
#include "quorum_wire.h"

#include "conf.h"
#include "state.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MYID "0123456789abcdef0123456789abcdef01234567"
#define PEER1 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define PEER2 "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define PEER3 "C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3"
#define NOT_HEX "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" /* 40 bytes a client may send */
#define BIT(s) (1u << (s))

#define EXPECT(name, cond) expect((cond), (name), #cond, __LINE__)

static void expect(bool ok, const char *name, const char *cond, unsigned int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", name, cond);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}

/* Decode from a heap copy of exactly len bytes. */
static int decode_exact(const char *text, size_t len, struct sn_state *st, struct sn_err *err)
{
	char *copy = malloc(len != 0 ? len : 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, text, len);
	memset(err, 0, sizeof(*err));
	int rc = sn_state_decode(copy, len, st, err);
	free(copy);
	return rc;
}

static int decode_str(const char *text, struct sn_state *st, struct sn_err *err)
{
	return decode_exact(text, strlen(text), st, err);
}

/* The canonical rendering of a state with every kind of record. */
static const char golden[] = "# vigil state file: written by vigil, do not edit while it runs\n"
                             "version 1\n"
                             "myid " MYID "\n"
                             "current-epoch 42\n"
                             "announce-ip \"fe80::1\"\n"
                             "announce-port 26380\n"
                             "remove old\n"
                             "set cache-a quorum 3\n"
                             "set cache-a auth-pass \"s3cr\\\"et\\\\ \\n\\x01\\xff\"\n"
                             "address cache-a 10.0.0.9 7000\n"
                             "config-epoch cache-a 41\n"
                             "leader-epoch cache-a " PEER1 " 40\n"
                             "known-replica cache-a 10.0.0.10 6379\n"
                             "known-replica cache-a fe80::1 6380\n"
                             "known-sentinel cache-a 10.0.0.50 26379 " PEER1 "\n"
                             "known-sentinel cache-a fe80::2 26379 " PEER2 "\n"
                             "monitor \"odd name\" 10.1.1.1 6379 1\n"
                             "set \"odd name\" down-after-milliseconds 5000\n"
                             "set \"odd name\" failover-timeout 9223372036854775807\n"
                             "set \"odd name\" parallel-syncs 4294967295\n"
                             "set \"odd name\" auth-pass \"\"\n"
                             "set \"odd name\" auth-user \"\"\n"
                             "config-epoch \"odd name\" 18446744073709551615\n"
                             "leader-epoch \"odd name\" * 9223372036854775807\n"
                             "known-replica \"odd name\" replica.example 1\n"
                             "known-sentinel \"odd name\" \"a \\\"b\\\"\" 65535 " PEER3 "\n";

/* A version 1 file written before votes and peers were recorded: it must still decode. */
static const char before_votes[] =
    "# vigil state file: written by vigil, do not edit while it runs\n"
    "version 1\n"
    "myid " MYID "\n"
    "current-epoch 42\n"
    "set cache-a quorum 3\n"
    "config-epoch cache-a 41\n"
    "known-replica cache-a 10.0.0.10 6379\n"
    "monitor \"odd name\" 10.1.1.1 6379 1\n"
    "config-epoch \"odd name\" 7\n";

static bool addr_eq(const struct qu_addr *a, const struct qu_addr *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static bool settings_eq(const struct qu_group_conf *a, const struct qu_group_conf *b, uint32_t mask)
{
	bool eq = true;
	if (mask & BIT(QU_SET_DOWN_AFTER))
		eq = eq && a->down_after_ms == b->down_after_ms;
	if (mask & BIT(QU_SET_FAILOVER_TIMEOUT))
		eq = eq && a->failover_timeout_ms == b->failover_timeout_ms;
	if (mask & BIT(QU_SET_PARALLEL_SYNCS))
		eq = eq && a->parallel_syncs == b->parallel_syncs;
	if (mask & BIT(QU_SET_QUORUM))
		eq = eq && a->quorum == b->quorum;
	if (mask & BIT(QU_SET_AUTH_PASS))
		eq = eq && strcmp(a->auth_pass, b->auth_pass) == 0;
	if (mask & BIT(QU_SET_AUTH_USER))
		eq = eq && strcmp(a->auth_user, b->auth_user) == 0;
	return eq;
}

static bool peers_eq(const struct sn_state_peer *a, const struct sn_state_peer *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!addr_eq(&a[i].addr, &b[i].addr) || strcmp(a[i].runid, b[i].runid) != 0)
			return false;
	return true;
}

static bool vote_eq(const struct sn_state_group *a, const struct sn_state_group *b)
{
	return a->has_leader == b->has_leader &&
	       (!a->has_leader ||
	        (strcmp(a->leader, b->leader) == 0 && a->leader_epoch == b->leader_epoch));
}

static bool group_eq(const struct sn_state_group *a, const struct sn_state_group *b)
{
	bool eq = strcmp(a->name, b->name) == 0 && a->monitor == b->monitor &&
	          a->remove == b->remove && a->set_mask == b->set_mask &&
	          a->has_address == b->has_address && a->has_config_epoch == b->has_config_epoch &&
	          a->replica_count == b->replica_count && vote_eq(a, b) &&
	          a->peer_count == b->peer_count && peers_eq(a->peers, b->peers, a->peer_count);
	if (eq && a->monitor)
		eq = addr_eq(&a->monitor_addr, &b->monitor_addr) &&
		     a->monitor_quorum == b->monitor_quorum;
	eq = eq && settings_eq(&a->set, &b->set, a->set_mask);
	eq = eq && (!a->has_address || addr_eq(&a->address, &b->address));
	eq = eq && (!a->has_config_epoch || a->config_epoch == b->config_epoch);
	for (size_t i = 0; eq && i < a->replica_count; i++)
		eq = addr_eq(&a->replicas[i], &b->replicas[i]);
	return eq;
}

static bool state_eq(const struct sn_state *a, const struct sn_state *b)
{
	if (a->has_myid != b->has_myid || a->current_epoch != b->current_epoch ||
	    a->group_count != b->group_count)
		return false;
	if (a->has_myid && strcmp(a->myid, b->myid) != 0)
		return false;
	if (a->has_announce_ip != b->has_announce_ip ||
	    (a->has_announce_ip && strcmp(a->announce_ip, b->announce_ip) != 0))
		return false;
	if (a->has_announce_port != b->has_announce_port || a->announce_port != b->announce_port)
		return false;
	for (size_t i = 0; i < a->group_count; i++)
		if (!group_eq(&a->groups[i], &b->groups[i]))
			return false;
	return true;
}

static void test_state_decodes_every_record(void)
{
	struct sn_state st;
	struct sn_err e;

	int rc = decode_str(golden, &st, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(st.has_myid);
	CU_ASSERT_STRING_EQUAL(st.myid, MYID);
	CU_ASSERT_EQUAL(st.current_epoch, 42);
	CU_ASSERT_TRUE(st.has_announce_ip);
	CU_ASSERT_STRING_EQUAL(st.announce_ip, "fe80::1");
	CU_ASSERT_TRUE(st.has_announce_port);
	CU_ASSERT_EQUAL(st.announce_port, 26380);
	CU_ASSERT_EQUAL_FATAL(st.group_count, 3);
	const struct sn_state_group *old = &st.groups[0];
	const struct sn_state_group *a = &st.groups[1];
	const struct sn_state_group *odd = &st.groups[2];
	CU_ASSERT_STRING_EQUAL(old->name, "old");
	CU_ASSERT_TRUE(old->remove);
	CU_ASSERT_FALSE(old->monitor);
	CU_ASSERT_STRING_EQUAL(a->name, "cache-a");
	CU_ASSERT_EQUAL(a->set_mask, BIT(QU_SET_QUORUM) | BIT(QU_SET_AUTH_PASS));
	CU_ASSERT_EQUAL(a->set.quorum, 3);
	CU_ASSERT_STRING_EQUAL(a->set.auth_pass, "s3cr\"et\\ \n\x01\xff");
	CU_ASSERT_TRUE(a->has_address);
	CU_ASSERT_STRING_EQUAL(a->address.host, "10.0.0.9");
	CU_ASSERT_EQUAL(a->address.port, 7000);
	CU_ASSERT_EQUAL(a->config_epoch, 41);
	CU_ASSERT_EQUAL_FATAL(a->replica_count, 2);
	CU_ASSERT_STRING_EQUAL(a->replicas[1].host, "fe80::1");
	CU_ASSERT_EQUAL(a->replicas[1].port, 6380);
	CU_ASSERT_TRUE(a->has_leader);
	CU_ASSERT_STRING_EQUAL(a->leader, PEER1);
	CU_ASSERT_EQUAL(a->leader_epoch, 40);
	CU_ASSERT_EQUAL_FATAL(a->peer_count, 2);
	CU_ASSERT_STRING_EQUAL(a->peers[0].addr.host, "10.0.0.50");
	CU_ASSERT_EQUAL(a->peers[0].addr.port, 26379);
	CU_ASSERT_STRING_EQUAL(a->peers[0].runid, PEER1);
	CU_ASSERT_STRING_EQUAL(a->peers[1].addr.host, "fe80::2");
	CU_ASSERT_STRING_EQUAL(a->peers[1].runid, PEER2);
	CU_ASSERT_FALSE(old->has_leader);
	CU_ASSERT_EQUAL(old->peer_count, 0);
	CU_ASSERT_STRING_EQUAL(odd->name, "odd name");
	CU_ASSERT_TRUE(odd->monitor);
	CU_ASSERT_STRING_EQUAL(odd->monitor_addr.host, "10.1.1.1");
	CU_ASSERT_EQUAL(odd->monitor_quorum, 1);
	CU_ASSERT_EQUAL(odd->set.down_after_ms, 5000);
	CU_ASSERT_EQUAL(odd->set.failover_timeout_ms, INT64_MAX);
	CU_ASSERT_EQUAL(odd->set.parallel_syncs, UINT32_MAX);
	CU_ASSERT_EQUAL(odd->config_epoch, UINT64_MAX);
	CU_ASSERT_STRING_EQUAL(odd->replicas[0].host, "replica.example");
	CU_ASSERT_TRUE(odd->has_leader);
	CU_ASSERT_STRING_EQUAL(odd->leader, "*");
	CU_ASSERT_EQUAL(odd->leader_epoch, INT64_MAX);
	CU_ASSERT_EQUAL_FATAL(odd->peer_count, 1);
	CU_ASSERT_STRING_EQUAL(odd->peers[0].addr.host, "a \"b\"");
	CU_ASSERT_EQUAL(odd->peers[0].addr.port, 65535);
	CU_ASSERT_STRING_EQUAL(odd->peers[0].runid, PEER3);
	sn_state_free(&st);
	CU_ASSERT_PTR_NULL(st.groups);
}

/* Pins the format: encoding the decoded golden file gives it back byte for byte. */
static void test_state_encode_is_canonical(void)
{
	struct sn_state st;
	struct sn_err e;
	char *text = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(decode_str(golden, &st, &e), 0);
	int rc = sn_state_encode(&st, &text, &len);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(len, strlen(golden));
	CU_ASSERT_STRING_EQUAL(text, golden);
	free(text);
	sn_state_free(&st);
}

/* The new records are optional: an older version 1 file decodes, and encodes back unchanged. */
static void test_state_file_without_votes_or_peers_still_decodes(void)
{
	struct sn_state st;
	struct sn_err e;
	char *text = NULL;
	size_t len = 0;

	int rc = decode_str(before_votes, &st, &e);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	int rc_encode = sn_state_encode(&st, &text, &len);

	CU_ASSERT_EQUAL_FATAL(st.group_count, 2);
	for (size_t i = 0; i < st.group_count; i++) {
		EXPECT(st.groups[i].name, !st.groups[i].has_leader);
		EXPECT(st.groups[i].name, st.groups[i].leader[0] == '\0');
		EXPECT(st.groups[i].name,
		       st.groups[i].peer_count == 0 && st.groups[i].peers == NULL);
	}
	CU_ASSERT_EQUAL_FATAL(rc_encode, 0);
	CU_ASSERT_STRING_EQUAL(text, before_votes);
	free(text);
	sn_state_free(&st);
}

static void add_group(struct sn_state *st, const char *name, struct sn_state_group **out)
{
	st->groups = realloc(st->groups, (st->group_count + 1) * sizeof(*st->groups));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st->groups);
	struct sn_state_group *g = &st->groups[st->group_count++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	*out = g;
}

static void add_peer(struct sn_state_group *g, const char *host, uint16_t port, const char *runid)
{
	g->peers = realloc(g->peers, (g->peer_count + 1) * sizeof(*g->peers));
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->peers);
	struct sn_state_peer *p = &g->peers[g->peer_count++];
	memset(p, 0, sizeof(*p));
	snprintf(p->addr.host, sizeof(p->addr.host), "%s", host);
	p->addr.port = port;
	snprintf(p->runid, sizeof(p->runid), "%s", runid);
}

static void add_replica(struct sn_state_group *g, const char *host, uint16_t port)
{
	g->replicas = realloc(g->replicas, (g->replica_count + 1) * sizeof(*g->replicas));
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->replicas);
	struct qu_addr *r = &g->replicas[g->replica_count++];
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = port;
}

/* Zero *st and give it one group "a"; that group. */
static struct sn_state_group *given_group_a(struct sn_state *st)
{
	struct sn_state_group *g;

	memset(st, 0, sizeof(*st));
	add_group(st, "a", &g);
	return g;
}

/* Every byte value 1..255 in secrets, and names and hosts that need quoting. */
static void given_hostile_state(struct sn_state *st)
{
	struct sn_state_group *g;

	memset(st, 0, sizeof(*st));
	st->has_myid = true;
	snprintf(st->myid, sizeof(st->myid), "%s", "ABCDEF0123456789abcdef0123456789ABCDEF01");
	st->current_epoch = UINT64_MAX;
	st->has_announce_ip = true; /* "": back to no announce-ip, only expressible quoted */
	st->has_announce_port = true;
	st->announce_port = 0;
	add_group(st, "#not a comment", &g);
	g->monitor = true;
	snprintf(g->monitor_addr.host, sizeof(g->monitor_addr.host), "%s", "host with \"quotes\"");
	g->monitor_addr.port = 65535;
	g->monitor_quorum = UINT32_MAX;
	g->set_mask = BIT(QU_SET_AUTH_PASS) | BIT(QU_SET_AUTH_USER) | BIT(QU_SET_DOWN_AFTER);
	for (int c = 1; c < 256; c++)
		g->set.auth_pass[c - 1] = (char)c;
	snprintf(g->set.auth_user, sizeof(g->set.auth_user), "%s", "\\\\\"\t\r\n");
	g->set.down_after_ms = 1;
	add_replica(g, "a\\b", 1);
	add_replica(g, "\x7f\x80", 2);
	g->has_leader = true;
	snprintf(g->leader, sizeof(g->leader), "%s", "*");
	g->leader_epoch = INT64_MAX;
	add_peer(g, "#\\\"\x01\xff", 1, PEER3);
	add_peer(g, "a\\b", 1, PEER1); /* a replica's address too: another kind of record */
	add_group(st, "x\"y\\z\x01", &g);
	g->has_config_epoch = true;
	g->config_epoch = 0;
	g->has_leader = true;
	snprintf(g->leader, sizeof(g->leader), "%s", PEER3);
	g->leader_epoch = 0;
	add_peer(g, "#\\\"\x01\xff", 1, PEER3); /* the same peer in two groups is fine */
	add_group(st, "gone", &g);
	g->remove = true;
}

static void test_state_round_trips_hostile_values(void)
{
	struct sn_state st;
	struct sn_state back;
	struct sn_err e;
	char *text = NULL;
	size_t len = 0;

	given_hostile_state(&st);
	int rc = sn_state_encode(&st, &text, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	rc = decode_exact(text, len, &back, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(state_eq(&st, &back));
	CU_ASSERT_EQUAL(strlen(back.groups[0].set.auth_pass), 255);
	CU_ASSERT_PTR_NULL(memchr(text, '\r', len));
	CU_ASSERT_PTR_NULL(memchr(text, '\x01', len));
	free(text);
	sn_state_free(&back);
	sn_state_free(&st);
}

static void test_state_encode_refuses_what_decode_would(void)
{
	struct sn_state st;
	char *text = NULL;
	size_t len = 0;

	struct sn_state_group *g = given_group_a(&st);
	g->monitor = true;
	g->remove = true;
	snprintf(g->monitor_addr.host, sizeof(g->monitor_addr.host), "%s", "10.0.0.1");
	g->monitor_addr.port = 1;
	g->monitor_quorum = 1;
	int both = sn_state_encode(&st, &text, &len);
	g->remove = false;
	g->monitor_addr.port = 0;
	int port0 = sn_state_encode(&st, &text, &len);
	g->monitor_addr.port = 1;
	st.has_myid = true;
	snprintf(st.myid, sizeof(st.myid), "%s", "not-hex");
	int bad_id = sn_state_encode(&st, &text, &len);
	st.has_myid = false;
	st.has_announce_ip = true;
	snprintf(st.announce_ip, sizeof(st.announce_ip), "%s", "host.example");
	int hostname = sn_state_encode(&st, &text, &len);
	snprintf(st.announce_ip, sizeof(st.announce_ip), "%s", "10.0.0.1");
	int ok = sn_state_encode(&st, &text, &len);

	CU_ASSERT_EQUAL(both, -EINVAL);
	CU_ASSERT_EQUAL(port0, -EINVAL);
	CU_ASSERT_EQUAL(bad_id, -EINVAL);
	CU_ASSERT_EQUAL(hostname, -EINVAL);
	CU_ASSERT_EQUAL(ok, 0);
	if (ok == 0)
		free(text);
	sn_state_free(&st);
}

/* Encode a one-group state whose group is shaped by edit; 0 or what encode returned. */
static int encode_group_with(void (*edit)(struct sn_state_group *g))
{
	struct sn_state st;
	char *text = NULL;
	size_t len = 0;

	struct sn_state_group *g = given_group_a(&st);
	g->has_leader = true;
	snprintf(g->leader, sizeof(g->leader), "%s", PEER1);
	g->leader_epoch = 5;
	add_peer(g, "10.0.0.1", 26379, PEER1);
	edit(g);
	int rc = sn_state_encode(&st, &text, &len);
	free(text);
	sn_state_free(&st);
	return rc;
}

static void edit_nothing(struct sn_state_group *g)
{
	(void)g;
}

static void edit_leader_not_hex(struct sn_state_group *g)
{
	snprintf(g->leader, sizeof(g->leader), "%s", NOT_HEX);
}

static void edit_leader_empty(struct sn_state_group *g)
{
	g->leader[0] = '\0';
}

static void edit_leader_epoch_too_big(struct sn_state_group *g)
{
	g->leader_epoch = (uint64_t)INT64_MAX + 1;
}

static void edit_peer_runid(struct sn_state_group *g)
{
	snprintf(g->peers[0].runid, sizeof(g->peers[0].runid), "%s", "*");
}

static void edit_peer_port0(struct sn_state_group *g)
{
	g->peers[0].addr.port = 0;
}

static void edit_peer_same_runid(struct sn_state_group *g)
{
	add_peer(g, "10.0.0.2", 26379, PEER1);
}

static void edit_peer_same_addr(struct sn_state_group *g)
{
	add_peer(g, "10.0.0.1", 26379, PEER2);
}

static void edit_peers_too_many(struct sn_state_group *g)
{
	char runid[QU_RUNID_LEN + 1];
	for (unsigned i = 1; i <= QU_PEERS_MAX; i++) {
		snprintf(runid, sizeof(runid), "%040x", i);
		add_peer(g, "10.0.0.9", (uint16_t)i, runid);
	}
}

static void edit_peers_max(struct sn_state_group *g)
{
	g->peer_count = 0;
	edit_peers_too_many(g);
}

static void edit_removed(struct sn_state_group *g)
{
	g->remove = true;
}

static void test_state_encode_refuses_bad_votes_and_peers(void)
{
	CU_ASSERT_EQUAL(encode_group_with(edit_nothing), 0);
	CU_ASSERT_EQUAL(encode_group_with(edit_peers_max), 0);
	CU_ASSERT_EQUAL(encode_group_with(edit_leader_not_hex), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_leader_empty), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_leader_epoch_too_big), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_peer_runid), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_peer_port0), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_peer_same_runid), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_peer_same_addr), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_peers_too_many), -EINVAL);
	CU_ASSERT_EQUAL(encode_group_with(edit_removed), -EINVAL);
}

static void test_state_minimal_and_commented_files(void)
{
	struct sn_state st;
	struct sn_err e;

	int rc = decode_str("# hi\n\n  \t\n# version 2\nversion 1\n  # indented comment\n"
	                    "\t current-epoch\t 7  \n",
	                    &st, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_FALSE(st.has_myid);
	CU_ASSERT_EQUAL(st.current_epoch, 7);
	CU_ASSERT_FALSE(st.has_announce_ip);
	CU_ASSERT_FALSE(st.has_announce_port);
	CU_ASSERT_EQUAL(st.group_count, 0);
	sn_state_free(&st);
}

struct bad_case {
	const char *name;
	const char *text;
	int line; /* 0: no line in the message */
	const char *msg;
};

#define V "version 1\n"
#define LONG16 "1111111111111111"
#define LONG64 LONG16 LONG16 LONG16 LONG16
#define LONG256 LONG64 LONG64 LONG64 LONG64 /* one byte more than announce_ip holds */

static const struct bad_case bad_cases[] = {
    {"empty", "", 0, "no \"version 1\" record"},
    {"only comments", "# x\n\n", 0, "no \"version 1\" record"},
    {"no final newline", V "current-epoch 1", 2, "no newline at the end"},
    {"CRLF", "version 1\r\n", 1, "control or non-ASCII byte 0x0d"},
    {"version 2", "version 2\n", 1, "unsupported version \"2\""},
    {"version 01", "version 01\n", 1, "unsupported version"},
    {"record before version", "# c\ncurrent-epoch 1\nversion 1\n", 2, "expected \"version 1\""},
    {"duplicate version", V V, 2, "version: duplicate record"},
    {"unknown record", V "vote a 1\n", 2, "unknown record \"vote\""},
    {"keyword case", V "Monitor a 10.0.0.1 1 1\n", 2, "unknown record \"Monitor\""},
    {"monitor arity", V "monitor a 10.0.0.1 6379\n", 2, "monitor: 3 fields, expected 4"},
    {"too many fields", V "monitor a 10.0.0.1 6379 2 x\n", 2, "too many fields"},
    {"remove arity", V "remove\n", 2, "remove: 0 fields, expected 1"},
    {"bad number", V "current-epoch 12x\n", 2, "current-epoch: epoch: \"12x\" is not a number"},
    {"negative", V "current-epoch -1\n", 2, "\"-1\" is not a number"},
    {"plus sign", V "current-epoch +1\n", 2, "\"+1\" is not a number"},
    {"leading zero", V "current-epoch 01\n", 2, "\"01\" is not a number"},
    {"huge epoch", V "current-epoch 18446744073709551616\n", 2, "is not a number in 0.."},
    {"very long number", V "current-epoch 000000000000000000000000000000000000001\n", 2,
     "is not a number"},
    {"quoted number is fine but empty is not", V "current-epoch \"\"\n", 2, "\"\" is not a num"},
    {"duplicate current-epoch", V "current-epoch 1\ncurrent-epoch 1\n", 3, "duplicate record"},
    {"short myid", V "myid 0123456789abcdef0123456789abcdef0123456\n", 2,
     "myid: must be 40 hex digits"},
    {"non-hex myid", V "myid 0123456789abcdef0123456789abcdef0123456g\n", 2, "40 hex digits"},
    {"duplicate myid", V "myid " MYID "\nmyid " MYID "\n", 3, "myid: duplicate record"},
    {"monitor port 0", V "monitor a 10.0.0.1 0 2\n", 2,
     "monitor \"a\": port: \"0\" is not a number in 1..65535"},
    {"monitor port 65536", V "monitor a 10.0.0.1 65536 2\n", 2, "port: \"65536\""},
    {"monitor quorum 0", V "monitor a 10.0.0.1 6379 0\n", 2,
     "quorum: \"0\" is not a number in 1..4294967295"},
    {"monitor quorum too big", V "monitor a 10.0.0.1 6379 4294967296\n", 2, "quorum:"},
    {"monitor empty host", V "monitor a \"\" 6379 1\n", 2, "address must be 1..255 bytes"},
    {"duplicate monitor", V "monitor a 10.0.0.1 1 1\nmonitor a 10.0.0.1 1 1\n", 3,
     "monitor \"a\": duplicate record"},
    {"monitor of a removed group", V "remove a\nmonitor a 10.0.0.1 1 1\n", 3,
     "the group is also removed"},
    {"remove of a monitored group", V "monitor a 10.0.0.1 1 1\nremove a\n", 3,
     "a removed group cannot have other records"},
    {"remove after an override", V "config-epoch a 1\nremove a\n", 3, "cannot have other records"},
    {"override after remove", V "remove a\nset a quorum 2\n", 3, "set \"a\": the group is removed"},
    {"duplicate remove", V "remove a\nremove a\n", 3, "remove \"a\": duplicate record"},
    {"empty name", V "remove \"\"\n", 2, "group name must be 1..127 bytes"},
    {"unknown setting", V "set a colour 2\n", 2, "set \"a\": unknown setting \"colour\""},
    {"setting case", V "set a Quorum 2\n", 2, "unknown setting \"Quorum\""},
    {"setting value 0", V "set a quorum 0\n", 2, "set \"a\": quorum: \"0\" is not a number"},
    {"ms value 0", V "set a down-after-milliseconds 0\n", 2, "down-after-milliseconds: \"0\""},
    {"duplicate set", V "set a quorum 2\nset a quorum 3\n", 3, "quorum: duplicate record"},
    {"unquoted auth", V "set a auth-pass secret\n", 2, "auth-pass: the value must be quoted"},
    {"duplicate address", V "address a 10.0.0.1 1\naddress a 10.0.0.2 1\n", 3,
     "address \"a\": duplicate record"},
    {"duplicate config-epoch", V "config-epoch a 1\nconfig-epoch a 1\n", 3, "duplicate"},
    {"duplicate replica", V "known-replica a h 1\nknown-replica a x 1\nknown-replica a h 1\n", 4,
     "known-replica \"a\": duplicate replica"},
    {"unterminated string", V "remove \"abc\n", 2, "unterminated string"},
    {"unterminated after escaped quote", V "remove \"abc\\\"\n", 2, "unterminated string"},
    {"bad escape", V "remove \"a\\qb\"\n", 2, "bad escape in a string"},
    {"short hex escape", V "remove \"a\\x4\"\n", 2, "bad escape in a string"},
    {"non-hex escape", V "remove \"a\\x4g\"\n", 2, "bad escape"},
    {"NUL escape", V "remove \"a\\x00\"\n", 2, "\\x00 is not allowed"},
    {"escape at end of line", V "remove \"a\\\n", 2, "bad escape"},
    {"raw tab in string", V "remove \"a\tb\"\n", 2, "control byte 0x09 in a string"},
    {"junk after string", V "remove \"a\"b\n", 2, "no space after a string"},
    {"quote inside a word", V "remove a\"b\"\n", 2, "'\"' inside an unquoted field"},
    {"backslash outside quotes", V "remove a\\b\n", 2, "'\\' inside an unquoted field"},
    {"non-ASCII outside quotes", V "remove caf\xc3\xa9\n", 2, "non-ASCII byte 0xc3"},
    {"inline comment", V "current-epoch 1 # no\n", 2, "current-epoch: 3 fields, expected 1"},
    {"announce-ip before version", "announce-ip \"10.0.0.1\"\n" V, 1, "expected \"version 1\""},
    {"announce-ip unquoted", V "announce-ip 10.0.0.1\n", 2,
     "announce-ip: the value must be quoted"},
    {"announce-ip hostname", V "announce-ip \"host.example\"\n", 2,
     "announce-ip: \"host.example\" is neither empty nor an IPv4 or IPv6 address"},
    {"announce-ip with port", V "announce-ip \"10.0.0.1:26379\"\n", 2, "is neither empty"},
    {"announce-ip bad octet", V "announce-ip \"10.0.0.256\"\n", 2, "is neither empty"},
    {"announce-ip short IPv4", V "announce-ip \"10.1\"\n", 2, "is neither empty"},
    {"announce-ip IPv6 in brackets", V "announce-ip \"[::1]\"\n", 2, "is neither empty"},
    {"announce-ip IPv6 zone", V "announce-ip \"fe80::1%eth0\"\n", 2, "is neither empty"},
    {"announce-ip padded", V "announce-ip \" 10.0.0.1\"\n", 2, "is neither empty"},
    {"announce-ip too long", V "announce-ip \"" LONG256 "\"\n", 2, "is neither empty"},
    {"announce-ip arity", V "announce-ip\n", 2, "announce-ip: 0 fields, expected 1"},
    {"announce-ip two values", V "announce-ip \"\" \"\"\n", 2, "2 fields, expected 1"},
    {"duplicate announce-ip", V "announce-ip \"\"\nannounce-ip \"::1\"\n", 3,
     "announce-ip: duplicate record"},
    {"announce-port 65536", V "announce-port 65536\n", 2,
     "announce-port: port: \"65536\" is not a number in 0..65535"},
    {"announce-port negative", V "announce-port -1\n", 2, "\"-1\" is not a number in 0..65535"},
    {"announce-port leading zero", V "announce-port 080\n", 2, "\"080\" is not a number"},
    {"announce-port arity", V "announce-port 1 2\n", 2, "announce-port: 2 fields, expected 1"},
    {"duplicate announce-port", V "announce-port 0\nannounce-port 0\n", 3,
     "announce-port: duplicate record"},
    {"leader-epoch arity", V "leader-epoch a " PEER1 "\n", 2, "leader-epoch: 2 fields, expected 3"},
    {"leader-epoch without runid", V "leader-epoch a 7\n", 2, "2 fields, expected 3"},
    {"leader-epoch short runid", V "leader-epoch a 0123 1\n", 2,
     "leader-epoch \"a\": leader \"0123\" is neither 40 hex digits nor \"*\""},
    {"leader-epoch non-hex runid", V "leader-epoch a " NOT_HEX " 1\n", 2,
     "is neither 40 hex digits"},
    {"leader-epoch 41 digits", V "leader-epoch a " PEER1 "a 1\n", 2, "is neither 40 hex digits"},
    {"leader-epoch empty runid", V "leader-epoch a \"\" 1\n", 2, "leader \"\" is neither"},
    {"leader-epoch two stars", V "leader-epoch a ** 1\n", 2, "leader \"**\" is neither"},
    {"leader-epoch epoch over INT64_MAX", V "leader-epoch a " PEER1 " 9223372036854775808\n", 2,
     "epoch: \"9223372036854775808\" is not a number in 0..9223372036854775807"},
    {"leader-epoch negative epoch", V "leader-epoch a " PEER1 " -1\n", 2, "\"-1\" is not a number"},
    {"leader-epoch leading zero", V "leader-epoch a " PEER1 " 07\n", 2, "\"07\" is not a number"},
    {"duplicate leader-epoch", V "leader-epoch a " PEER1 " 1\nleader-epoch a " PEER2 " 2\n", 3,
     "leader-epoch \"a\": duplicate record"},
    {"same leader-epoch twice", V "leader-epoch a * 1\nleader-epoch a * 1\n", 3,
     "duplicate record"},
    {"leader-epoch after remove", V "remove a\nleader-epoch a " PEER1 " 1\n", 3,
     "leader-epoch \"a\": the group is removed"},
    {"remove after leader-epoch", V "leader-epoch a " PEER1 " 1\nremove a\n", 3,
     "a removed group cannot have other records"},
    {"known-sentinel arity", V "known-sentinel a 10.0.0.1 26379\n", 2,
     "known-sentinel: 3 fields, expected 4"},
    {"known-sentinel five fields", V "known-sentinel a 10.0.0.1 26379 " PEER1 " x\n", 2,
     "too many fields"},
    {"known-sentinel bad runid", V "known-sentinel a 10.0.0.1 26379 xyz\n", 2,
     "known-sentinel \"a\": runid \"xyz\" is not 40 hex digits"},
    {"known-sentinel star runid", V "known-sentinel a 10.0.0.1 26379 *\n", 2,
     "runid \"*\" is not 40 hex digits"},
    {"known-sentinel non-hex runid", V "known-sentinel a 10.0.0.1 26379 " NOT_HEX "\n", 2,
     "is not 40 hex digits"},
    {"known-sentinel port 0", V "known-sentinel a 10.0.0.1 0 " PEER1 "\n", 2,
     "known-sentinel \"a\": port: \"0\" is not a number in 1..65535"},
    {"known-sentinel empty host", V "known-sentinel a \"\" 1 " PEER1 "\n", 2,
     "address must be 1..255 bytes"},
    {"duplicate sentinel id",
     V "known-sentinel a h1 1 " PEER1 "\nknown-sentinel a h2 1 " PEER1 "\n", 3,
     "known-sentinel \"a\": duplicate sentinel id"},
    {"duplicate sentinel address",
     V "known-sentinel a h1 1 " PEER1 "\nknown-sentinel a h1 1 " PEER2 "\n", 3,
     "known-sentinel \"a\": duplicate sentinel address"},
    {"known-sentinel after remove", V "remove a\nknown-sentinel a h 1 " PEER1 "\n", 3,
     "known-sentinel \"a\": the group is removed"},
    {"remove after known-sentinel", V "known-sentinel a h 1 " PEER1 "\nremove a\n", 3,
     "a removed group cannot have other records"},
};

static void check_bad_case(const struct bad_case *bc, size_t len)
{
	struct sn_state st;
	struct sn_err e;
	char prefix[32];

	int rc = decode_exact(bc->text, len, &st, &e);

	snprintf(prefix, sizeof(prefix), "line %d: ", bc->line);
	bool prefix_ok = bc->line == 0 ? strncmp(e.msg, "line ", 5) != 0
	                               : strncmp(e.msg, prefix, strlen(prefix)) == 0;
	EXPECT(bc->name, rc == -EINVAL);
	EXPECT(bc->name, prefix_ok);
	EXPECT(bc->name, strstr(e.msg, bc->msg) != NULL);
	EXPECT(bc->name, st.groups == NULL && st.group_count == 0 && !st.has_myid);
	EXPECT(bc->name, !st.has_announce_ip && !st.has_announce_port);
	if (rc != -EINVAL || !prefix_ok || strstr(e.msg, bc->msg) == NULL)
		fprintf(stderr, "\n  case \"%s\": rc=%d msg=\"%s\"\n", bc->name, rc, e.msg);
}

static void test_state_rejects_corrupt_records_with_line(void)
{
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
		check_bad_case(&bad_cases[i], strlen(bad_cases[i].text));
}

/* NUL bytes end C strings but not the state text: both tables' texts would stop early. */
static void test_state_rejects_raw_nul_bytes(void)
{
	static const char raw[] = V "remove a\0b\n";
	static const char quoted[] = V "remove \"a\0b\"\n";
	static const struct bad_case cases[] = {
	    {"raw NUL", raw, 2, "control or non-ASCII byte 0x00"},
	    {"raw NUL in string", quoted, 2, "control byte 0x00 in a string"},
	};

	check_bad_case(&cases[0], sizeof(raw) - 1);
	check_bad_case(&cases[1], sizeof(quoted) - 1);
}

/* Any run of complete lines of a valid file is valid; a cut inside a line never is. */
static void test_state_every_prefix_is_safe(void)
{
	size_t len = strlen(golden);
	size_t version_end =
	    (size_t)(strstr(golden, "version 1\n") - golden) + strlen("version 1\n");
	size_t good = 0;
	size_t bad = 0;

	for (size_t n = 0; n <= len; n++) {
		struct sn_state st;
		struct sn_err e;
		int rc = decode_exact(golden, n, &st, &e);
		bool whole_lines = n >= version_end && golden[n - 1] == '\n';
		if (whole_lines ? rc == 0 : rc == -EINVAL)
			good++;
		else
			bad++;
		sn_state_free(&st);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(good, len + 1);
}

/* One-byte corruptions anywhere: an error or a valid state, never a crash or a leak. */
static void test_state_single_byte_corruptions_are_safe(void)
{
	static const char values[] = {'\0', '\n', ' ', '"', '\\', 'x', '0', '9', '#', '\xff'};
	size_t len = strlen(golden);
	char *copy = malloc(len);
	size_t failed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	for (size_t i = 0; i < len; i++) {
		for (size_t v = 0; v < sizeof(values); v++) {
			struct sn_state st;
			struct sn_err e = {{0}};
			memcpy(copy, golden, len);
			copy[i] = values[v];
			int rc = sn_state_decode(copy, len, &st, &e);
			failed += rc != 0;
			if (rc != 0 && e.msg[0] == '\0')
				CU_FAIL("an error without a message");
			sn_state_free(&st);
		}
	}
	free(copy);
	CU_ASSERT_TRUE(failed > 0);
}

/* "version 1" then count lines "<head><i><tail>". */
static char *repeat_lines(const char *head, const char *tail, size_t count)
{
	size_t cap = 64 + count * 64;
	char *text = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	size_t n = (size_t)snprintf(text, cap, "version 1\n");
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s%zu%s\n", head, i, tail);
	return text;
}

static void test_state_limits_groups_and_replicas(void)
{
	struct sn_state st;
	struct sn_err e;
	char *groups_max = repeat_lines("config-epoch g", " 1", SN_STATE_GROUPS_MAX);
	char *groups_over = repeat_lines("config-epoch g", " 1", SN_STATE_GROUPS_MAX + 1);
	char *replicas_max = repeat_lines("known-replica a 10.0.0.1 1", "", QU_REPLICAS_MAX);
	char *replicas_over = repeat_lines("known-replica a 10.0.0.1 1", "", QU_REPLICAS_MAX + 1);

	int rc_groups_max = decode_str(groups_max, &st, &e);
	CU_ASSERT_EQUAL_FATAL(rc_groups_max, 0);
	size_t count = st.group_count;
	int found = strcmp(st.groups[SN_STATE_GROUPS_MAX - 1].name, "g4095");
	sn_state_free(&st);
	int rc_groups_over = decode_str(groups_over, &st, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "more than 4096 groups"));
	int rc_replicas_max = decode_exact(replicas_max, strlen(replicas_max), &st, &e);
	sn_state_free(&st);
	int rc_replicas_over = decode_str(replicas_over, &st, &e);

	CU_ASSERT_EQUAL(count, SN_STATE_GROUPS_MAX);
	CU_ASSERT_EQUAL(found, 0);
	CU_ASSERT_EQUAL(rc_groups_over, -EINVAL);
	CU_ASSERT_EQUAL(rc_replicas_max, 0);
	CU_ASSERT_EQUAL(rc_replicas_over, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "more than 64 replicas"));
	free(groups_max);
	free(groups_over);
	free(replicas_max);
	free(replicas_over);
}

/* "version 1" then count known-sentinel records of group a, distinct in runid and port. */
static char *peer_lines(size_t count)
{
	size_t cap = 64 + count * 96;
	char *text = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	size_t n = (size_t)snprintf(text, cap, "version 1\n");
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(text + n, cap - n, "known-sentinel a 10.0.0.1 %zu %040zx\n",
		                      i + 1, i + 1);
	return text;
}

static void test_state_limits_peers(void)
{
	struct sn_state st;
	struct sn_err e;
	char *at_max = peer_lines(QU_PEERS_MAX);
	char *over = peer_lines(QU_PEERS_MAX + 1);

	int rc_max = decode_str(at_max, &st, &e);
	size_t count = st.group_count == 1 ? st.groups[0].peer_count : 0;
	sn_state_free(&st);
	int rc_over = decode_str(over, &st, &e);

	CU_ASSERT_EQUAL(rc_max, 0);
	CU_ASSERT_EQUAL(count, QU_PEERS_MAX);
	CU_ASSERT_EQUAL(rc_over, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(e.msg, "line 66: known-sentinel \"a\": more than 64 sentinels"));
	free(at_max);
	free(over);
}

/* The boundaries that must decode: empty IP, both families, ports 0 and 65535. */
static void test_state_announce_values_at_the_edges(void)
{
	static const struct {
		const char *text;
		const char *ip;
		uint16_t port;
	} cases[] = {
	    {V "announce-ip \"\"\nannounce-port 0\n", "", 0},
	    {V "announce-ip \"255.255.255.255\"\nannounce-port 65535\n", "255.255.255.255", 65535},
	    {V "announce-port 1\nannounce-ip \"::ffff:10.0.0.1\"\n", "::ffff:10.0.0.1", 1},
	    {V "announce-ip \"2001:db8:0:0:0:0:0:1\"\nannounce-port \"7\"\n",
	     "2001:db8:0:0:0:0:0:1", 7},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sn_state st;
		struct sn_err e;
		int rc = decode_str(cases[i].text, &st, &e);
		EXPECT(cases[i].ip, rc == 0);
		EXPECT(cases[i].ip, st.has_announce_ip && strcmp(st.announce_ip, cases[i].ip) == 0);
		EXPECT(cases[i].ip, st.has_announce_port && st.announce_port == cases[i].port);
		sn_state_free(&st);
	}
}

static void test_state_announce_ip_validator(void)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
	    {"", true},        {"10.0.0.1", true},    {"::1", true},
	    {"::", true},      {"fe80::1", true},     {"::ffff:1.2.3.4", true},
	    {"0.0.0.0", true}, {"host", false},       {"10.0.0.256", false},
	    {"1.2.3", false},  {" 10.0.0.1", false},  {"10.0.0.1 ", false},
	    {"[::1]", false},  {"fe80::1%lo", false}, {"10.0.0.1:1", false},
	    {"::1::2", false}, {"0x0a.0.0.1", false}, {LONG256, false},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		EXPECT(cases[i].s, sn_state_is_announce_ip(cases[i].s) == cases[i].ok);
}

/* ---- apply ---- */

static const char conf_text[] = "primary \"a\" { host = \"10.0.0.1\" }\n"
                                "primary \"b\" { host = \"10.0.0.2\" port = 6380 quorum = 3 "
                                "auth-pass = \"pw\" }\n"
                                "primary \"c\" { host = \"10.0.0.3\" }\n";

static void given_conf(struct sn_conf *conf)
{
	struct sn_err e;
	CU_ASSERT_EQUAL_FATAL(sn_conf_load_buf(conf_text, "t.conf", conf, &e), 0);
}

static void test_state_apply_without_state_is_the_config(void)
{
	struct sn_conf conf;
	struct sn_state st;
	struct sn_effective eff;
	struct sn_err e;

	given_conf(&conf);
	CU_ASSERT_EQUAL_FATAL(decode_str("version 1\n", &st, &e), 0);
	int rc = sn_state_apply(&conf, &st, &eff, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(eff.group_count, 3);
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(
		    memcmp(&eff.groups[i].conf, &conf.groups[i], sizeof(conf.groups[i])), 0);
		CU_ASSERT_FALSE(eff.groups[i].runtime);
		CU_ASSERT_EQUAL(eff.groups[i].replica_count, 0);
	}
	CU_ASSERT_EQUAL(eff.ignored_count, 0);
	sn_effective_free(&eff);
	sn_state_free(&st);
	sn_conf_free(&conf);
}

/* The leader-epoch and known-sentinel records of test_state_apply_merges_every_record. */
static void assert_votes_and_peers_applied(const struct sn_eff_group *a,
                                           const struct sn_eff_group *c,
                                           const struct sn_eff_group *rt)
{
	CU_ASSERT_STRING_EQUAL(a->leader, PEER1);
	CU_ASSERT_EQUAL(a->leader_epoch, 7);
	CU_ASSERT_EQUAL_FATAL(a->peer_count, 2);
	CU_ASSERT_STRING_EQUAL(a->peers[0].addr.host, "10.0.0.40");
	CU_ASSERT_EQUAL(a->peers[0].addr.port, 26379);
	CU_ASSERT_STRING_EQUAL(a->peers[0].runid, PEER1);
	CU_ASSERT_STRING_EQUAL(a->peers[1].runid, PEER2);
	CU_ASSERT_STRING_EQUAL(c->leader, "");
	CU_ASSERT_EQUAL(c->leader_epoch, 0);
	CU_ASSERT_EQUAL(c->peer_count, 0);
	CU_ASSERT_PTR_NULL(c->peers);
	CU_ASSERT_STRING_EQUAL(rt->leader, "*");
	CU_ASSERT_EQUAL(rt->leader_epoch, 6);
	CU_ASSERT_EQUAL_FATAL(rt->peer_count, 1);
	CU_ASSERT_STRING_EQUAL(rt->peers[0].runid, PEER1);
}

static void test_state_apply_merges_every_record(void)
{
	struct sn_conf conf;
	struct sn_state st;
	struct sn_effective eff;
	struct sn_err e;
	const char *text = V "current-epoch 9\n"
	                     "monitor rt 10.9.9.9 7000 1\n"
	                     "set rt parallel-syncs 5\n"
	                     "known-replica rt 10.9.9.10 7001\n"
	                     "remove b\n"
	                     "set a auth-user \"u\"\n"
	                     "set a quorum 4\n"
	                     "address a 10.0.0.11 6390\n"
	                     "config-epoch a 8\n"
	                     "leader-epoch a " PEER1 " 7\n"
	                     "known-replica a 10.0.0.12 6379\n"
	                     "known-replica a 10.0.0.13 6379\n"
	                     "known-sentinel a 10.0.0.40 26379 " PEER1 "\n"
	                     "known-sentinel a 10.0.0.41 26379 " PEER2 "\n"
	                     "leader-epoch rt * 6\n"
	                     "known-sentinel rt 10.0.0.40 26379 " PEER1 "\n"
	                     "config-epoch forgotten 3\n"
	                     "remove also-forgotten\n";

	given_conf(&conf);
	CU_ASSERT_EQUAL_FATAL(decode_str(text, &st, &e), 0);
	int rc = sn_state_apply(&conf, &st, &eff, &e);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(eff.group_count, 3);
	const struct sn_eff_group *a = &eff.groups[0];
	const struct sn_eff_group *c = &eff.groups[1];
	const struct sn_eff_group *rt = &eff.groups[2];
	CU_ASSERT_STRING_EQUAL(a->conf.name, "a");
	CU_ASSERT_STRING_EQUAL(a->conf.addr.host, "10.0.0.11");
	CU_ASSERT_EQUAL(a->conf.addr.port, 6390);
	CU_ASSERT_EQUAL(a->conf.quorum, 4);
	CU_ASSERT_STRING_EQUAL(a->conf.auth_user, "u");
	CU_ASSERT_EQUAL(a->conf.down_after_ms, 30000);
	CU_ASSERT_EQUAL(a->config_epoch, 8);
	CU_ASSERT_EQUAL_FATAL(a->replica_count, 2);
	CU_ASSERT_STRING_EQUAL(a->replicas[1].host, "10.0.0.13");
	CU_ASSERT_FALSE(a->runtime);
	CU_ASSERT_EQUAL(memcmp(&c->conf, &conf.groups[2], sizeof(c->conf)), 0);
	CU_ASSERT_STRING_EQUAL(rt->conf.name, "rt");
	CU_ASSERT_TRUE(rt->runtime);
	CU_ASSERT_STRING_EQUAL(rt->conf.addr.host, "10.9.9.9");
	CU_ASSERT_EQUAL(rt->conf.addr.port, 7000);
	CU_ASSERT_EQUAL(rt->conf.quorum, 1);
	CU_ASSERT_EQUAL(rt->conf.parallel_syncs, 5);
	CU_ASSERT_EQUAL(rt->conf.failover_timeout_ms, 180000);
	CU_ASSERT_EQUAL(rt->replica_count, 1);
	assert_votes_and_peers_applied(a, c, rt);
	CU_ASSERT_EQUAL(eff.current_epoch, 9);
	CU_ASSERT_EQUAL(eff.ignored_count, 2);
	sn_effective_free(&eff);
	CU_ASSERT_PTR_NULL(eff.groups);
	sn_state_free(&st);
	sn_conf_free(&conf);
}

/* The file may say current-epoch 3 and hold a vote in 12: the core must start at 12 or later. */
static void test_state_apply_raises_current_epoch(void)
{
	static const struct {
		const char *name;
		const char *text;
		uint64_t epoch;
	} cases[] = {
	    {"no current-epoch", V "config-epoch a 4\n", 4},
	    {"behind a vote", V "current-epoch 3\nleader-epoch a " PEER1 " 12\nconfig-epoch b 5\n",
	     12},
	    {"behind a config epoch", V "current-epoch 3\nleader-epoch a * 4\nconfig-epoch b 5\n",
	     5},
	    {"behind a forgotten group", V "current-epoch 3\nleader-epoch gone " PEER1 " 30\n", 30},
	    {"ahead of all", V "current-epoch 18446744073709551615\nleader-epoch a * 9\n",
	     UINT64_MAX},
	    {"nothing", V, 0},
	};
	struct sn_conf conf;

	given_conf(&conf);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sn_state st;
		struct sn_effective eff;
		struct sn_err e;
		int rc = decode_str(cases[i].text, &st, &e);
		EXPECT(cases[i].name, rc == 0);
		rc = rc == 0 ? sn_state_apply(&conf, &st, &eff, &e) : rc;
		EXPECT(cases[i].name, rc == 0);
		EXPECT(cases[i].name, rc != 0 || eff.current_epoch == cases[i].epoch);
		EXPECT(cases[i].name, rc != 0 || st.current_epoch <= eff.current_epoch);
		if (rc == 0)
			sn_effective_free(&eff);
		sn_state_free(&st);
	}
	sn_conf_free(&conf);
}

static void test_state_apply_refuses_monitor_of_a_config_group(void)
{
	struct sn_conf conf;
	struct sn_state st;
	struct sn_effective eff;
	struct sn_err e;

	given_conf(&conf);
	CU_ASSERT_EQUAL_FATAL(decode_str(V "monitor b 10.0.0.2 6380 3\n", &st, &e), 0);
	int rc = sn_state_apply(&conf, &st, &eff, &e);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "monitor \"b\": the config file defines this group"));
	CU_ASSERT_PTR_NULL(eff.groups);
	CU_ASSERT_EQUAL(eff.group_count, 0);
	sn_state_free(&st);
	sn_conf_free(&conf);
}

/* ---- capture against a live core ---- */

struct live {
	void *mem;
	struct qu_core *core;
};

static void step(struct live *l, const struct qu_admin *admin)
{
	struct qu_input in = {.kind = QU_IN_ADMIN, .now_ms = 1000, .u.admin = *admin};
	in.u.admin.quiet = true;
	CU_ASSERT_EQUAL_FATAL(qu_step(l->core, &in), QU_OK);
	for (int i = 0; i < 1000 && qu_action_next(l->core) != NULL; i++)
		;
}

static uint32_t monitor(struct live *l, const struct qu_group_conf *c)
{
	struct qu_admin a = {.op = QU_ADMIN_MONITOR, .conf = c};
	step(l, &a);
	return qu_group_find(l->core, c->name);
}

static void set_num(struct live *l, uint32_t g, enum qu_setting s, int64_t v)
{
	struct qu_admin a = {.op = QU_ADMIN_SET, .group = g, .setting = s, .num = v};
	step(l, &a);
}

static void set_str(struct live *l, uint32_t g, enum qu_setting s, const char *v)
{
	struct qu_admin a = {.op = QU_ADMIN_SET, .group = g, .setting = s, .str = v};
	step(l, &a);
}

static void known_replica(struct live *l, uint32_t g, const char *host, uint16_t port)
{
	struct qu_admin a = {.op = QU_ADMIN_KNOWN_REPLICA, .group = g};
	snprintf(a.addr.host, sizeof(a.addr.host), "%s", host);
	a.addr.port = port;
	step(l, &a);
}

static void epoch(struct live *l, uint32_t g, int64_t n)
{
	struct qu_admin a = {.op = QU_ADMIN_EPOCHS, .group = g, .num = n};
	step(l, &a);
}

static void given_core_at(struct live *l, uint64_t current_epoch)
{
	struct qu_params p = {.limits = {.groups_max = 8, .nodes_max = 64, .watchers_max = 16},
	                      .seed = 1,
	                      .current_epoch = current_epoch};
	memcpy(p.myid, MYID, sizeof(p.myid));
	size_t size = qu_core_size(&p.limits);
	CU_ASSERT_FATAL(size > 0);
	l->mem = calloc(1, size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l->mem);
	l->core = qu_core_init(l->mem, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l->core);
}

static void given_core(struct live *l)
{
	given_core_at(l, 9);
}

/*
 * The core after some runtime history against conf_text: a failed over (new address) with a new
 * quorum, b's credentials changed, c removed, a runtime group rt with its own settings.
 */
static void given_changed_core(struct live *l, const struct sn_conf *conf)
{
	struct qu_group_conf a = conf->groups[0];
	struct qu_group_conf rt;

	given_core(l);
	snprintf(a.addr.host, sizeof(a.addr.host), "%s", "10.0.0.21");
	a.addr.port = 6400;
	uint32_t ga = monitor(l, &a);
	set_num(l, ga, QU_SET_QUORUM, 5);
	known_replica(l, ga, "10.0.0.1", 6379);
	known_replica(l, ga, "10.0.0.22", 6379);
	epoch(l, ga, 7);
	uint32_t gb = monitor(l, &conf->groups[1]);
	set_str(l, gb, QU_SET_AUTH_PASS, "");
	set_str(l, gb, QU_SET_AUTH_USER, "u s\"er");
	sn_conf_group_defaults(&rt);
	snprintf(rt.name, sizeof(rt.name), "%s", "rt");
	snprintf(rt.addr.host, sizeof(rt.addr.host), "%s", "10.5.5.5");
	rt.quorum = 1;
	uint32_t grt = monitor(l, &rt);
	set_num(l, grt, QU_SET_DOWN_AFTER, 5000);
	set_num(l, grt, QU_SET_PARALLEL_SYNCS, 3);
	known_replica(l, grt, "10.5.5.6", 6379);
	epoch(l, grt, 3);
}

static bool conf_eq(const struct qu_group_conf *a, const struct qu_group_conf *b)
{
	return strcmp(a->name, b->name) == 0 && addr_eq(&a->addr, &b->addr) &&
	       settings_eq(a, b, (1u << QU_SET_COUNT) - 1);
}

/* Applying the captured state to the same config reproduces the core's groups. */
static void assert_effective_matches_core(const struct sn_effective *eff, const struct live *l)
{
	size_t used = 0;
	for (uint32_t g = 0; g < qu_groups_max(l->core); g++)
		used += qu_group_at(l->core, g) != NULL;
	CU_ASSERT_EQUAL(eff->group_count, used);
	for (size_t i = 0; i < eff->group_count; i++) {
		const struct sn_eff_group *e = &eff->groups[i];
		const struct qu_group *g =
		    qu_group_at(l->core, qu_group_find(l->core, e->conf.name));
		CU_ASSERT_PTR_NOT_NULL_FATAL(g);
		EXPECT(e->conf.name, conf_eq(&e->conf, &g->conf));
		EXPECT(e->conf.name, e->config_epoch == g->config_epoch);
		EXPECT(e->conf.name, e->replica_count == g->replica_count);
		for (size_t r = 0; r < e->replica_count && r < g->replica_count; r++)
			EXPECT(e->conf.name, addr_eq(&e->replicas[r],
			                             &qu_node_at(l->core, g->replicas[r])->addr));
	}
}

/* A core monitoring exactly the config's groups. */
static void given_core_of(struct live *l, const struct sn_conf *conf)
{
	given_core(l);
	for (size_t i = 0; i < conf->group_count; i++)
		monitor(l, &conf->groups[i]);
}

/* The group called name (it must exist). */
static const struct qu_group *group_of(const struct live *l, const char *name)
{
	return qu_group_at(l->core, qu_group_find(l->core, name));
}

/* Feed in; drain the outbox, keeping the VOTE_REPLY if reply is not NULL. */
static void feed(struct live *l, struct qu_input *in, struct qu_action *reply)
{
	in->now_ms = 2000;
	CU_ASSERT_EQUAL_FATAL(qu_step(l->core, in), QU_OK);
	for (const struct qu_action *a; (a = qu_action_next(l->core)) != NULL;)
		if (reply != NULL && a->kind == QU_ACT_VOTE_REPLY)
			*reply = *a;
}

/* A hello from watcher runid at host:26379 about group, whose primary is at its current address. */
static void hello(struct live *l, const char *group, const char *host, const char *runid,
                  uint64_t epoch)
{
	struct qu_hello h;
	memset(&h, 0, sizeof(h));
	snprintf(h.watcher.host, sizeof(h.watcher.host), "%s", host);
	h.watcher.port = 26379;
	snprintf(h.runid, sizeof(h.runid), "%s", runid);
	h.current_epoch = epoch;
	snprintf(h.name, sizeof(h.name), "%s", group);
	h.primary = group_of(l, group)->conf.addr;
	struct qu_input in = {.kind = QU_IN_HELLO, .u.hello = &h};
	feed(l, &in, NULL);
}

/* IS-MASTER-DOWN-BY-ADDR for group's primary from candidate in epoch (now_ms 0, not fed). */
static struct qu_input vote_request(const struct live *l, const char *group, const char *candidate,
                                    uint64_t epoch)
{
	struct qu_input in = {.kind = QU_IN_VOTE_REQUEST};
	in.u.vote_request.primary = group_of(l, group)->conf.addr;
	in.u.vote_request.epoch = epoch;
	snprintf(in.u.vote_request.runid, sizeof(in.u.vote_request.runid), "%s", candidate);
	return in;
}

/* Step vote_request(l, group, candidate, epoch) as is, outbox untouched: qu_step's result. */
static int step_vote_request(struct live *l, const char *group, const char *candidate,
                             uint64_t epoch)
{
	struct qu_input in = vote_request(l, group, candidate, epoch);
	return qu_step(l->core, &in);
}

/* Feed vote_request(l, group, candidate, epoch); the reply it got. */
static struct qu_action ask_vote(struct live *l, const char *group, const char *candidate,
                                 uint64_t epoch)
{
	struct qu_action reply;
	memset(&reply, 0, sizeof(reply));
	struct qu_input in = vote_request(l, group, candidate, epoch);
	feed(l, &in, &reply);
	CU_ASSERT_EQUAL(reply.kind, QU_ACT_VOTE_REPLY);
	return reply;
}

static void known_peer(struct live *l, uint32_t g, const char *host, uint16_t port,
                       const char *runid)
{
	struct qu_admin a = {.op = QU_ADMIN_KNOWN_PEER, .group = g, .str = runid};
	snprintf(a.addr.host, sizeof(a.addr.host), "%s", host);
	a.addr.port = port;
	step(l, &a);
}

/* What the daemon does at boot (sn_state_apply's contract): a fresh core from eff alone. */
static void restore(struct live *l, const struct sn_effective *eff)
{
	given_core_at(l, eff->current_epoch);
	for (size_t i = 0; i < eff->group_count; i++) {
		const struct sn_eff_group *e = &eff->groups[i];
		uint32_t g = monitor(l, &e->conf);
		CU_ASSERT_NOT_EQUAL_FATAL(g, QU_NONE);
		epoch(l, g, (int64_t)e->config_epoch);
		if (e->leader[0] != '\0') {
			struct qu_admin v = {.op = QU_ADMIN_VOTE, .group = g, .str = e->leader};
			v.num = (int64_t)e->leader_epoch;
			step(l, &v);
		}
		for (size_t r = 0; r < e->replica_count; r++)
			known_replica(l, g, e->replicas[r].host, e->replicas[r].port);
		for (size_t p = 0; p < e->peer_count; p++)
			known_peer(l, g, e->peers[p].addr.host, e->peers[p].addr.port,
			           e->peers[p].runid);
	}
}

/*
 * What a capture test builds, each step from the one before: a config, a core that ran against
 * it, the state captured from that core, its text, the text decoded, that applied to the config,
 * and a core restored from the result. Zeroed by given_world(); world_free() releases whatever
 * was used.
 */
struct world {
	struct sn_conf conf;
	struct live l;
	struct sn_state st;
	char *text;
	size_t len;
	struct sn_state back;
	struct sn_effective eff;
	struct live again;
};

/* load the config (given_conf, given_globals_conf), then build the core from it. */
static void given_world(struct world *w, void (*load)(struct sn_conf *conf),
                        void (*build)(struct live *l, const struct sn_conf *conf))
{
	memset(w, 0, sizeof(*w));
	load(&w->conf);
	build(&w->l, &w->conf);
}

static void world_free(struct world *w)
{
	sn_effective_free(&w->eff);
	sn_state_free(&w->back);
	sn_state_free(&w->st);
	free(w->text);
	free(w->again.mem);
	free(w->l.mem);
	sn_conf_free(&w->conf);
}

/* Capture w->l into w->st (asserted, fatally), with live's globals unless it is NULL; encode it. */
static int capture_and_encode(struct world *w, const struct sn_conf *live)
{
	int rc = live == NULL ? sn_state_capture(w->l.core, &w->conf, &w->st)
	                      : sn_state_capture_live(w->l.core, &w->conf, live, &w->st);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return sn_state_encode(&w->st, &w->text, &w->len);
}

/* Decode w->text (exact copy) into w->back, asserted fatally; apply it: sn_state_apply's result. */
static int reload(struct world *w)
{
	struct sn_err e;

	CU_ASSERT_EQUAL_FATAL(decode_exact(w->text, w->len, &w->back, &e), 0);
	return sn_state_apply(&w->conf, &w->back, &w->eff, &e);
}

/* capture -> encode -> decode -> apply, every step asserted fatally. */
static void persist_and_reload(struct world *w)
{
	CU_ASSERT_EQUAL_FATAL(capture_and_encode(w, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(reload(w), 0);
}

/* The daemon's CONFIG SET copy of conf with these announce values. */
static struct sn_conf live_conf(const struct sn_conf *conf, const char *ip, uint16_t port)
{
	struct sn_conf live = *conf;
	snprintf(live.announce_ip, sizeof(live.announce_ip), "%s", ip);
	live.announce_port = port;
	return live;
}

/* The votes and peers of test_state_vote_and_peers_survive_a_restart, as apply carried them. */
static void assert_restart_applied(const struct sn_effective *eff)
{
	CU_ASSERT_EQUAL_FATAL(eff->group_count, 3);
	const struct sn_eff_group *ea = &eff->groups[0];
	const struct sn_eff_group *eb = &eff->groups[1];
	const struct sn_eff_group *ert = &eff->groups[2];
	CU_ASSERT_STRING_EQUAL(ea->leader, PEER1);
	CU_ASSERT_EQUAL(ea->leader_epoch, 13);
	CU_ASSERT_EQUAL_FATAL(ea->peer_count, 2);
	CU_ASSERT_STRING_EQUAL(ea->peers[0].addr.host, "10.0.0.50");
	CU_ASSERT_EQUAL(ea->peers[0].addr.port, 26379);
	CU_ASSERT_STRING_EQUAL(ea->peers[0].runid, PEER1);
	CU_ASSERT_STRING_EQUAL(ea->peers[1].addr.host, "10.0.0.51");
	CU_ASSERT_STRING_EQUAL(ea->peers[1].runid, PEER2);
	CU_ASSERT_STRING_EQUAL(eb->leader, "");
	CU_ASSERT_EQUAL(eb->peer_count, 0);
	CU_ASSERT_STRING_EQUAL(ert->conf.name, "rt");
	CU_ASSERT_EQUAL_FATAL(ert->peer_count, 1);
	CU_ASSERT_STRING_EQUAL(ert->peers[0].runid, PEER1);
	CU_ASSERT_EQUAL(eff->current_epoch, 13);
}

/*
 * Peers learned from hellos and a vote granted to a peer survive a restart: the captured file
 * holds them, apply carries them, and a core restored from that alone refuses a second vote in
 * the same epoch (one vote per epoch, ever), yet votes again in the next one.
 */
static void test_state_vote_and_peers_survive_a_restart(void)
{
	struct world w;
	struct sn_state recaptured;

	given_world(&w, given_conf, given_changed_core);
	hello(&w.l, "a", "10.0.0.50", PEER1, 12);
	hello(&w.l, "a", "10.0.0.51", PEER2, 12);
	hello(&w.l, "rt", "10.0.0.50", PEER1, 12);
	struct qu_action granted = ask_vote(&w.l, "a", PEER1, 13);
	CU_ASSERT_STRING_EQUAL_FATAL(granted.runid, PEER1); /* the core did vote */
	CU_ASSERT_EQUAL_FATAL(granted.epoch, 13);
	persist_and_reload(&w);

	const struct sn_state_group *a = &w.back.groups[0];
	CU_ASSERT_STRING_EQUAL(a->name, "a");
	CU_ASSERT_TRUE(a->has_leader);
	CU_ASSERT_STRING_EQUAL(a->leader, PEER1);
	CU_ASSERT_EQUAL(a->leader_epoch, 13);
	CU_ASSERT_FALSE(w.back.groups[1].has_leader); /* b: nobody asked */
	CU_ASSERT_EQUAL(w.back.current_epoch, 13);
	assert_restart_applied(&w.eff);

	restore(&w.again, &w.eff);
	CU_ASSERT_EQUAL(qu_current_epoch(w.again.core), 13);
	CU_ASSERT_EQUAL_FATAL(sn_state_capture(w.again.core, &w.conf, &recaptured), 0);
	CU_ASSERT_TRUE(state_eq(&w.st, &recaptured)); /* the restart lost nothing the file holds */
	struct qu_action second = ask_vote(&w.again, "a", PEER2, 13);
	struct qu_action next = ask_vote(&w.again, "a", PEER2, 14);

	CU_ASSERT_STRING_EQUAL(second.runid, PEER1); /* still bound to the first vote */
	CU_ASSERT_EQUAL(second.epoch, 13);
	CU_ASSERT_STRING_EQUAL(next.runid, PEER2);
	CU_ASSERT_EQUAL(next.epoch, 14);
	sn_state_free(&recaptured);
	world_free(&w);
}

/* A vote for a candidate that is no valid id is written "*": the epoch still binds us. */
/* A vote restored with an id the state file cannot hold (only reachable through QU_ADMIN_VOTE:
 * the core refuses such ids in vote requests) is written as "*" and still binds its epoch. */
static void test_state_vote_for_an_invalid_id_still_binds(void)
{
	struct world w;

	given_world(&w, given_conf, given_core_of);
	/* vote requests need a real id */
	CU_ASSERT_EQUAL(step_vote_request(&w.l, "b", NOT_HEX, 10), QU_EINVAL);
	CU_ASSERT_STRING_EQUAL(group_of(&w.l, "b")->leader, "");
	struct qu_admin v = {.op = QU_ADMIN_VOTE,
	                     .group = qu_group_find(w.l.core, "b"),
	                     .quiet = true,
	                     .str = NOT_HEX,
	                     .num = 10};
	step(&w.l, &v);
	persist_and_reload(&w);
	restore(&w.again, &w.eff);
	struct qu_action second = ask_vote(&w.again, "b", PEER1, 10);

	CU_ASSERT_TRUE(w.st.groups[1].has_leader);
	CU_ASSERT_STRING_EQUAL(w.st.groups[1].leader, "*");
	CU_ASSERT_EQUAL(w.st.groups[1].leader_epoch, 10);
	CU_ASSERT_STRING_EQUAL(w.eff.groups[1].leader, "*");
	CU_ASSERT_STRING_NOT_EQUAL(second.runid, PEER1); /* no second vote in epoch 10 */
	CU_ASSERT_EQUAL(second.epoch, 10);
	world_free(&w);
}

/* Epochs past what the wire carries (signed 64-bit) are refused by the core, so none is ever
 * recorded; the largest accepted one is written as is. */
static void test_state_capture_clamps_a_huge_leader_epoch(void)
{
	struct world w;

	given_world(&w, given_conf, given_core_of);
	CU_ASSERT_EQUAL(step_vote_request(&w.l, "a", PEER1, UINT64_MAX), QU_EINVAL);
	(void)ask_vote(&w.l, "a", PEER1, INT64_MAX);
	int rc = capture_and_encode(&w, NULL);

	CU_ASSERT_EQUAL(w.st.current_epoch, INT64_MAX);
	CU_ASSERT_TRUE(w.st.groups[0].has_leader);
	CU_ASSERT_STRING_EQUAL(w.st.groups[0].leader, PEER1);
	CU_ASSERT_EQUAL(w.st.groups[0].leader_epoch, INT64_MAX);
	CU_ASSERT_EQUAL(rc, 0);
	world_free(&w);
}

/* Peers the decoder would refuse (bad id, an address twice) are left out, not the whole file. */
static void test_state_capture_skips_unwritable_peers(void)
{
	struct world w;

	given_world(&w, given_conf, given_core_of);
	uint32_t g = qu_group_find(w.l.core, "c");
	known_peer(&w.l, g, "10.0.0.60", 1, NOT_HEX);
	known_peer(&w.l, g, "10.0.0.61", 1, PEER1);
	known_peer(&w.l, g, "10.0.0.61", 1, PEER2);
	known_peer(&w.l, g, "10.0.0.62", 1, PEER3);
	CU_ASSERT_EQUAL_FATAL(qu_group_at(w.l.core, g)->peer_count, 4);
	int rc = capture_and_encode(&w, NULL);

	const struct sn_state_group *c = &w.st.groups[2];
	CU_ASSERT_EQUAL_FATAL(c->peer_count, 2);
	CU_ASSERT_STRING_EQUAL(c->peers[0].runid, PEER1);
	CU_ASSERT_STRING_EQUAL(c->peers[1].runid, PEER3);
	CU_ASSERT_STRING_EQUAL(c->peers[1].addr.host, "10.0.0.62");
	CU_ASSERT_EQUAL(rc, 0);
	world_free(&w);
}

static void test_state_capture_records_the_diff(void)
{
	struct world w;

	given_world(&w, given_conf, given_changed_core);
	int rc = sn_state_capture(w.l.core, &w.conf, &w.st);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(w.st.myid, MYID);
	CU_ASSERT_EQUAL(w.st.current_epoch, 9);
	CU_ASSERT_EQUAL_FATAL(w.st.group_count, 4);
	const struct sn_state_group *a = &w.st.groups[0];
	const struct sn_state_group *b = &w.st.groups[1];
	const struct sn_state_group *rt = &w.st.groups[2];
	const struct sn_state_group *c = &w.st.groups[3];
	CU_ASSERT_TRUE(a->has_address && a->address.port == 6400);
	CU_ASSERT_EQUAL(a->set_mask, BIT(QU_SET_QUORUM));
	CU_ASSERT_EQUAL(a->config_epoch, 7);
	CU_ASSERT_EQUAL(a->replica_count, 2);
	CU_ASSERT_FALSE(b->has_address);
	CU_ASSERT_EQUAL(b->set_mask, BIT(QU_SET_AUTH_PASS) | BIT(QU_SET_AUTH_USER));
	CU_ASSERT_TRUE(b->has_config_epoch && b->config_epoch == 0);
	CU_ASSERT_TRUE(rt->monitor && rt->monitor_quorum == 1);
	CU_ASSERT_EQUAL(rt->set_mask, BIT(QU_SET_DOWN_AFTER) | BIT(QU_SET_PARALLEL_SYNCS));
	CU_ASSERT_STRING_EQUAL(c->name, "c");
	CU_ASSERT_TRUE(c->remove);
	world_free(&w);
}

static void test_state_capture_then_apply_reproduces_the_core(void)
{
	struct world w;

	given_world(&w, given_conf, given_changed_core);
	CU_ASSERT_EQUAL_FATAL(capture_and_encode(&w, NULL), 0);
	int rc = reload(&w);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(state_eq(&w.st, &w.back));
	assert_effective_matches_core(&w.eff, &w.l);
	CU_ASSERT_EQUAL(w.eff.ignored_count, 0);
	world_free(&w);
}

/* A core that is exactly the config: only epochs are written. */
static void test_state_capture_of_unchanged_core_has_no_overrides(void)
{
	struct world w;

	given_world(&w, given_conf, given_core_of);
	int rc = sn_state_capture(w.l.core, &w.conf, &w.st);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(w.st.group_count, 3);
	for (size_t i = 0; i < w.st.group_count; i++) {
		const struct sn_state_group *g = &w.st.groups[i];
		EXPECT(g->name, !g->monitor && !g->remove && g->set_mask == 0 && !g->has_address);
		EXPECT(g->name, g->has_config_epoch && g->replica_count == 0);
		EXPECT(g->name, !g->has_leader && g->peer_count == 0 && g->peers == NULL);
	}
	world_free(&w);
}

/* ---- the CONFIG SET globals: announce-ip, announce-port ---- */

static const char globals_conf_text[] = "announce-ip = \"10.0.0.100\"\n"
                                        "announce-port = 26390\n"
                                        "primary \"a\" { host = \"10.0.0.1\" }\n";

static void given_globals_conf(struct sn_conf *conf)
{
	struct sn_err e;
	CU_ASSERT_EQUAL_FATAL(sn_conf_load_buf(globals_conf_text, "g.conf", conf, &e), 0);
	CU_ASSERT_STRING_EQUAL_FATAL(conf->announce_ip, "10.0.0.100");
	CU_ASSERT_EQUAL_FATAL(conf->announce_port, 26390);
}

/* The globals conf in *conf (and a copy in *before) with state text's globals applied to it. */
static void given_globals_applied(const char *text, struct sn_conf *conf, struct sn_conf *before)
{
	struct sn_state st;
	struct sn_err e;

	given_globals_conf(conf);
	*before = *conf;
	CU_ASSERT_EQUAL_FATAL(decode_str(text, &st, &e), 0);
	sn_state_apply_globals(&st, conf);
	sn_state_free(&st);
}

static void test_state_apply_globals_overrides_only_announce(void)
{
	struct sn_conf conf;
	struct sn_conf before;

	given_globals_applied(V "announce-ip \"\"\nannounce-port 0\nremove a\n", &conf, &before);

	CU_ASSERT_STRING_EQUAL(conf.announce_ip, "");
	CU_ASSERT_EQUAL(conf.announce_port, 0);
	memcpy(conf.announce_ip, before.announce_ip, sizeof(conf.announce_ip));
	conf.announce_port = before.announce_port;
	CU_ASSERT_EQUAL(memcmp(&conf, &before, sizeof(conf)), 0); /* groups untouched, too */
	sn_conf_free(&conf);
}

static void test_state_apply_globals_without_records_keeps_config(void)
{
	struct sn_conf conf;
	struct sn_conf before;

	given_globals_applied(V "announce-port 7\n", &conf, &before);
	uint16_t port = conf.announce_port;
	conf.announce_port = before.announce_port;

	CU_ASSERT_EQUAL(port, 7);
	CU_ASSERT_EQUAL(memcmp(&conf, &before, sizeof(conf)), 0); /* announce_ip kept */
	sn_conf_free(&conf);
}

static void test_state_capture_live_records_changed_globals(void)
{
	struct world w;

	given_world(&w, given_globals_conf, given_core_of);
	/* the daemon's CONFIG SET copy; capture reads only its announce values */
	struct sn_conf live = live_conf(&w.conf, "2001:db8::7", 0);
	int rc = sn_state_capture_live(w.l.core, &w.conf, &live, &w.st);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(w.st.has_announce_ip);
	CU_ASSERT_STRING_EQUAL(w.st.announce_ip, "2001:db8::7");
	CU_ASSERT_TRUE(w.st.has_announce_port);
	CU_ASSERT_EQUAL(w.st.announce_port, 0);
	CU_ASSERT_EQUAL_FATAL(w.st.group_count, 1);
	CU_ASSERT_EQUAL(w.st.groups[0].set_mask, 0);
	world_free(&w);
}

/* Same values as the file: nothing to record, and an IP cleared to "" is a change. */
static void test_state_capture_live_records_only_differences(void)
{
	struct world w;
	struct sn_state cleared;

	given_world(&w, given_globals_conf, given_core_of);
	struct sn_conf live = w.conf;
	const struct sn_state *same = &w.st;
	int rc_same = sn_state_capture_live(w.l.core, &w.conf, &live, &w.st);
	live.announce_ip[0] = '\0';
	int rc_cleared = sn_state_capture_live(w.l.core, &w.conf, &live, &cleared);

	CU_ASSERT_EQUAL_FATAL(rc_same, 0);
	CU_ASSERT_FALSE(same->has_announce_ip);
	CU_ASSERT_FALSE(same->has_announce_port);
	CU_ASSERT_EQUAL_FATAL(rc_cleared, 0);
	CU_ASSERT_TRUE(cleared.has_announce_ip);
	CU_ASSERT_STRING_EQUAL(cleared.announce_ip, "");
	CU_ASSERT_FALSE(cleared.has_announce_port);
	sn_state_free(&cleared);
	world_free(&w);
}

/* An unpersistable live IP is left out; the epochs and the port are still written. */
static void test_state_capture_live_skips_an_invalid_ip(void)
{
	struct world w;

	given_world(&w, given_globals_conf, given_core_of);
	struct sn_conf live = live_conf(&w.conf, "sentinel.example", 1);
	int rc = capture_and_encode(&w, &live);

	CU_ASSERT_FALSE(w.st.has_announce_ip);
	CU_ASSERT_TRUE(w.st.has_announce_port && w.st.announce_port == 1);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NULL(strstr(w.text, "announce-ip"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.text, "\nannounce-port 1\n"));
	world_free(&w);
}

/* The 3-argument form is capture_live with live == conf: no global records, ever. */
static void test_state_capture_without_live_has_no_globals(void)
{
	struct world w;

	given_world(&w, given_globals_conf, given_core_of);
	int rc = sn_state_capture(w.l.core, &w.conf, &w.st);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_FALSE(w.st.has_announce_ip);
	CU_ASSERT_FALSE(w.st.has_announce_port);
	CU_ASSERT_EQUAL(w.st.group_count, 1);
	world_free(&w);
}

/* CONFIG SET, write, restart: the boot conf gets the live values back through the text. */
static void test_state_globals_survive_a_restart(void)
{
	struct world w;
	struct sn_err e;

	given_world(&w, given_globals_conf, given_core_of);
	struct sn_conf live = live_conf(&w.conf, "192.0.2.7", 26999);
	CU_ASSERT_EQUAL_FATAL(capture_and_encode(&w, &live), 0);
	CU_ASSERT_EQUAL_FATAL(decode_exact(w.text, w.len, &w.back, &e), 0);
	struct sn_conf boot = w.conf;
	sn_state_apply_globals(&w.back, &boot);

	CU_ASSERT_PTR_NOT_NULL(
	    strstr(w.text, "current-epoch 9\nannounce-ip \"192.0.2.7\"\nannounce-port 26999\n"));
	CU_ASSERT_TRUE(state_eq(&w.st, &w.back));
	CU_ASSERT_STRING_EQUAL(boot.announce_ip, "192.0.2.7");
	CU_ASSERT_EQUAL(boot.announce_port, 26999);
	CU_ASSERT_STRING_EQUAL(w.conf.announce_ip, "10.0.0.100"); /* the file conf is not touched */
	world_free(&w);
}

/* ---- the file ---- */

static void path_of(char *out, size_t size, const char *dir, const char *file)
{
	snprintf(out, size, "%s/%s", dir, file);
}

/* A fresh temporary directory and the paths of the state file and its .tmp in it. */
struct state_dir {
	char dir[64];
	char path[256];
	char tmp[256];
};

static void given_dir(struct state_dir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/vigil-unit-state-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d->dir));
	path_of(d->path, sizeof(d->path), d->dir, SN_STATE_FILE);
	path_of(d->tmp, sizeof(d->tmp), d->dir, SN_STATE_TMP_FILE);
}

static void remove_dir(const char *dir)
{
	char p[256];
	path_of(p, sizeof(p), dir, SN_STATE_FILE);
	unlink(p);
	rmdir(p);
	path_of(p, sizeof(p), dir, SN_STATE_TMP_FILE);
	unlink(p);
	rmdir(dir);
}

/* The state file in d is 0600 and holds exactly want; no .tmp is left. */
static void assert_written(const struct state_dir *d, const char *want)
{
	struct stat sb;
	struct sn_err e = {{0}};
	char *text = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(stat(d->path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0600);
	CU_ASSERT_NOT_EQUAL(access(d->tmp, F_OK), 0);
	CU_ASSERT_EQUAL_FATAL(sn_state_read(d->dir, &text, &len, &e), 0);
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_STRING_EQUAL(text, want);
	free(text);
}

static void test_state_write_is_private_and_complete(void)
{
	struct state_dir d;
	struct sn_err e = {{0}};

	given_dir(&d);
	mode_t old_umask = umask(0);
	int rc = sn_state_write(d.dir, golden, strlen(golden), &e);
	umask(old_umask);

	CU_ASSERT_EQUAL(rc, 0);
	assert_written(&d, golden);
	remove_dir(d.dir);
}

/* Overwrite an old 0644 file while a stale 0666 .tmp lies around from a crash. */
static void test_state_write_replaces_old_file_and_stale_tmp(void)
{
	struct state_dir d;
	struct sn_err e = {{0}};

	given_dir(&d);
	CU_ASSERT_EQUAL(sn_state_write(d.dir, "old old old old\n", 16, &e), 0);
	chmod(d.path, 0644);
	FILE *f = fopen(d.tmp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("garbage from a crash, longer than the new content", f);
	fclose(f);
	chmod(d.tmp, 0666);
	int rc = sn_state_write(d.dir, "new\n", 4, &e);

	CU_ASSERT_EQUAL(rc, 0);
	assert_written(&d, "new\n");
	remove_dir(d.dir);
}

static void test_state_write_failures_leave_no_tmp(void)
{
	struct state_dir d;
	struct sn_err e = {{0}};

	given_dir(&d);
	int rc_empty_dir = sn_state_write("", "x\n", 2, &e);
	int rc_missing = sn_state_write("/nonexistent-vigil-dir", "x\n", 2, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "open /nonexistent-vigil-dir/vigil.state.tmp"));
	CU_ASSERT_EQUAL_FATAL(mkdir(d.path, 0700), 0); /* rename over a directory fails */
	int rc_isdir = sn_state_write(d.dir, "x\n", 2, &e);

	CU_ASSERT_EQUAL(rc_empty_dir, -EINVAL);
	CU_ASSERT_EQUAL(rc_missing, -ENOENT);
	CU_ASSERT_TRUE(rc_isdir < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "rename"));
	CU_ASSERT_NOT_EQUAL(access(d.tmp, F_OK), 0);
	remove_dir(d.dir);
}

static void test_state_read_absent_huge_and_odd_files(void)
{
	struct state_dir d;
	struct sn_err e = {{0}};
	char *text = NULL;
	size_t len = 0;

	given_dir(&d);
	int rc_absent = sn_state_read(d.dir, &text, &len, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no state file"));
	FILE *f = fopen(d.path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(ftruncate(fileno(f), (off_t)SN_STATE_SIZE_MAX + 1), 0); /* sparse */
	fclose(f);
	int rc_huge = sn_state_read(d.dir, &text, &len, &e);
	unlink(d.path);
	CU_ASSERT_EQUAL_FATAL(mkdir(d.path, 0700), 0);
	int rc_dir = sn_state_read(d.dir, &text, &len, &e);
	rmdir(d.path);
	int rc_empty = sn_state_write(d.dir, "", 0, &e);
	rc_empty = rc_empty != 0 ? rc_empty : sn_state_read(d.dir, &text, &len, &e);

	CU_ASSERT_EQUAL(rc_absent, -ENOENT);
	CU_ASSERT_EQUAL(rc_huge, -EFBIG);
	CU_ASSERT_EQUAL(rc_dir, -EINVAL);
	CU_ASSERT_EQUAL(rc_empty, 0);
	CU_ASSERT_EQUAL(len, 0);
	if (rc_empty == 0)
		free(text);
	remove_dir(d.dir);
}

CU_TestInfo state_tests[] = {
    {"decodes every record", test_state_decodes_every_record},
    {"encode is canonical (golden file)", test_state_encode_is_canonical},
    {"hostile values round trip", test_state_round_trips_hostile_values},
    {"encode refuses what decode would", test_state_encode_refuses_what_decode_would},
    {"encode refuses bad votes and peers", test_state_encode_refuses_bad_votes_and_peers},
    {"file without votes or peers decodes", test_state_file_without_votes_or_peers_still_decodes},
    {"comments, blanks and tabs", test_state_minimal_and_commented_files},
    {"corrupt records fail with line", test_state_rejects_corrupt_records_with_line},
    {"raw NUL bytes fail with line", test_state_rejects_raw_nul_bytes},
    {"every prefix is safe", test_state_every_prefix_is_safe},
    {"one-byte corruptions are safe", test_state_single_byte_corruptions_are_safe},
    {"groups and replicas are bounded", test_state_limits_groups_and_replicas},
    {"peers are bounded", test_state_limits_peers},
    {"announce values at the edges decode", test_state_announce_values_at_the_edges},
    {"announce-ip validator", test_state_announce_ip_validator},
    {"apply without state is the config", test_state_apply_without_state_is_the_config},
    {"apply merges every record", test_state_apply_merges_every_record},
    {"apply refuses monitor of config group", test_state_apply_refuses_monitor_of_a_config_group},
    {"apply raises current epoch", test_state_apply_raises_current_epoch},
    {"capture records the diff", test_state_capture_records_the_diff},
    {"capture then apply reproduces core", test_state_capture_then_apply_reproduces_the_core},
    {"capture of unchanged core", test_state_capture_of_unchanged_core_has_no_overrides},
    {"vote and peers survive a restart", test_state_vote_and_peers_survive_a_restart},
    {"vote for an invalid id still binds", test_state_vote_for_an_invalid_id_still_binds},
    {"huge epochs are refused, the largest is kept", test_state_capture_clamps_a_huge_leader_epoch},
    {"capture skips unwritable peers", test_state_capture_skips_unwritable_peers},
    {"apply_globals overrides only announce", test_state_apply_globals_overrides_only_announce},
    {"apply_globals without records", test_state_apply_globals_without_records_keeps_config},
    {"capture_live records changed globals", test_state_capture_live_records_changed_globals},
    {"capture_live records only differences", test_state_capture_live_records_only_differences},
    {"capture_live skips an invalid IP", test_state_capture_live_skips_an_invalid_ip},
    {"capture (3 args) has no globals", test_state_capture_without_live_has_no_globals},
    {"globals survive a restart", test_state_globals_survive_a_restart},
    {"write is 0600, complete, no .tmp", test_state_write_is_private_and_complete},
    {"write replaces old file and stale tmp", test_state_write_replaces_old_file_and_stale_tmp},
    {"write failures leave no .tmp", test_state_write_failures_leave_no_tmp},
    {"read of absent, huge, odd files", test_state_read_absent_huge_and_odd_files},
    CU_TEST_INFO_NULL,
};
