# SPDX-License-Identifier: BSD-3-Clause
"""Integration-test harness: free ports, real redis-server fleets, vigil and redis-sentinel
processes, and a raw RESP2/RESP3 client that keeps reply types.

It owns every process it starts (kept by PID, killed only by PID, reaped at exit) and polls with
deadlines. It must never sleep to a fixed time as an assertion, never touch a process it did not
start, and never talk to anything but 127.0.0.1.

Environment: VIGIL (path of the vigil binary, default ./bin/vigil), VIGIL_SUT (`vigil`, default,
or `redis-sentinel` to put the real Sentinel in the system-under-test seat), VIGIL_KEEP_TMP=1
(keep temp dirs for post-mortems), REDIS_SERVER / REDIS_SENTINEL (binaries). Run the suite with
`/usr/bin/python3 tests/integration/run.py [name-pattern...]`.
"""

import atexit
import ctypes
import fcntl
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from dataclasses import dataclass
from pathlib import Path

from resp import Reply, RespConn, fields, to_py

REPO = Path(__file__).resolve().parents[2]
VIGIL = os.environ.get('VIGIL') or str(REPO / 'bin' / 'vigil')
if os.sep in VIGIL:
    VIGIL = str(Path(VIGIL).resolve())   # children run in their own temp dirs
SUT = os.environ.get('VIGIL_SUT', 'vigil')
REDIS_SERVER = os.environ.get('REDIS_SERVER', 'redis-server')
REDIS_SENTINEL = os.environ.get('REDIS_SENTINEL', 'redis-sentinel')
KEEP_TMP = os.environ.get('VIGIL_KEEP_TMP') == '1'
HOST = '127.0.0.1'  # the only address the suite uses

PORT_MIN = 32000
PORT_MAX = 39999
SANITIZER_MARKERS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:')
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0

if SUT not in ('vigil', 'redis-sentinel'):
    raise SystemExit(f'VIGIL_SUT must be "vigil" or "redis-sentinel", not {SUT!r}')


# ---------------------------------------------------------------------------------------------
# Deadlines

def wait_for(pred, timeout_s, what, interval_s=0.05):
    """Poll pred() until it returns a truthy value (returned) or timeout_s passes (AssertionError).

    Exceptions raised by pred count as "not yet" and the last one is quoted in the failure.
    """
    deadline = time.monotonic() + timeout_s
    last_exc = None
    while True:
        try:
            value = pred()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last_exc = exc
        if time.monotonic() >= deadline:
            msg = f'timed out after {timeout_s:.1f}s waiting for {what}'
            if last_exc is not None:
                msg += f' (last error: {last_exc!r})'
            raise AssertionError(msg)
        time.sleep(interval_s)


# ---------------------------------------------------------------------------------------------
# Ports: a random block in 32000-39999, each port checked by binding it and claimed with an
# flock'ed file so that parallel runs of this suite never hand out the same port.

_LOCK_DIR = Path(tempfile.gettempdir()) / 'vigil-it-ports'
_claimed = {}


def _claim(port):
    if port in _claimed:
        return False
    _LOCK_DIR.mkdir(mode=0o777, exist_ok=True)
    fd = os.open(_LOCK_DIR / f'{port}.lock', os.O_CREAT | os.O_RDWR, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    if not port_is_free(port):
        os.close(fd)
        return False
    _claimed[port] = fd
    return True


def _release(port):
    fd = _claimed.pop(port, None)
    if fd is not None:
        os.close(fd)


def port_is_free(port, host=HOST):
    """True if a TCP socket can bind host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def alloc_ports(count):
    """Return `count` consecutive free ports in [PORT_MIN, PORT_MAX], held until exit."""
    rng = random.SystemRandom()
    for _ in range(500):
        base = rng.randrange(PORT_MIN, PORT_MAX - count + 2)
        got = []
        for port in range(base, base + count):
            if not _claim(port):
                break
            got.append(port)
        if len(got) == count:
            return got
        for port in got:
            _release(port)
    raise RuntimeError(f'no block of {count} free ports in {PORT_MIN}-{PORT_MAX}')


# ---------------------------------------------------------------------------------------------
# Temp dirs and process registry (cleanup at exit even when a test or setUpClass failed)

_tmpdirs = []
_procs = []


def make_tmpdir(tag):
    path = Path(tempfile.mkdtemp(prefix=f'vigil-it-{tag}-'))
    _tmpdirs.append(path)
    return path


def _cleanup_all():
    for proc in list(_procs):
        proc.kill_quietly()
    if KEEP_TMP:
        return
    for path in _tmpdirs:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup_all)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)   # runs atexit, so children are reaped


if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _die_with_parent():
    """In the child before exec: SIGKILL it if the test runner dies without cleaning up."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def tail(path, max_bytes=4000):
    try:
        data = Path(path).read_bytes()
    except OSError:
        return '<no output file>'
    return data[-max_bytes:].decode('utf-8', 'replace')


class Process:
    """One child process with stdout+stderr captured to a file, known by its PID only."""

    def __init__(self, name, argv, out_path, env=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.out_path = Path(out_path)
        self.env = env
        self.cwd = cwd
        self.popen = None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def start(self):
        assert self.popen is None or self.popen.poll() is not None, f'{self.name} already running'
        with open(self.out_path, 'ab') as out:
            out.write(f'--- start {self.argv}\n'.encode())
            out.flush()
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                                          preexec_fn=_die_with_parent)
        _procs.append(self)

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def returncode(self):
        return None if self.popen is None else self.popen.poll()

    def send_signal(self, sig):
        assert self.alive(), f'{self.name} is not running (exit {self.returncode()})'
        os.kill(self.popen.pid, sig)

    def wait(self, timeout_s):
        """Wait for exit; returns the exit code (negative signal number) or None on timeout."""
        try:
            return self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def kill9(self):
        """SIGKILL by PID and reap."""
        if self.alive():
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT_S)
        self._forget()

    def stop(self, sig=signal.SIGTERM, timeout_s=STOP_TIMEOUT_S):
        """Send sig, wait; SIGKILL if it does not exit in time. Returns (exit code, timed_out)."""
        if self.popen is None:
            return None, False
        timed_out = False
        if self.alive():
            os.kill(self.popen.pid, sig)
            if self.wait(timeout_s) is None:
                timed_out = True
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=STOP_TIMEOUT_S)
        self._forget()
        return self.popen.returncode, timed_out

    def kill_quietly(self):
        try:
            if self.alive():
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._forget()

    def _forget(self):
        if self in _procs:
            _procs.remove(self)


# ---------------------------------------------------------------------------------------------
# Probing servers

def redis_info(port, section='', password=None):
    """INFO of a server as a dict of key -> value (str)."""
    with RespConn(port) as c:
        if password:
            c.call('AUTH', password)
        r = c.call('INFO', section) if section else c.call('INFO')
    if r.t not in '$=':
        raise AssertionError(f'INFO on {port} returned {r!r}')
    out = {}
    for line in r.v.splitlines():
        if ':' in line and not line.startswith('#'):
            k, v = line.split(':', 1)
            out[k] = v
    return out


def ping_reply(port):
    with RespConn(port, timeout_s=1.0) as c:
        return c.call('PING', timeout_s=1.0)


# ---------------------------------------------------------------------------------------------
# redis-server

class RedisServer:
    """A redis-server on 127.0.0.1 with no persistence, optionally a replica of another port."""

    def __init__(self, tmp, port, replicaof=None):
        self.port = port
        self.replicaof = replicaof
        self.dir = Path(tmp) / f'redis-{port}'
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [REDIS_SERVER, '--port', port, '--bind', HOST, '--save', '', '--appendonly', 'no',
                '--dir', self.dir, '--daemonize', 'no', '--logfile', '', '--protected-mode', 'no',
                '--repl-diskless-sync-delay', '0', '--repl-ping-replica-period', '1']
        if replicaof is not None:
            argv += ['--replicaof', HOST, replicaof]
        self.proc = Process(f'redis-server:{port}', argv, self.dir / 'redis.out', cwd=self.dir)

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        self.proc.start()
        (self.dir / 'redis.pid').write_text(f'{self.proc.pid}\n')
        self.wait_ready()

    def wait_ready(self, timeout_s=START_TIMEOUT_S):
        def ready():
            if not self.proc.alive():
                raise AssertionError(f'redis-server {self.port} exited: '
                                     f'{tail(self.proc.out_path)}')
            return ping_reply(self.port) == Reply('+', 'PONG')
        wait_for(ready, timeout_s, f'redis-server on {self.port} to answer PING')

    def wait_linked(self, timeout_s=START_TIMEOUT_S):
        """For a replica: wait until INFO says master_link_status:up."""
        wait_for(lambda: redis_info(self.port, 'replication').get('master_link_status') == 'up',
                 timeout_s, f'replica {self.port} to link to its primary')

    def kill9(self):
        self.proc.kill9()

    def restart(self):
        if self.proc.alive():
            self.proc.stop()
        self.start()

    def stop(self):
        self.proc.stop()


class Fleet:
    """One primary and n replicas of it, all on loopback."""

    def __init__(self, tmp, ports):
        self.primary = RedisServer(tmp, ports[0])
        self.replicas = [RedisServer(tmp, p, replicaof=ports[0]) for p in ports[1:]]

    def start(self):
        self.primary.start()
        for r in self.replicas:
            r.start()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout_s=START_TIMEOUT_S):
        for r in self.replicas:
            r.wait_linked(timeout_s)
        want = len(self.replicas)
        wait_for(lambda: int(redis_info(self.primary.port, 'replication')
                             .get('connected_slaves', -1)) == want,
                 timeout_s, f'primary {self.primary.port} to report {want} replicas')

    def stop(self):
        for node in self.replicas + [self.primary]:
            node.stop()


# ---------------------------------------------------------------------------------------------
# Watchers: vigil and redis-sentinel behind one interface

@dataclass
class Primary:
    """A monitored primary as written into a watcher's config."""
    name: str
    port: int
    host: str = HOST
    quorum: int = 2
    down_after_ms: int = 30000
    failover_timeout_ms: int = 180000
    parallel_syncs: int = 1
    auth_user: str = ''
    auth_pass: str = ''


def conf_str(value):
    """A libconfuse double-quoted string."""
    return '"' + str(value).replace('\\', '\\\\').replace('"', '\\"') + '"'


class Watcher:
    """Common part of Vigil and RedisSentinel: config on first start, readiness, clean stop."""

    kind = None

    def __init__(self, tmp, port, primaries, requirepass='', logfile=False, log_level='notice'):
        self.port = port
        self.primaries = list(primaries)
        self.requirepass = requirepass
        self.log_level = log_level
        self.dir = Path(tmp) / f'{self.kind}-{port}'
        self.state_dir = self.dir / 'state'
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.out_path = self.dir / 'output.log'
        self.logfile = self.dir / f'{self.kind}.log' if logfile else None
        self.proc = None
        self.started_at = None

    @property
    def is_vigil(self):
        return self.kind == 'vigil'

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def render_config(self):
        raise NotImplementedError

    def argv(self):
        raise NotImplementedError

    def env(self):
        return None

    def start(self, timeout_s=START_TIMEOUT_S):
        """Write the config (first start only), spawn, and wait until PING is answered."""
        if not self.config_path.exists():
            self.config_path.write_text(self.render_config())
        self.proc = Process(f'{self.kind}:{self.port}', self.argv(), self.out_path,
                            env=self.env(), cwd=self.dir)
        self.proc.start()
        (self.dir / f'{self.kind}.pid').write_text(f'{self.proc.pid}\n')
        self.started_at = time.monotonic()
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s=START_TIMEOUT_S):
        def ready():
            if not self.proc.alive():
                raise AssertionError(f'{self.kind} on {self.port} exited with '
                                     f'{self.proc.returncode()}: {self.output_tail()}')
            r = ping_reply(self.port)
            return r == Reply('+', 'PONG') or (r.is_error and r.v.startswith('NOAUTH'))
        wait_for(ready, timeout_s, f'{self.kind} on {self.port} to answer PING')

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def kill9(self):
        self.proc.kill9()

    def stop(self):
        """SIGTERM; fail unless it exits 0 in time and its output has no sanitizer report."""
        if self.proc is None:
            return
        was_alive = self.proc.alive()
        code, timed_out = self.proc.stop(signal.SIGTERM)
        self.proc = None
        problems = []
        if not was_alive:
            problems.append(f'had already exited with {code} before SIGTERM')
        elif timed_out:
            problems.append(f'did not exit within {STOP_TIMEOUT_S}s of SIGTERM')
        elif code != 0:
            problems.append(f'exited with {code} after SIGTERM, expected 0')
        problems += self.sanitizer_reports()
        if problems:
            raise AssertionError(f'{self.kind} on {self.port}: ' + '; '.join(problems) +
                                 f'\n--- output tail ({self.out_path}):\n{self.output_tail()}')

    def restart(self, timeout_s=START_TIMEOUT_S):
        self.stop()
        return self.start(timeout_s)

    def sanitizer_reports(self):
        found = []
        for path in (self.out_path, self.logfile):
            if path is None or not Path(path).exists():
                continue
            text = Path(path).read_text('utf-8', 'replace')
            for marker in SANITIZER_MARKERS:
                if marker in text:
                    found.append(f'{marker!r} in {path}')
        return found

    def output(self):
        return Path(self.out_path).read_text('utf-8', 'replace') if self.out_path.exists() else ''

    def log_text(self):
        """Everything the watcher logged so far: captured stdout/stderr plus its logfile."""
        text = self.output()
        if self.logfile is not None and self.logfile.exists():
            text += self.logfile.read_text('utf-8', 'replace')
        return text

    def output_tail(self):
        return tail(self.out_path)

    def resp(self, timeout_s=5.0, auth=True):
        conn = RespConn(self.port, timeout_s=timeout_s)
        if auth and self.requirepass:
            r = conn.call('AUTH', self.requirepass)
            assert r == Reply('+', 'OK'), f'AUTH failed: {r!r}'
        return conn

    def client(self, **kw):
        import redis
        return redis.Redis(host=HOST, port=self.port, password=self.requirepass or None,
                           decode_responses=True, socket_timeout=5, **kw)

    def call(self, *args):
        """One command on a fresh connection, as a typed Reply."""
        with self.resp() as c:
            return c.call(*args)

    def replicas_seen(self, name='mymaster'):
        r = self.call('SENTINEL', 'REPLICAS', name)
        assert r.t == '*', f'SENTINEL REPLICAS {name}: {r!r}'
        return [fields(x) for x in r.v]


class Vigil(Watcher):
    kind = 'vigil'

    @property
    def config_path(self):
        return self.dir / 'vigil.conf'

    @property
    def state_path(self):
        return self.state_dir / 'vigil.state'

    def render_config(self):
        lines = [
            f'bind = {conf_str(HOST)}',
            f'port = {self.port}',
            f'dir = {conf_str(self.state_dir)}',
            f'requirepass = {conf_str(self.requirepass)}',
            f'log-level = {conf_str(self.log_level)}',
            f'logfile = {conf_str(self.logfile or "")}',
        ]
        for p in self.primaries:
            lines += [
                f'primary {conf_str(p.name)} {{',
                f'    host = {conf_str(p.host)}',
                f'    port = {p.port}',
                f'    quorum = {p.quorum}',
                f'    down-after-ms = {p.down_after_ms}',
                f'    failover-timeout-ms = {p.failover_timeout_ms}',
                f'    parallel-syncs = {p.parallel_syncs}',
                f'    auth-user = {conf_str(p.auth_user)}',
                f'    auth-pass = {conf_str(p.auth_pass)}',
                '}',
            ]
        return '\n'.join(lines) + '\n'

    def argv(self):
        return [VIGIL, '--config', self.config_path]

    def env(self):
        env = dict(os.environ)
        env['ASAN_OPTIONS'] = 'detect_leaks=1'
        env['UBSAN_OPTIONS'] = 'print_stacktrace=1'
        return env


class RedisSentinel(Watcher):
    kind = 'redis-sentinel'
    state_path = None

    @property
    def config_path(self):
        return self.dir / 'sentinel.conf'

    def render_config(self):
        lines = [
            f'port {self.port}',
            f'bind {HOST}',
            f'dir {self.state_dir}',
            'daemonize no',
            f'logfile "{self.logfile or ""}"',
            f'loglevel {self.log_level}',
        ]
        if self.requirepass:
            lines.append(f'requirepass "{self.requirepass}"')
        for p in self.primaries:
            lines += [
                f'sentinel monitor {p.name} {p.host} {p.port} {p.quorum}',
                f'sentinel down-after-milliseconds {p.name} {p.down_after_ms}',
                f'sentinel failover-timeout {p.name} {p.failover_timeout_ms}',
                f'sentinel parallel-syncs {p.name} {p.parallel_syncs}',
            ]
            if p.auth_user:
                lines.append(f'sentinel auth-user {p.name} {p.auth_user}')
            if p.auth_pass:
                lines.append(f'sentinel auth-pass {p.name} {p.auth_pass}')
        return '\n'.join(lines) + '\n'

    def argv(self):
        return [REDIS_SENTINEL, self.config_path]


def make_watcher(kind, tmp, port, primaries, **kw):
    if kind == 'vigil':
        if not os.access(VIGIL, os.X_OK):
            raise AssertionError(f'vigil binary not found or not executable: {VIGIL} (build '
                                 'it with `make`, or set VIGIL=..., or VIGIL_SUT=redis-sentinel)')
        return Vigil(tmp, port, primaries, **kw)
    return RedisSentinel(tmp, port, primaries, **kw)


def make_sut(tmp, port, primaries, **kw):
    """The system under test: vigil, or redis-sentinel when VIGIL_SUT=redis-sentinel."""
    return make_watcher(SUT, tmp, port, primaries, **kw)


def make_reference(tmp, port, primaries, **kw):
    """The reference implementation: always the real redis-sentinel."""
    return make_watcher('redis-sentinel', tmp, port, primaries, **kw)


def require_vigil(test, why):
    """Skip a vigil-only check when redis-sentinel sits in the system-under-test seat."""
    if SUT != 'vigil':
        test.skipTest(f'vigil only ({why}); VIGIL_SUT={SUT}')


# ---------------------------------------------------------------------------------------------
# Pub/sub

class Subscriber:
    """A RESP2 connection subscribed to Sentinel event channels."""

    def __init__(self, watcher, *channels):
        self.conn = watcher.resp()
        self.conn.send('SUBSCRIBE', *channels)
        for ch in channels:
            r = self.conn.read()
            got = to_py(r)
            assert isinstance(got, list) and got[:2] == ['subscribe', ch], \
                f'SUBSCRIBE {ch} confirmation: {r!r}'

    def wait_message(self, channel, payload, timeout_s):
        """Wait for `message channel payload`; returns its arrival time (monotonic).

        Other messages are collected in the AssertionError raised on timeout.
        """
        deadline = time.monotonic() + timeout_s
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f'no "{channel} {payload}" within {timeout_s:.1f}s; '
                                     f'saw {seen}')
            try:
                r = self.conn.read(remaining)
            except TimeoutError:
                continue
            at = time.monotonic()
            msg = to_py(r)
            if isinstance(msg, list) and len(msg) == 3 and msg[0] == 'message':
                if msg[1] == channel and msg[2] == payload:
                    return at
                seen.append(f'{msg[1]} {msg[2]}')
            else:
                seen.append(repr(r))

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# Base class: per-class temp dir, and a hook list so tearDownClass stops what setUpClass started
# even when setUpClass failed half-way.

class IntegrationCase(unittest.TestCase):
    """Subclasses call cls.own(obj) for everything with a .stop() they start in setUpClass."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir(cls.__name__)
        cls._owned = []
        try:
            cls.set_up_fixture()
        except BaseException:
            cls._stop_owned()
            raise

    @classmethod
    def set_up_fixture(cls):
        pass

    @classmethod
    def own(cls, obj):
        cls._owned.append(obj)
        return obj

    @classmethod
    def tearDownClass(cls):
        cls._stop_owned()

    @classmethod
    def _stop_owned(cls):
        errors = []
        for obj in reversed(cls._owned):
            try:
                obj.stop()
            except AssertionError as exc:
                errors.append(str(exc))
        cls._owned = []
        if errors:
            raise AssertionError('\n'.join(errors))


def strip_paths(text, *paths):
    """Remove file paths from text (so that digits in temp dir names are not mistaken)."""
    for p in paths:
        text = text.replace(str(p), '<FILE>')
    return text


def has_number(text, n):
    return re.search(rf'(?<!\d){n}(?!\d)', text) is not None
