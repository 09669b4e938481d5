/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error messages for humans (config, state file, CLI): a fixed buffer that callers fill and then
 * prefix with context as they unwind, e.g. "vigil.conf:12: primary \"a\": quorum 0 < 1".
 */
#ifndef SN_ERR_H
#define SN_ERR_H

/* Process exit codes. */
#define SN_EXIT_OK 0
#define SN_EXIT_RUNTIME 1
#define SN_EXIT_CONFIG 2
#define SN_EXIT_STATE 3
#define SN_EXIT_BUG 70

struct sn_err {
	char msg[512];
};

/* Replace the message. */
void sn_err_set(struct sn_err *err, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));

/* Prefix the message with context: "<context>: <old message>". */
void sn_err_wrap(struct sn_err *err, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));

#endif
