# SPDX-License-Identifier: BSD-3-Clause
"""Monitoring a real fleet (1 primary + 2 replicas, down-after 1000 ms): discovery of replicas
through INFO, and +sdown/-sdown events on Sentinel's channels after kill -9 and restart.

Each test leaves the fleet healthy again, so the tests do not depend on their order. Timing
bounds are the issue's: discovery within two INFO periods, +sdown within down-after + 1.5 s.
"""

import time
import unittest

from harness import (HOST, Fleet, IntegrationCase, Primary, Subscriber, alloc_ports, make_sut,
                     wait_for)
from resp import fields

DOWN_AFTER_MS = 1000
DISCOVERY_S = 20.0          # two INFO periods
SDOWN_SLACK_S = 1.5


class MonitoringTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(4)
        cls.fleet = cls.own(Fleet(cls.tmp, ports[:3]).start())
        cls.primary = cls.fleet.primary
        primary = Primary('mymaster', cls.primary.port, quorum=2, down_after_ms=DOWN_AFTER_MS)
        cls.sut = cls.own(make_sut(cls.tmp, ports[3], [primary]).start())

    def wait_replicas_known(self):
        """Both replicas listed, pointing at the primary, within 20 s of the watcher's start."""
        want = {(HOST, r.port) for r in self.fleet.replicas}

        def known():
            seen = {(f['ip'], int(f['port'])): f for f in self.sut.replicas_seen()}
            return set(seen) == want and all(
                f['master-host'] == HOST and int(f['master-port']) == self.primary.port
                for f in seen.values())
        remaining = max(DISCOVERY_S - (time.monotonic() - self.sut.started_at), 0.5)
        wait_for(known, remaining, f'SENTINEL REPLICAS to list {sorted(want)}')

    def replica_details(self, replica):
        return (f'slave {HOST}:{replica.port} {HOST} {replica.port} '
                f'@ mymaster {HOST} {self.primary.port}')

    def test_lists_primary_and_both_replicas(self):
        self.wait_replicas_known()
        masters = [fields(m) for m in self.sut.call('SENTINEL', 'MASTERS').v]
        self.assertEqual([m['name'] for m in masters], ['mymaster'])
        m = masters[0]
        self.assertEqual((m['ip'], m['port']), (HOST, str(self.primary.port)))
        self.assertEqual(m['flags'], 'master')
        wait_for(lambda: fields(self.sut.call('SENTINEL', 'MASTER', 'mymaster'))['num-slaves']
                 == '2', 5, 'num-slaves 2')

    def test_replica_kill9_gives_sdown_then_restart_gives_minus_sdown(self):
        self.wait_replicas_known()
        replica = self.fleet.replicas[1]
        sub = Subscriber(self.sut, '+sdown', '-sdown')
        try:
            killed_at = time.monotonic()
            replica.kill9()
            bound_s = DOWN_AFTER_MS / 1000 + SDOWN_SLACK_S
            at = sub.wait_message('+sdown', self.replica_details(replica), bound_s + 10)
            self.assertLessEqual(at - killed_at, bound_s,
                                 f'+sdown came {at - killed_at:.2f}s after the kill')
            replica.start()
            sub.wait_message('-sdown', self.replica_details(replica), 15)
        finally:
            sub.close()
            if not replica.proc.alive():
                replica.start()
            self.fleet.wait_healthy()

    def test_primary_kill9_gives_sdown_master(self):
        self.wait_replicas_known()
        details = f'master mymaster {HOST} {self.primary.port}'
        sub = Subscriber(self.sut, '+sdown', '-sdown')
        try:
            killed_at = time.monotonic()
            self.primary.kill9()
            bound_s = DOWN_AFTER_MS / 1000 + SDOWN_SLACK_S
            at = sub.wait_message('+sdown', details, bound_s + 10)
            self.assertLessEqual(at - killed_at, bound_s,
                                 f'+sdown came {at - killed_at:.2f}s after the kill')
            flags = fields(self.sut.call('SENTINEL', 'MASTER', 'mymaster'))['flags']
            self.assertIn('s_down', flags.split(','))
            self.primary.start()
            sub.wait_message('-sdown', details, 15)
        finally:
            sub.close()
            if not self.primary.proc.alive():
                self.primary.start()
            self.fleet.wait_healthy(30)


if __name__ == '__main__':
    unittest.main()
