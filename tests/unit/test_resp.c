// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests of resp (placeholder until the module lands). */
#include "unit.h"

CU_TestInfo resp_tests[] = {
	CU_TEST_INFO_NULL,
};
