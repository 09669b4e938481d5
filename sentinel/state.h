/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state file <dir>/vigil.state: what changed at runtime (SENTINEL MONITOR/REMOVE/SET, the
 * current primary after a failover, epochs, our votes, known replicas and other watchers), kept
 * apart from the user's config file, which is never rewritten. Pure codec (state.c), the diff
 * against the config (capture/apply, state_diff.c), and an atomic write and bounded read
 * (state_file.c). The decoder is strict: a damaged file must stop the start, never half-load.
 *
 * Format, version 1: one record per line, tokens separated by spaces or tabs, '\n' line ends
 * (the last line too). Lines whose first non-blank character is '#' and blank lines are ignored.
 * A token is bare (bytes 0x21..0x7e except '"' and '\') or quoted: "..." with the escapes \\ \"
 * \n \r \t \xHH (not \x00); raw control bytes are refused. The first record is the version.
 *   version 1
 *   myid <40 hex>
 *   current-epoch <n>
 *   announce-ip "<ip>"                       SENTINEL CONFIG SET value differing from the config's:
 *   announce-port <n>                        "" or an IPv4/IPv6 literal (always quoted); 0..65535
 *   monitor <name> <ip> <port> <quorum>      a group added at runtime (not in the config file)
 *   remove <name>                            a config-file group removed at runtime
 *   set <name> <setting-wire-name> <value>   a runtime SENTINEL SET override (QU_SETTINGS)
 *   address <name> <ip> <port>               current primary, when it differs from the config's
 *   config-epoch <name> <n>
 *   leader-epoch <name> <runid> <epoch>      our vote: the candidate we voted for in <epoch>
 *                                            (0..2^63-1); <runid> is 40 hex digits, or "*" for
 *                                            a vote whose candidate was not a valid id
 *   known-replica <name> <ip> <port>
 *   known-sentinel <name> <ip> <port> <runid>  another watcher of the group (Sentinel's name for
 *                                            the record); <runid> is 40 hex digits
 * Numbers are decimal without sign or leading zeros. Auth strings are always quoted. The vote and
 * the current epoch are what "one vote per epoch, ever" rests on: a restart must restore them
 * before answering anyone (STYLE.md §3). leader-epoch and known-sentinel came after the first
 * files of version 1: this vigil reads those older files unchanged; an older vigil refuses the
 * new records (unknown record) rather than dropping a vote.
 */
#ifndef SN_STATE_H
#define SN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quorum_types.h"

#include "conf.h"
#include "err.h"

struct qu_core;

#define SN_STATE_VERSION 1
#define SN_STATE_FILE "vigil.state"
#define SN_STATE_TMP_FILE "vigil.state.tmp"
#define SN_STATE_SIZE_MAX (64u << 20) /* sn_state_read refuses bigger files */
#define SN_STATE_GROUPS_MAX 4096      /* distinct group names in one state file */

/* A watcher remembered for one group: a "known-sentinel" record. */
struct sn_state_peer {
	struct qu_addr addr;          /* host 1..QU_HOST_MAX-1 bytes, port 1..65535 */
	char runid[QU_RUNID_LEN + 1]; /* 40 hex digits (sn_state_is_runid) */
};

/* Everything the state file says about one group name. */
struct sn_state_group {
	char name[QU_NAME_MAX]; /* non-empty */
	bool monitor;           /* "monitor": added at runtime; never together with remove */
	struct qu_addr monitor_addr;
	uint32_t monitor_quorum;  /* >= 1 */
	bool remove;              /* "remove": a config group removed at runtime; nothing else */
	uint32_t set_mask;        /* bit (1u << enum qu_setting) per "set" record */
	struct qu_group_conf set; /* the "set" values; fields outside set_mask are unused */
	bool has_address;
	struct qu_addr address;
	bool has_config_epoch;
	uint64_t config_epoch;
	bool has_leader;               /* "leader-epoch": our vote */
	char leader[QU_RUNID_LEN + 1]; /* 40 hex digits, or "*" (a vote for an invalid id) */
	uint64_t leader_epoch;         /* <= INT64_MAX (QU_ADMIN_VOTE takes an int64_t) */
	size_t replica_count;          /* <= QU_REPLICAS_MAX, no duplicates */
	struct qu_addr *replicas;      /* malloc'd, file order */
	size_t peer_count;             /* <= QU_PEERS_MAX; no two with one runid or one address */
	struct sn_state_peer *peers;   /* malloc'd, file order */
};

struct sn_state {
	bool has_myid;
	char myid[QU_RUNID_LEN + 1];
	uint64_t current_epoch;        /* 0 when absent */
	bool has_announce_ip;          /* "announce-ip": overrides the config file's announce-ip */
	char announce_ip[QU_HOST_MAX]; /* "" or an IP literal (sn_state_is_announce_ip) */
	bool has_announce_port;        /* "announce-port": overrides the config's announce-port */
	uint16_t announce_port;        /* 0: announce the listening port */
	size_t group_count;            /* <= SN_STATE_GROUPS_MAX */
	struct sn_state_group *groups; /* malloc'd, in order of first appearance */
};

/* One effective group: what the core should monitor after a restart. */
struct sn_eff_group {
	struct qu_group_conf conf; /* config or monitor record, with set and address applied */
	bool runtime;              /* from a "monitor" record, not from the config file */
	uint64_t config_epoch;
	char leader[QU_RUNID_LEN + 1]; /* our vote: "" when none, else as in sn_state_group */
	uint64_t leader_epoch;         /* 0 when none; <= INT64_MAX */
	size_t replica_count;
	struct qu_addr *replicas; /* malloc'd (NULL when none) */
	size_t peer_count;
	struct sn_state_peer *peers; /* malloc'd (NULL when none) */
};

struct sn_effective {
	uint64_t current_epoch; /* start the core with this: see sn_state_apply */
	size_t group_count;
	struct sn_eff_group *groups; /* malloc'd: config groups in file order, then runtime ones */
	size_t ignored_count;        /* state groups naming nothing that exists: worth a warning */
};

/*
 * Parse len bytes of state text (no NUL terminator needed). Strict: unknown record, wrong arity,
 * bad number or quoting, version other than SN_STATE_VERSION or not first, any duplicate or
 * contradictory record, a missing final newline: -EINVAL, err says "line N: ...". -ENOMEM when
 * out of memory. On success *out is filled (release with sn_state_free); on error it is zeroed.
 */
int sn_state_decode(const char *text, size_t len, struct sn_state *out, struct sn_err *err)
    __attribute__((warn_unused_result));

/*
 * Render st in canonical order (header, version, myid, current-epoch, announce-ip, announce-port,
 * then per group: monitor or remove, set in QU_SETTINGS order, address, config-epoch,
 * leader-epoch, known-replica, known-sentinel). A group without any record is not written.
 * *text is malloc'd (NUL-terminated, *len bytes before it). Returns 0, -ENOMEM, or -EINVAL when
 * st holds something the decoder would refuse (the output is checked by decoding it: vigil never
 * writes a state file it cannot read back).
 */
int sn_state_encode(const struct sn_state *st, char **text, size_t *len)
    __attribute__((warn_unused_result));

/* Release what decode or capture allocated and zero *st. NULL or a zeroed state is fine. */
void sn_state_free(struct sn_state *st);

/*
 * Effective groups = config groups - removed + runtime monitors, with set, address, config-epoch,
 * leader-epoch, known-replica and known-sentinel applied. Records about a group that exists in
 * neither place (the config file lost it since) are skipped and counted in ignored_count. A
 * "monitor" of a name that the config file also defines is an error (-EINVAL): the user must drop
 * one of the two. -ENOMEM possible. On success fill *out (release with sn_effective_free); on
 * error it is zeroed.
 *
 * out->current_epoch is st->current_epoch raised to the largest config-epoch and leader-epoch of
 * the file, of skipped groups too: the decoder accepts a current-epoch behind them (a hand-edited
 * or older file), but the core must never start behind an epoch it has seen or voted in. Boot
 * order: qu_params.current_epoch = out->current_epoch; then per group QU_ADMIN_MONITOR,
 * QU_ADMIN_EPOCHS (.num = config_epoch), QU_ADMIN_VOTE when leader[0] != '\0' (.str = leader,
 * "*" too, .num = leader_epoch), QU_ADMIN_KNOWN_REPLICA per replica, QU_ADMIN_KNOWN_PEER per peer
 * (.addr, .str = runid), all .quiet, before any input from the network.
 */
int sn_state_apply(const struct sn_conf *conf, const struct sn_state *st, struct sn_effective *out,
                   struct sn_err *err) __attribute__((warn_unused_result));

/* Release what sn_state_apply allocated and zero *eff. NULL or a zeroed value is fine. */
void sn_effective_free(struct sn_effective *eff);

/*
 * Override conf's announce_ip and announce_port with st's announce-ip and announce-port records,
 * when present (st as decoded or captured: values valid). Nothing else in conf changes. Call it at
 * boot on the daemon's live copy of the config, never on the file conf that capture diffs against.
 */
void sn_state_apply_globals(const struct sn_state *st, struct sn_conf *conf);

/*
 * The inverse of apply: diff the live core and the live global values against the config file.
 * Groups not in file_conf become monitor (+ set for settings other than the defaults of
 * sn_conf_group_defaults); file_conf groups missing from the core become remove; settings that
 * differ from file_conf become set, a different primary address becomes address; every group gets
 * config-epoch, leader-epoch when the group's leader is non-empty, its replicas known-replica and
 * its peers known-sentinel. Groups in core index order, then the removed ones in config order.
 * Capture never yields a state that encode refuses, because a state that cannot be written blocks
 * every later vote: a leader that is not 40 hex digits (a client's IS-MASTER-DOWN-BY-ADDR can
 * name any 40 bytes) is written "*", which keeps the epoch voted in; a leader epoch above
 * INT64_MAX is written INT64_MAX (requests cannot name such epochs, and current-epoch keeps the
 * exact value); a peer with an invalid runid or address, or repeating the runid or address of an
 * earlier peer of its group, is left out (it comes back with its next hello). Of live only
 * announce_ip and announce_port are read (the values SENTINEL CONFIG SET changed): each becomes
 * an announce-ip/announce-port record when it differs from file_conf's. A live announce_ip that
 * the decoder would refuse (not "" or an IP literal) is left out rather than making the whole
 * state unwritable. live may be file_conf (no global records).
 * Returns 0, -ENOMEM, or -E2BIG (more than SN_STATE_GROUPS_MAX groups); *out zeroed on error.
 */
int sn_state_capture_live(const struct qu_core *core, const struct sn_conf *file_conf,
                          const struct sn_conf *live, struct sn_state *out)
    __attribute__((warn_unused_result));

/*
 * sn_state_capture_live(core, conf, conf, out): the groups only, no announce records. Kept for
 * callers that do not track CONFIG SET values apart from the config file.
 */
int sn_state_capture(const struct qu_core *core, const struct sn_conf *conf, struct sn_state *out)
    __attribute__((warn_unused_result));

/* Whether s is a Sentinel id as the state file takes it: exactly 40 hex digits (either case). */
bool sn_state_is_runid(const char *s);

/*
 * Whether s is a valid announce-ip value: "" (announce the address the peer sees) or an IPv4 or
 * IPv6 literal of fewer than QU_HOST_MAX bytes, the rule of the config file's announce-ip. Use it
 * to validate SENTINEL CONFIG SET announce-ip: a value it refuses is never persisted.
 */
bool sn_state_is_announce_ip(const char *s);

/*
 * Atomically replace <dir>/vigil.state with text: write <dir>/vigil.state.tmp (mode 0600, it holds
 * passwords), fsync, rename over the old file, fsync the directory. Returns 0 or -errno with err
 * filled (-EINVAL for an empty dir, -ENAMETOOLONG); when the failure comes before the rename, the
 * old file is untouched and the .tmp removed. A failed directory fsync leaves the new file in
 * place.
 */
int sn_state_write(const char *dir, const char *text, size_t len, struct sn_err *err)
    __attribute__((warn_unused_result));

/*
 * Read <dir>/vigil.state into a malloc'd, NUL-terminated *text of *len bytes. Returns 0; -ENOENT
 * when there is no state file (a first start; err says so too); -EFBIG beyond SN_STATE_SIZE_MAX;
 * -EINVAL if it is not a regular file; other -errno. err is filled on every failure.
 */
int sn_state_read(const char *dir, char **text, size_t *len, struct sn_err *err)
    __attribute__((warn_unused_result));

#endif
