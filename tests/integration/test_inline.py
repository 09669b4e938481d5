# SPDX-License-Identifier: BSD-3-Clause
"""Inline commands (`PING\\r\\n` from HAProxy's redis-check, nc, telnet) on the watcher's port,
checked byte for byte: Redis splits the line on spaces and honours quotes.

Only the request format is under test here; reply contents are covered by test_compat.py.
"""

import unittest

from harness import HOST, IntegrationCase, Primary, RedisServer, alloc_ports, make_sut
from resp import RespConn


def bulk(s):
    return b'$%d\r\n%s\r\n' % (len(s), s.encode())


class InlineTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(2)
        cls.redis = cls.own(RedisServer(cls.tmp, ports[0]))
        cls.redis.start()
        cls.sut = cls.own(make_sut(cls.tmp, ports[1], [Primary('mymaster', ports[0])]).start())
        cls.addr_reply = b'*2\r\n' + bulk(HOST) + bulk(str(ports[0]))

    def exchange(self, request, want):
        """Send raw bytes, expect exactly `want` back (and nothing more for a moment)."""
        with RespConn(self.sut.port) as c:
            c.send_raw(request)
            got = b''
            while len(got) < len(want):
                data, closed = c.read_available(0.2)
                got += data
                if closed or not data:
                    break
            self.assertEqual(got, want, f'reply to {request!r}')

    def test_ping(self):
        self.exchange(b'PING\r\n', b'+PONG\r\n')

    def test_ping_lowercase_lf_only(self):
        self.exchange(b'ping\n', b'+PONG\r\n')

    def test_get_master_addr_by_name(self):
        self.exchange(b'SENTINEL get-master-addr-by-name mymaster\r\n', self.addr_reply)

    def test_extra_spaces_and_quotes(self):
        self.exchange(b'  SENTINEL   "get-master-addr-by-name"  \'mymaster\'  \r\n',
                      self.addr_reply)

    def test_unknown_master_is_null(self):
        self.exchange(b'SENTINEL get-master-addr-by-name nosuch\r\n', b'*-1\r\n')

    def test_pipelined_inline_and_multibulk(self):
        self.exchange(b'PING\r\n*1\r\n$4\r\nPING\r\nPING hello\r\n',
                      b'+PONG\r\n+PONG\r\n' + bulk('hello'))

    def test_empty_lines_are_ignored(self):
        self.exchange(b'\r\n\r\nPING\r\n', b'+PONG\r\n')


if __name__ == '__main__':
    unittest.main()
