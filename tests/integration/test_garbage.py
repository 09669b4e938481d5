# SPDX-License-Identifier: BSD-3-Clause
"""Hostile input on the watcher's port: random bytes, absurd multibulk and bulk lengths, a
million tiny arguments, endless inline lines, half requests, connection storms.

Each garbage connection must end in an error reply or a closed connection, and meanwhile a
separate, long-lived client and fresh clients must still get PONG and SENTINEL MASTERS. The
ASan run catches leaks when the harness stops the daemon.
"""

import random
import socket
import time
import unittest

from harness import HOST, SUT, IntegrationCase, Primary, RedisServer, alloc_ports, make_sut
from resp import Reply, RespConn, fields

OUTCOME_TIMEOUT_S = 5.0


def outcome(conn, timeout_s=OUTCOME_TIMEOUT_S):
    """How the server answered garbage: 'error' (a complete error line), 'closed', 'reply' (data
    that is not an error) or 'silent' (nothing within timeout_s)."""
    deadline = time.monotonic() + timeout_s
    data = b''
    while True:
        if data.startswith(b'-') and b'\r\n' in data:
            return 'error', data
        if data and not data.startswith(b'-'):
            return 'reply', data
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return 'silent', data
        conn.sock.settimeout(remaining)
        try:
            chunk = conn.sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return 'closed', data
        if not chunk:
            return 'closed', data
        data += chunk


def send_garbage(port, payload, timeout_s=OUTCOME_TIMEOUT_S):
    """Send payload on a new connection and classify the answer."""
    conn = RespConn(port, timeout_s=30)
    try:
        try:
            conn.send_raw(payload)
        except (BrokenPipeError, ConnectionResetError):
            return 'closed', b''
        return outcome(conn, timeout_s)
    finally:
        conn.close()


class GarbageTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(2)
        cls.redis = cls.own(RedisServer(cls.tmp, ports[0]))
        cls.redis.start()
        cls.sut = cls.own(make_sut(cls.tmp, ports[1], [Primary('mymaster', ports[0])]).start())
        cls.control = RespConn(cls.sut.port)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'control', None):
            cls.control.close()
        super().tearDownClass()

    def assert_still_serving(self):
        self.assertTrue(self.sut.alive(), f'{self.sut.kind} died: {self.sut.output_tail()}')
        for conn in (self.control, RespConn(self.sut.port)):
            self.assertEqual(conn.call('PING'), Reply('+', 'PONG'), 'PING after garbage')
            masters = conn.call('SENTINEL', 'MASTERS')
            self.assertEqual([fields(m)['name'] for m in masters.v], ['mymaster'])
        conn.close()

    def assert_rejected(self, payload, what, timeout_s=OUTCOME_TIMEOUT_S):
        kind, data = send_garbage(self.sut.port, payload, timeout_s)
        self.assertIn(kind, ('error', 'closed'), f'{what}: got {kind} {data[:200]!r}')
        self.assert_still_serving()

    def test_random_inline_lines(self):
        for seed in range(5):
            rng = random.Random(seed)
            line = bytes(b for b in rng.randbytes(6000) if b not in b'\r\n\0')[:4000]
            if line.startswith(b'*'):
                line = b'x' + line[1:]
            self.assert_rejected(line + b'\r\n', f'random inline line, seed {seed}')

    def test_random_multibulk_header(self):
        rng = random.Random(7)
        junk = bytes(b for b in rng.randbytes(200) if b not in b'\r\n\0-0123456789')
        self.assert_rejected(b'*' + junk + b'\r\n', 'multibulk header with a non-numeric count')

    def test_random_bytes_then_eof(self):
        for seed in range(5):
            conn = RespConn(self.sut.port)
            try:
                conn.send_raw(random.Random(100 + seed).randbytes(4096))
                conn.sock.shutdown(socket.SHUT_WR)
                data, closed = conn.read_available(OUTCOME_TIMEOUT_S)
            except (BrokenPipeError, ConnectionResetError):
                data, closed = b'', True
            finally:
                conn.close()
            self.assertTrue(closed, f'seed {seed}: connection not closed after EOF')
            if data:
                self.assertTrue(data.startswith(b'-'),
                                f'seed {seed}: non-error reply {data[:80]!r}')
            self.assert_still_serving()

    def test_huge_multibulk_count(self):
        if SUT != 'vigil':
            # redis-sentinel accepts a count up to INT_MAX and waits for the arguments; vigil
            # caps the argument count and must refuse at once. Only liveness is checked here.
            send_garbage(self.sut.port, b'*2147483647\r\n', 0.5)
            self.assert_still_serving()
            return
        self.assert_rejected(b'*2147483647\r\n', '*2147483647')

    def test_huge_bulk_length(self):
        self.assert_rejected(b'$99999999999\r\n', 'bare $99999999999')
        self.assert_rejected(b'*1\r\n$99999999999\r\n', '$99999999999 inside a multibulk')
        self.assert_rejected(b'*2\r\n$4\r\nPING\r\n$-7\r\n', 'negative bulk length')

    def test_million_tiny_arguments(self):
        n = 1_000_000
        payload = b'*%d\r\n' % n + b'$1\r\na\r\n' * n
        self.assert_rejected(payload, f'{n} tiny arguments', timeout_s=15)

    def test_endless_inline_line(self):
        self.assert_rejected(b'A' * (8 << 20), '8 MiB inline line without a newline',
                             timeout_s=10)

    def test_half_request_then_close(self):
        for cut in (1, 5, 17, 30):
            conn = RespConn(self.sut.port)
            conn.send_raw(b'*3\r\n$8\r\nSENTINEL\r\n$6\r\nMASTER\r\n$8\r\nmymaster\r\n'[:cut])
            conn.close()
        self.assert_still_serving()

    def test_200_connections_opened_and_dropped(self):
        socks = []
        try:
            for i in range(200):
                try:
                    s = socket.create_connection((HOST, self.sut.port), timeout=5)
                except OSError:
                    continue   # refused because of a client cap: allowed
                if i % 2:
                    try:
                        s.sendall(b'*2\r\n$4\r\nPING\r\n$3\r\nab')
                    except OSError:
                        pass
                socks.append(s)
            if len(socks) > 100:
                # while the storm is open, a new client must still be served or cleanly refused
                try:
                    with RespConn(self.sut.port) as c:
                        r = c.call('PING')
                        self.assertIn(r.t, '+-', f'PING during the storm: {r!r}')
                except (ConnectionError, TimeoutError):
                    pass
        finally:
            for s in socks:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\0\0\0\0\0\0\0')
                s.close()   # linger 0: reset, the harshest way to drop
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self.sut.alive():
            time.sleep(0.05)
        self.assert_still_serving()


if __name__ == '__main__':
    unittest.main()
