/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shell's one source of time for the core: monotonic milliseconds. ev_now() follows the wall
 * clock and must never reach the core; callbacks read sn_clock_now_ms() once and use that value.
 */
#ifndef SN_CLOCK_H
#define SN_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t sn_clock_now_ms(void);

/* Wall clock in milliseconds since the epoch (for humans: logs, "last failover at"). */
int64_t sn_clock_wall_ms(void);

#endif
