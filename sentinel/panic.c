// SPDX-License-Identifier: BSD-3-Clause
/* The daemon's qu_panic(): a broken invariant in the core is logged and the process aborts. */
#include "quorum.h"

#include <stdlib.h>

#include "log.h"

void qu_panic(const char *file, int line, const char *expr)
{
	sn_log(SN_LOG_WARNING, "event=bug file=%s line=%d assertion=\"%s\"", file, line, expr);
	abort();
}
