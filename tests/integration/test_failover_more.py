# SPDX-License-Identifier: BSD-3-Clause
"""More failovers by three watchers of the system under test over a real fleet (1 primary + 2
replicas, quorum 2, down-after 1000 ms): a hung primary (SIGSTOP, later SIGCONT) that must come
back as a replica, a replica of priority 0 that must never be promoted, and Debian's python3-redis
Sentinel client writing through a `kill -9` failover without a restart.

Each test builds its own fleet and watchers, signals only the PIDs it started, and every wait
polls a deadline; it never sleeps to a fixed time as an assertion.
"""

import signal
import threading
import time
import unittest

from harness import (HOST, SUT, Fleet, IntegrationCase, Primary, alloc_ports, make_sut,
                     redis_info, wait_for)
from resp import RespConn, to_py

MASTER = 'mymaster'
WATCHERS = 3


class EventWatch:
    """RESP2 subscriptions to some channels on several watchers at once."""

    def __init__(self, watchers, *channels):
        self.channels = channels
        self.channel = '|'.join(channels)
        self.conns = []
        for w in watchers:
            c = w.resp()
            c.send('SUBSCRIBE', *channels)
            for ch in channels:
                got = to_py(c.read())
                assert isinstance(got, list) and got[:2] == ['subscribe', ch], got
            self.conns.append(c)
        self.seen = []

    def wait_any(self, payload, timeout_s):
        """Wait until any watcher publishes `payload` on the channel; returns the watcher index."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for i, c in enumerate(self.conns):
                try:
                    r = c.read(0.05)
                except TimeoutError:
                    continue
                msg = to_py(r)
                if isinstance(msg, list) and len(msg) == 3 and msg[0] == 'message':
                    if msg[1] in self.channels and msg[2] == payload:
                        return i
                    self.seen.append(f'[{i}] {msg[1]} {msg[2]}')
        raise AssertionError(f'no "{self.channel} {payload}" from any watcher within '
                             f'{timeout_s:.1f}s; saw {self.seen}')

    def close(self):
        for c in self.conns:
            c.close()


class FailoverCase(IntegrationCase):
    """Fleet building and polling helpers shared by the failover test files (no tests here)."""

    def build(self, down_after_ms=1000, before_watchers=None):
        """A healthy fleet and 3 watchers that see each other and both replicas.

        before_watchers(fleet), if given, runs once the fleet is up and before any watcher starts.
        """
        ports = alloc_ports(3 + WATCHERS)
        fleet = self.own(Fleet(self.tmp, ports[:3]).start())
        if before_watchers is not None:
            before_watchers(fleet)
        primary = Primary(MASTER, fleet.primary.port, quorum=2, down_after_ms=down_after_ms,
                          failover_timeout_ms=10000)
        watchers = []
        for p in ports[3:]:
            w = make_sut(self.tmp, p, [primary])
            self.addCleanup(w.stop)
            watchers.append(w.start())
        for w in watchers:
            wait_for(lambda w=w: len(to_py(w.call('SENTINEL', 'SENTINELS', MASTER))) == 2 and
                     len(w.replicas_seen(MASTER)) == 2, 20,
                     f'{w.kind} on {w.port} to see 2 peers and 2 replicas')
        return fleet, watchers

    def addr_everywhere(self, watchers, port, timeout_s):
        """Every watcher reports port in GET-MASTER-ADDR-BY-NAME and, vigil at the same time
        (issue 4), in SENTINEL MASTER; Sentinel's leader shows the new address there only once
        its failover ends, so with VIGIL_SUT=redis-sentinel that one is polled too."""
        want = [HOST, str(port)]

        def master_addr(w):
            m = to_py(w.call('SENTINEL', 'MASTER', MASTER))
            m = dict(zip(m[0::2], m[1::2]))
            return [m['ip'], m['port']]
        wait_for(lambda: all(to_py(w.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER)) == want
                             and (SUT == 'vigil' or master_addr(w) == want)
                             for w in watchers), timeout_s,
                 f'every watcher to report {want}')
        for w in watchers:
            self.assertEqual(master_addr(w), want,
                             f'SENTINEL MASTER on {w.port} must show the new primary too')

    def wait_one_new_primary(self, fleet, timeout_s, never=None):
        """Wait until exactly one replica reports role:master; returns its port.

        never: a port that must not report role:master at any poll meanwhile.
        """
        new = None

        def one_new_primary():
            nonlocal new
            roles = {r.port: redis_info(r.port, 'replication').get('role')
                     for r in fleet.replicas}
            if never is not None:
                self.assertNotEqual(roles[never], 'master',
                                    f'replica {never} (priority 0) was promoted')
            masters = [p for p, role in roles.items() if role == 'master']
            new = masters[0] if len(masters) == 1 else None
            return new is not None
        wait_for_strict(one_new_primary, timeout_s, 'exactly one replica to become primary')
        return new

    def wait_follows(self, port, new, timeout_s, what):
        def follows():
            info = redis_info(port, 'replication')
            return (info.get('role') == 'slave' and info.get('master_port') == str(new) and
                    info.get('master_link_status') == 'up')
        wait_for(follows, timeout_s, what)

    def primaries(self, fleet):
        return [n.port for n in [fleet.primary] + fleet.replicas
                if n.proc.alive() and redis_info(n.port, 'replication').get('role') == 'master']

    # -----------------------------------------------------------------------------------------



class FailoverMoreTest(FailoverCase):

    def test_sigstop_primary_fails_over_and_sigcont_demotes_it(self):
        fleet, watchers = self.build()
        old = fleet.primary.port
        pid = fleet.primary.pid
        self.addCleanup(self._resume, fleet.primary.proc, pid)
        # The old primary comes back as a replica entry that claims to be a primary: an idle
        # watcher converts it (+convert-to-slave); a leader still repointing replicas (slow
        # runs, e.g. under ASan) repoints it as part of the failover (+slave-reconf-sent).
        events = EventWatch(watchers, '+convert-to-slave', '+slave-reconf-sent')
        self.addCleanup(events.close)

        fleet.primary.proc.send_signal(signal.SIGSTOP)   # a hang: the socket still accepts
        new = self.wait_one_new_primary(fleet, 15)
        self.addr_everywhere(watchers, new, 10)
        other = [r for r in fleet.replicas if r.port != new][0]
        self.wait_follows(other.port, new, 15, f'the other replica {other.port} to follow {new}')

        fleet.primary.proc.send_signal(signal.SIGCONT)
        payload = f'slave {HOST}:{old} {HOST} {old} @ {MASTER} {HOST} {new}'
        events.wait_any(payload, 20)
        self.wait_follows(old, new, 20, f'the old primary {old} to become a replica of {new}')
        wait_for(lambda: self.primaries(fleet) == [new], 10,
                 f'exactly one primary ({new}) after the dust settles')
        for w in watchers:
            self.assertEqual(to_py(w.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER)),
                             [HOST, str(new)], f'watcher {w.port} after SIGCONT')

    @staticmethod
    def _resume(proc, pid):
        """Cleanup: never leave our SIGSTOPped primary stopped (its SIGTERM would hang)."""
        if proc.alive() and proc.pid == pid:
            proc.send_signal(signal.SIGCONT)

    def test_priority0_replica_is_never_promoted(self):
        chosen = {}

        def set_priority0(fleet):
            # Put priority 0 on the replica the tie-break (equal priority and offset: lowest run
            # id) would otherwise pick, so that a selection ignoring priority 0 gets caught.
            runids = {r.port: redis_info(r.port, 'server')['run_id'] for r in fleet.replicas}
            port = min(runids, key=lambda p: runids[p])
            with RespConn(port) as c:
                r = c.call('CONFIG', 'SET', 'replica-priority', '0')
            self.assertEqual(to_py(r), 'OK')
            self.assertEqual(redis_info(port, 'replication').get('slave_priority'), '0')
            chosen['port'] = port

        fleet, watchers = self.build(before_watchers=set_priority0)
        zero = chosen['port']
        for w in watchers:
            wait_for(lambda w=w: [x.get('slave-priority') for x in w.replicas_seen(MASTER)
                                  if x.get('port') == str(zero)] == ['0'], 20,
                     f'{w.kind} on {w.port} to show slave-priority 0 for {zero}')
        expected = [r.port for r in fleet.replicas if r.port != zero][0]

        fleet.primary.kill9()
        new = self.wait_one_new_primary(fleet, 15, never=zero)
        self.assertEqual(new, expected, 'the replica of priority > 0 must be promoted')
        self.addr_everywhere(watchers, new, 10)
        self.wait_follows(zero, new, 15, f'the priority-0 replica {zero} to follow {new}')
        self.assertEqual(redis_info(zero, 'replication').get('role'), 'slave')

    def test_python_redis_sentinel_client_writes_through_failover(self):
        import redis
        from redis.sentinel import Sentinel

        fleet, watchers = self.build()
        old = fleet.primary.port
        sentinel = Sentinel([(HOST, w.port) for w in watchers], socket_timeout=0.5)
        writer = SentinelWriter(sentinel.master_for(MASTER, socket_timeout=0.5), redis)
        thread = threading.Thread(target=writer.run, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(writer.stop.set)

        wait_for(lambda: len(writer.acked) >= 50, 10, 'the client to write through the watchers')
        fleet.primary.kill9()
        killed_at = time.monotonic()
        new = self.wait_one_new_primary(fleet, 15)
        switched_at = time.monotonic()
        # Keep writing a couple of seconds after the switch, then stop.
        wait_for(lambda: time.monotonic() - switched_at >= 2.0 and
                 sum(1 for _, t in writer.acked if t > switched_at) >= 20, 15,
                 'writes acknowledged after the switch')
        writer.stop.set()
        thread.join(10)
        self.assertFalse(thread.is_alive(), 'the writer thread did not stop')
        self.assertIsNone(writer.fatal, f'the writer died: {writer.fatal!r}')
        self.assertNotEqual(new, old)

        acked = list(writer.acked)
        conn = redis.Redis(host=HOST, port=new, decode_responses=True, socket_timeout=5)
        present = set()
        keys = [k for k, _ in acked]
        for i in range(0, len(keys), 500):
            batch = keys[i:i + 500]
            present.update(k for k, v in zip(batch, conn.mget(batch)) if v is not None)
        conn.close()
        before = [k for k, t in acked if t <= killed_at]
        after_kill = [k for k, t in acked if killed_at < t <= switched_at]
        after = [k for k, t in acked if t > switched_at]
        lost_before = [k for k in before if k not in present]
        print(f'\n  python3-redis through failover {old} -> {new}: {len(acked)} writes acked '
              f'({len(before)} before the kill, {len(after_kill)} between kill and switch, '
              f'{len(after)} after the switch); missing on the new primary: '
              f'{len(lost_before)} of those before the kill, '
              f'{sum(1 for k in after_kill if k not in present)} between kill and switch, '
              f'{sum(1 for k in after if k not in present)} after; '
              f'{writer.errors} retried errors', flush=True)
        self.assertGreater(len(after), 0, 'no write acknowledged after the failover')
        self.assertEqual([k for k in after if k not in present], [],
                         'writes acknowledged after the switch are missing on the new primary')


def wait_for_strict(pred, timeout_s, what):
    """Like wait_for, but an AssertionError raised by pred fails at once instead of retrying."""
    def guarded():
        try:
            return pred()
        except AssertionError as exc:
            raise _Fatal(exc) from exc
    try:
        return wait_for(guarded, timeout_s, what)
    except _Fatal as exc:
        raise exc.args[0]


class _Fatal(BaseException):
    """Escapes wait_for's catch-all (it catches Exception only)."""


class SentinelWriter:
    """Writes unique keys through a Sentinel-managed client, retrying on failover errors."""

    def __init__(self, client, redis_mod):
        self.client = client
        self.retry = (redis_mod.exceptions.ConnectionError, redis_mod.exceptions.TimeoutError,
                      redis_mod.exceptions.ReadOnlyError)
        self.stop = threading.Event()
        self.acked = []      # (key, monotonic time of the acknowledgement)
        self.errors = 0
        self.fatal = None

    def run(self):
        n = 0
        try:
            while not self.stop.is_set():
                key = f'k:{n}'
                try:
                    ok = self.client.set(key, str(n))
                except self.retry:
                    # The pool drops its connections and re-resolves the primary through the
                    # watchers on the next command.
                    self.errors += 1
                    self.client.connection_pool.disconnect()
                    self.stop.wait(0.02)
                    continue
                if ok is not True:
                    raise AssertionError(f'SET {key} returned {ok!r}')
                self.acked.append((key, time.monotonic()))
                n += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.fatal = exc


if __name__ == '__main__':
    unittest.main()
