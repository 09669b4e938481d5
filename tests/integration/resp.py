# SPDX-License-Identifier: BSD-3-Clause
"""A blocking RESP2/RESP3 client for tests that keeps reply types, plus helpers to compare
reply shapes and read Sentinel instance descriptions.

Reply.t is the RESP type byte as a str ('+', '-', ':', '$', '*', '%', '~', '>', '_', '#', ',',
'(', '='); Reply.v is the value: str for strings and errors, int, a list of Reply for aggregates,
a list of (Reply, Reply) pairs for maps (order kept), None for nulls. It only talks to the
address it is given and never retries.
"""

import socket
import time

HOST = '127.0.0.1'

class ConnectionClosed(ConnectionError):
    pass


class Reply:
    __slots__ = ('t', 'v')

    def __init__(self, t, v):
        self.t = t
        self.v = v

    def __repr__(self):
        return f'Reply({self.t!r}, {self.v!r})'

    def __eq__(self, other):
        return isinstance(other, Reply) and self.t == other.t and self.v == other.v

    @property
    def is_error(self):
        return self.t == '-'

    @property
    def is_null(self):
        return self.v is None


MAX_AGGREGATE = 10_000_000


def encode_command(*args):
    out = [b'*%d\r\n' % len(args)]
    for arg in args:
        if isinstance(arg, int):
            arg = str(arg)
        if isinstance(arg, str):
            arg = arg.encode()
        out.append(b'$%d\r\n%s\r\n' % (len(arg), arg))
    return b''.join(out)


class RespConn:
    """A blocking RESP connection that returns typed Reply objects."""

    def __init__(self, port, host=HOST, timeout_s=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.timeout_s = timeout_s
        self.buf = bytearray()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, *args):
        self.sock.sendall(encode_command(*args))

    def call(self, *args, timeout_s=None):
        self.send(*args)
        return self.read(timeout_s)

    def read(self, timeout_s=None):
        """Read one reply; ConnectionClosed on EOF, TimeoutError if none within timeout_s."""
        deadline = time.monotonic() + (timeout_s if timeout_s is not None else self.timeout_s)
        return self._parse(deadline)

    def read_available(self, timeout_s):
        """Bytes the peer sends until it closes or timeout_s passes: (data, closed_by_peer)."""
        deadline = time.monotonic() + timeout_s
        data = bytes(self.buf)
        self.buf.clear()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return data, False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return data, False
            except (ConnectionResetError, BrokenPipeError):
                return data, True
            if not chunk:
                return data, True
            data += chunk

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError('no complete RESP reply before the deadline')
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as exc:
            raise TimeoutError('no complete RESP reply before the deadline') from exc
        if not chunk:
            raise ConnectionClosed('peer closed the connection')
        self.buf += chunk

    def _line(self, deadline):
        while True:
            idx = self.buf.find(b'\r\n')
            if idx >= 0:
                line = bytes(self.buf[:idx])
                del self.buf[:idx + 2]
                return line
            self._fill(deadline)

    def _exact(self, n, deadline):
        while len(self.buf) < n + 2:
            self._fill(deadline)
        data = bytes(self.buf[:n])
        if self.buf[n:n + 2] != b'\r\n':
            raise ValueError(f'bulk payload not followed by CRLF: {bytes(self.buf[n:n + 2])!r}')
        del self.buf[:n + 2]
        return data

    def _parse(self, deadline):
        line = self._line(deadline)
        if not line:
            raise ValueError('empty RESP line')
        t, rest = chr(line[0]), line[1:].decode('utf-8', 'surrogateescape')
        if t in '+-,(':
            return Reply(t, rest)
        if t == ':':
            return Reply(t, int(rest))
        if t == '_':
            return Reply(t, None)
        if t == '#':
            return Reply(t, rest == 't')
        if t in '$=!':
            n = int(rest)
            if n < 0:
                return Reply(t, None)
            data = self._exact(n, deadline).decode('utf-8', 'surrogateescape')
            return Reply('-' if t == '!' else t, data)
        if t in '*~>':
            n = int(rest)
            if n < 0:
                return Reply(t, None)
            if n > MAX_AGGREGATE:
                raise ValueError(f'aggregate of {n} elements')
            return Reply(t, [self._parse(deadline) for _ in range(n)])
        if t in '%|':
            n = int(rest)
            if n > MAX_AGGREGATE:
                raise ValueError(f'map of {n} pairs')
            pairs = [(self._parse(deadline), self._parse(deadline)) for _ in range(n)]
            if t == '|':  # attribute: skip it, the real reply follows
                return self._parse(deadline)
            return Reply(t, pairs)
        raise ValueError(f'unknown RESP type byte {line[:20]!r}')


def to_py(r):
    """Reply -> plain Python: str, int, bool, None, list, dict; errors become RespError."""
    if r.t == '-':
        return RespError(r.v)
    if r.v is None:
        return None
    if r.t in '*~>':
        return [to_py(x) for x in r.v]
    if r.t == '%':
        return {to_py(k): to_py(v) for k, v in r.v}
    return r.v


class RespError(str):
    """An error reply's text, distinguishable from a string reply."""


def shape(r):
    """Types only: scalars become their type byte; maps keep key names and order."""
    if r.v is None:
        return r.t + 'null'
    if r.t in '*~>':
        return (r.t, [shape(x) for x in r.v])
    if r.t == '%':
        return ('%', [(to_py(k), shape(v)) for k, v in r.v])
    return r.t


def field_pairs(r):
    """An instance description (RESP2 flat array or RESP3 map) -> [(name, Reply value)]."""
    if r.t == '%':
        return [(to_py(k), v) for k, v in r.v]
    assert r.t == '*' and r.v is not None, f'expected a field list, got {r!r}'
    assert len(r.v) % 2 == 0, f'odd-length field list {r!r}'
    return [(to_py(r.v[i]), r.v[i + 1]) for i in range(0, len(r.v), 2)]


def fields(r):
    """Like field_pairs, as a dict of plain values."""
    return {k: to_py(v) for k, v in field_pairs(r)}
