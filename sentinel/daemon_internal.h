/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What daemon.c (feeding inputs, boot) and daemon_io.c (executing actions) share and nothing else
 * may include. It declares no state of its own: everything lives in struct sn_daemon.
 */
#ifndef SN_DAEMON_INTERNAL_H
#define SN_DAEMON_INTERNAL_H

#include "daemon.h"
#include "quorum.h"

/*
 * Execute one action the core emitted, as I/O on d's links, server and scripts (or, for
 * VOTE_REPLY, by filling d->vote_answer). Failures are logged and otherwise ignored: the core
 * retries or times out. QU_ACT_PERSIST is a no-op here; the caller (feed_one in daemon.c) writes
 * the state file itself, in order. Never calls qu_step(): inputs its I/O produces meanwhile
 * re-enter through sn_daemon_feed(), which queues them.
 */
void sn_daemon_exec(struct sn_daemon *d, const struct qu_action *a);

#endif
