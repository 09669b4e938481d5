/* SPDX-License-Identifier: BSD-3-Clause */
/* vigil's version, and the Redis version it speaks as (clients parse HELLO/INFO's version). */
#ifndef SN_VERSION_H
#define SN_VERSION_H

#define VIGIL_VERSION "0.1.0"
/* Sentinel 7.0 wire compatibility: what HELLO and INFO report as the server version. */
#define VIGIL_REDIS_VERSION "7.0.15"

#endif
