// SPDX-License-Identifier: BSD-3-Clause
/* sn_err: fixed-size, truncating error messages with layered context. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sn_err_set(struct sn_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void sn_err_wrap(struct sn_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(err->msg) - 2)
		return; /* the context alone fills the buffer */
	/* Truncation of the inner detail is acceptable; overflow is not. */
	size_t len = (size_t)n, room = sizeof(err->msg) - len - 1;
	size_t old_len = strlen(old);
	memcpy(err->msg + len, ": ", 2);
	len += 2;
	room -= 2;
	if (old_len > room)
		old_len = room;
	memcpy(err->msg + len, old, old_len);
	err->msg[len + old_len] = '\0';
}
