// SPDX-License-Identifier: BSD-3-Clause
/* Unit test runner: one table registers every module's CU_TestInfo array. */
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "unit.h"

static CU_SuiteInfo suites[] = {
	{.pName = "info", .pTests = info_tests},
	{.pName = "resp", .pTests = resp_tests},
	{.pName = "conf", .pTests = conf_tests},
	{.pName = "state", .pTests = state_tests},
	{.pName = "detect", .pTests = detect_tests},
	{.pName = "link", .pTests = link_tests},
	{.pName = "wire", .pTests = wire_tests},
	{.pName = "peers", .pTests = peers_tests},
	{.pName = "vote", .pTests = vote_tests},
	{.pName = "select", .pTests = select_tests},
	{.pName = "script", .pTests = script_tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "CU_register_suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	/* CU_basic_run_tests() returns success even when tests fail: exit on the failure count. */
	unsigned failed = CU_get_number_of_failures();
	unsigned ran = CU_get_number_of_tests_run();
	unsigned tests_failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry(); /* resets the counters: read them first */
	printf("%u passed, %u failed\n", ran - tests_failed, tests_failed);
	return failed == 0 && ran > 0 ? 0 : 1;
}
