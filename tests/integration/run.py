#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs the integration suite (unittest discovery in this directory) and ends with the plain
`integration: N passed, N failed, N skipped` line that CI reads; exit 0 only if all passed.

Arguments, if any, are test-name patterns (unittest -k semantics), e.g. `run.py compat sdown`.
It adds nothing to the tests themselves: `python3 -m unittest discover -s tests/integration`
runs the same suite.
"""

import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent


class CountingResult(unittest.TextTestResult):
    """TextTestResult that also counts successes (testsRun misses classes whose setUpClass
    failed, so passed cannot be derived from it)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main(argv):
    sys.path.insert(0, str(HERE))
    loader = unittest.TestLoader()
    if argv:
        loader.testNamePatterns = [f'*{p}*' if '*' not in p else p for p in argv]
    suite = loader.discover(str(HERE), pattern='test_*.py', top_level_dir=str(HERE))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f'integration: {result.passed} passed, {failed} failed, {len(result.skipped)} skipped')
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
