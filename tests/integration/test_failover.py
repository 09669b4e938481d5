# SPDX-License-Identifier: BSD-3-Clause
"""Failover by three watchers of the system under test over a real fleet (1 primary + 2
replicas, quorum 2, down-after 1000 ms): `kill -9` of the primary gives exactly one new primary,
the other replica follows it, every watcher reports it, `+switch-master` reaches a subscriber, and
the old primary, restarted, becomes a replica of the new one. Also a manual SENTINEL FAILOVER.
Each test builds its own fleet and watchers; every wait polls a deadline.
"""

import unittest

from harness import HOST, Subscriber, redis_info, wait_for
from resp import to_py
from test_failover_more import FailoverCase

MASTER = 'mymaster'


class FailoverTest(FailoverCase):

    def roles(self, fleet):
        return {n.port: redis_info(n.port, 'replication') for n in [fleet.primary] + fleet.replicas
                if n.pid is not None}

    def test_kill9_primary_promotes_one_replica_and_repoints_the_other(self):
        fleet, watchers = self.build()
        sub = Subscriber(watchers[0], '+switch-master')
        old = fleet.primary.port
        try:
            fleet.primary.kill9()
            new = None

            def one_new_primary():
                nonlocal new
                masters = [r.port for r in fleet.replicas
                           if redis_info(r.port, 'replication').get('role') == 'master']
                new = masters[0] if len(masters) == 1 else None
                return new is not None
            wait_for(one_new_primary, 15, 'exactly one replica to become primary')
            payload = f'{MASTER} {HOST} {old} {HOST} {new}'
            sub.wait_message('+switch-master', payload, 10)
        finally:
            sub.close()
        self.addr_everywhere(watchers, new, 10)
        other = [r for r in fleet.replicas if r.port != new][0]
        wait_for(lambda: redis_info(other.port, 'replication').get('master_port') == str(new)
                 and redis_info(other.port, 'replication').get('master_link_status') == 'up',
                 15, f'the other replica {other.port} to follow {new}')
        # The old primary comes back: it must be turned into a replica of the new one.
        fleet.primary.restart()
        wait_for(lambda: redis_info(old, 'replication').get('role') == 'slave' and
                 redis_info(old, 'replication').get('master_port') == str(new), 15,
                 f'the old primary {old} to become a replica of {new}')
        masters = [p for p, info in self.roles(fleet).items() if info.get('role') == 'master']
        self.assertEqual(masters, [new], 'exactly one primary after the dust settles')

    def test_manual_failover(self):
        fleet, watchers = self.build(down_after_ms=5000)
        old = fleet.primary.port
        r = watchers[1].call('SENTINEL', 'FAILOVER', MASTER)
        self.assertEqual(to_py(r), 'OK')
        new = None

        def promoted():
            nonlocal new
            masters = [n.port for n in fleet.replicas
                       if redis_info(n.port, 'replication').get('role') == 'master']
            new = masters[0] if len(masters) == 1 else None
            return new is not None
        wait_for(promoted, 15, 'a replica to be promoted')
        self.addr_everywhere(watchers, new, 10)
        wait_for(lambda: redis_info(old, 'replication').get('role') == 'slave', 15,
                 f'the old primary {old} to be demoted')
        again = watchers[0].call('SENTINEL', 'FAILOVER', 'nosuch')
        self.assertEqual(again.t, '-')


if __name__ == '__main__':
    unittest.main()
