/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private helpers shared by state.c (the codec) and state_diff.c (capture/apply): the setting
 * accessors over struct qu_group_conf and the growth of sn_state.groups. Only sentinel/state*.c
 * include this; nothing here touches the disk or the core.
 */
#ifndef SN_STATE_INTERNAL_H
#define SN_STATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "quorum_types.h"

#include "state.h"

/* Copy setting s (numeric or string) from src into dst; the other fields of dst are untouched. */
void sn_state_setting_copy(struct qu_group_conf *dst, const struct qu_group_conf *src,
                           enum qu_setting s);

/* Whether a and b hold the same value of setting s. */
bool sn_state_setting_equal(const struct qu_group_conf *a, const struct qu_group_conf *b,
                            enum qu_setting s);

/* Whether a and b are the same host (byte for byte) and port. */
bool sn_state_addr_equal(const struct qu_addr *a, const struct qu_addr *b);

/*
 * Make room in st->groups for one more group; *cap is the allocated count (0 for none yet).
 * Returns 0, -E2BIG when st already holds SN_STATE_GROUPS_MAX groups, or -ENOMEM (st unchanged).
 */
int sn_state_groups_reserve(struct sn_state *st, size_t *cap) __attribute__((warn_unused_result));

#endif
