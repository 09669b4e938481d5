/* SPDX-License-Identifier: BSD-3-Clause */
/* Suites of the unit test binary; each lives in tests/unit/test_<module>.c. */
#ifndef UT_UNIT_H
#define UT_UNIT_H

#include <CUnit/CUnit.h>

extern CU_TestInfo info_tests[];
extern CU_TestInfo resp_tests[];
extern CU_TestInfo conf_tests[];
extern CU_TestInfo state_tests[];
extern CU_TestInfo detect_tests[];
extern CU_TestInfo link_tests[];
extern CU_TestInfo wire_tests[];
extern CU_TestInfo peers_tests[];
extern CU_TestInfo vote_tests[];
extern CU_TestInfo select_tests[];
extern CU_TestInfo script_tests[];

#endif
