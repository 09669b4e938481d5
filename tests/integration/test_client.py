# SPDX-License-Identifier: BSD-3-Clause
"""A real client library against the watcher: Debian's python3-redis `redis.sentinel.Sentinel`
discovers the primary and replicas (SENTINEL MASTERS / SLAVES) and routes reads and writes.

It checks only what the client sees; field-level comparison with redis-sentinel lives in
test_compat.py.
"""

import unittest

import redis
from redis.sentinel import MasterNotFoundError, Sentinel

from harness import HOST, Fleet, IntegrationCase, Primary, alloc_ports, make_sut, wait_for


class ClientTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(4)
        cls.fleet = cls.own(Fleet(cls.tmp, ports[:3]).start())
        primary = Primary('mymaster', ports[0], quorum=2, down_after_ms=5000)
        cls.sut = cls.own(make_sut(cls.tmp, ports[3], [primary]).start())
        cls.replica_addrs = {(HOST, r.port) for r in cls.fleet.replicas}

    def sentinel(self):
        return Sentinel([(HOST, self.sut.port)], socket_timeout=2)

    def test_discover_master(self):
        self.assertEqual(self.sentinel().discover_master('mymaster'),
                         (HOST, self.fleet.primary.port))

    def test_discover_master_unknown_name(self):
        with self.assertRaises(MasterNotFoundError):
            self.sentinel().discover_master('nosuch')

    def test_discover_slaves(self):
        s = self.sentinel()
        wait_for(lambda: set(s.discover_slaves('mymaster')) == self.replica_addrs, 20,
                 f'discover_slaves to return {sorted(self.replica_addrs)}')

    def test_master_for_writes_and_slave_for_reads(self):
        s = self.sentinel()
        wait_for(lambda: set(s.discover_slaves('mymaster')) == self.replica_addrs, 20,
                 'replicas to be known')
        master = s.master_for('mymaster', socket_timeout=2, decode_responses=True)
        self.assertTrue(master.set('vigil-it-key', 'written-through-sentinel'))
        self.assertEqual(master.execute_command('ROLE')[0], 'master')
        replica = s.slave_for('mymaster', socket_timeout=2, decode_responses=True)
        wait_for(lambda: replica.get('vigil-it-key') == 'written-through-sentinel', 10,
                 'the key to be readable through slave_for')
        self.assertEqual(replica.execute_command('ROLE')[0], 'slave')
        with self.assertRaises(redis.exceptions.ReadOnlyError):
            replica.set('vigil-it-key', 'replicas are read-only')


if __name__ == '__main__':
    unittest.main()
