# SPDX-License-Identifier: BSD-3-Clause
"""vigil's command line: --version, --help, and --check-config on good and bad files. A bad
file must exit 2 with a message on stderr naming the file, the line and the key.

vigil only (redis-sentinel has no --check-config); each case writes its own config file and
never starts a daemon.
"""

import os
import subprocess
import unittest
from pathlib import Path

from harness import SUT, VIGIL, has_number, make_tmpdir, strip_paths

RUN_TIMEOUT_S = 10


def run_vigil(*args):
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=1', UBSAN_OPTIONS='print_stacktrace=1')
    return subprocess.run([VIGIL, *map(str, args)], capture_output=True, text=True,
                          errors='replace', timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL,
                          env=env)


def good_lines(state_dir):
    return [
        'bind = "127.0.0.1"',
        'port = 26379',
        f'dir = "{state_dir}"',
        'requirepass = ""',
        'announce-ip = ""',
        'announce-port = 0',
        'log-level = "notice"',
        'logfile = ""',
        'primary "mymaster" {',
        '    host = "127.0.0.1"',
        '    port = 6379',
        '    quorum = 2',
        '    down-after-ms = 30000',
        '    failover-timeout-ms = 180000',
        '    parallel-syncs = 1',
        '    auth-user = ""',
        '    auth-pass = ""',
        '}',
    ]


def replace(lines, prefix, new):
    """Replace the first line starting with prefix; returns (lines, 1-based line number)."""
    out = list(lines)
    for i, line in enumerate(out):
        if line.strip().startswith(prefix):
            out[i] = new
            return out, i + 1
    raise AssertionError(f'no line starting with {prefix!r}')


def insert_after(lines, prefix, new):
    out = list(lines)
    for i, line in enumerate(out):
        if line.strip().startswith(prefix):
            out.insert(i + 1, new)
            return out, i + 2
    raise AssertionError(f'no line starting with {prefix!r}')


def bad_cases(base):
    """(name, config lines, line number of the fault, key the message must name)."""
    dup = base + ['primary "mymaster" {', '    port = 6380', '}']
    return [
        ('unknown top-level key', *insert_after(base, 'bind', 'colour = "blue"'), 'colour'),
        ('unknown key in primary', *insert_after(base, 'quorum', '    speed = 3'), 'speed'),
        ('string for an integer', *replace(base, 'port = 26379', 'port = "abc"'), 'port'),
        ('string for quorum', *replace(base, 'quorum', '    quorum = "two"'), 'quorum'),
        ('quorum 0', *replace(base, 'quorum', '    quorum = 0'), 'quorum'),
        ('port 70000', *replace(base, 'port = 26379', 'port = 70000'), 'port'),
        ('primary port 70000', *replace(base, 'port = 6379', '    port = 70000'), 'port'),
        ('negative down-after-ms', *replace(base, 'down-after-ms', '    down-after-ms = -1'),
         'down-after-ms'),
        ('duplicate primary name', dup, len(base) + 1, 'mymaster'),
        ('bad log-level', *replace(base, 'log-level', 'log-level = "loud"'), 'log-level'),
    ]


@unittest.skipIf(SUT != 'vigil', 'vigil only: redis-sentinel has no --check-config')
class CliTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(VIGIL, os.X_OK):
            raise AssertionError(f'vigil binary not found or not executable: {VIGIL}')
        cls.tmp = make_tmpdir('cli')
        cls.state_dir = cls.tmp / 'state'
        cls.state_dir.mkdir()

    def write(self, name, lines):
        path = self.tmp / f'{name.replace(" ", "-")}.conf'
        path.write_text('\n'.join(lines) + '\n')
        return path

    def assert_no_sanitizer_report(self, proc):
        for marker in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:'):
            self.assertNotIn(marker, proc.stderr)

    def test_version(self):
        p = run_vigil('--version')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('vigil', (p.stdout + p.stderr).lower())
        self.assert_no_sanitizer_report(p)

    def test_help(self):
        p = run_vigil('--help')
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout + p.stderr
        for opt in ('--config', '--check-config', '--version', '--help'):
            self.assertIn(opt, text)

    def test_unknown_option_fails(self):
        p = run_vigil('--no-such-option')
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('no-such-option', p.stderr)

    def test_check_config_accepts_good_file(self):
        path = self.write('good', good_lines(self.state_dir))
        for args in (('--config', path, '--check-config'), ('-c', path, '--check-config'),
                     ('--check-config', '--config', path)):
            p = run_vigil(*args)
            self.assertEqual(p.returncode, 0, f'{args}: {p.stderr}')
            self.assert_no_sanitizer_report(p)

    def test_check_config_accepts_minimal_file(self):
        path = self.write('minimal', [f'dir = "{self.state_dir}"',
                                      'primary "mymaster" {', '    port = 6379', '}'])
        p = run_vigil('--config', path, '--check-config')
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_check_config_rejects_bad_files(self):
        for name, lines, line_no, key in bad_cases(good_lines(self.state_dir)):
            with self.subTest(name):
                path = self.write(name, lines)
                p = run_vigil('--config', path, '--check-config')
                self.assertEqual(p.returncode, 2, f'{name}: exit code; stderr: {p.stderr!r}')
                err = p.stderr
                self.assertTrue(str(path) in err or path.name in err,
                                f'{name}: stderr does not name the file: {err!r}')
                self.assertTrue(has_number(strip_paths(err, path), line_no),
                                f'{name}: stderr does not name line {line_no}: {err!r}')
                self.assertIn(key, err, f'{name}: stderr does not name the key: {err!r}')
                self.assert_no_sanitizer_report(p)

    def test_check_config_missing_file(self):
        path = Path(self.tmp) / 'does-not-exist.conf'
        p = run_vigil('--config', path, '--check-config')
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertTrue(str(path) in p.stderr or path.name in p.stderr, p.stderr)


if __name__ == '__main__':
    unittest.main()
