# SPDX-License-Identifier: BSD-3-Clause
"""Wire compatibility: one fleet watched by the system under test and by a real redis-sentinel
(same master name, quorum and down-after); every expectation is read from redis-sentinel live.

Compares raw RESP2/RESP3 reply types, field names and field order, and the values that must
agree; values that legitimately differ (run ids, ages in ms, the watchers' own ports) are only
compared by kind (number / text / empty). It never hard-codes an expected reply.
"""

import re
import unittest

from harness import (HOST, Fleet, IntegrationCase, Primary, alloc_ports, make_reference, make_sut,
                     wait_for)
from resp import RespConn, field_pairs, fields, shape, to_py

MASTER_MUST_AGREE = ('name', 'ip', 'port', 'runid', 'flags', 'down-after-milliseconds',
                     'role-reported', 'config-epoch', 'num-slaves', 'quorum', 'failover-timeout',
                     'parallel-syncs')
REPLICA_MUST_AGREE = ('name', 'ip', 'port', 'runid', 'flags', 'down-after-milliseconds',
                      'role-reported', 'master-link-status', 'master-host', 'master-port',
                      'slave-priority', 'replica-announced')
SENTINEL_MUST_AGREE = ('ip', 'flags', 'down-after-milliseconds')


def value_kind(reply):
    """What kind of value a field holds, for fields whose value may differ."""
    if reply.t != '$' or reply.v is None:
        return reply.t
    if reply.v == '':
        return 'empty'
    if re.fullmatch(r'-?\d+', reply.v):
        return 'integer'
    return 'text'


class CompatTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(5)
        cls.fleet = cls.own(Fleet(cls.tmp, ports[:3]).start())
        primary = Primary('mymaster', ports[0], quorum=2, down_after_ms=5000,
                          failover_timeout_ms=60000, parallel_syncs=1)
        cls.sut = cls.own(make_sut(cls.tmp, ports[3], [primary]).start())
        cls.ref = cls.own(make_reference(cls.tmp, ports[4], [primary]).start())
        cls.watchers = (cls.sut, cls.ref)
        for w in cls.watchers:
            wait_for(lambda w=w: cls.steady(w), 25, f'{w.kind} to see the fleet in steady state')

    @classmethod
    def steady(cls, w):
        m = fields(w.call('SENTINEL', 'MASTER', 'mymaster'))
        if m['flags'] != 'master' or m['role-reported'] != 'master' or m['num-slaves'] != '2':
            return False
        if len(m['runid']) != 40:
            return False
        reps = w.replicas_seen()
        return len(reps) == 2 and all(
            r['flags'] == 'slave' and r['role-reported'] == 'slave' and
            r['master-link-status'] == 'ok' and len(r['runid']) == 40 for r in reps)

    def call_both(self, *args, proto=2):
        """(sut reply, ref reply) for one command, each on a fresh connection."""
        out = []
        for w in self.watchers:
            with RespConn(w.port) as c:
                if proto == 3:
                    hello = c.call('HELLO', '3')
                    self.assertEqual(hello.t, '%', f'{w.kind} HELLO 3: {hello!r}')
                out.append(c.call(*args))
        return tuple(out)

    def assert_same_description(self, got, want, must_agree, what):
        """Same reply type, same field names in the same order, same value kinds, equal values
        for must_agree."""
        self.assertEqual(got.t, want.t, f'{what}: reply type')
        got_pairs, want_pairs = field_pairs(got), field_pairs(want)
        self.assertEqual([k for k, _ in got_pairs], [k for k, _ in want_pairs],
                         f'{what}: field names/order')
        got_map, want_map = dict(got_pairs), dict(want_pairs)
        for name, want_v in want_pairs:
            got_v = got_map[name]
            self.assertEqual(got_v.t, want_v.t, f'{what}: RESP type of {name}')
            self.assertEqual(value_kind(got_v), value_kind(want_v),
                             f'{what}: kind of {name}: {got_v.v!r} vs {want_v.v!r}')
        for name in must_agree:
            self.assertEqual(got_map[name].v, want_map[name].v, f'{what}: value of {name}')

    def assert_same_description_list(self, got, want, must_agree, what, key='name'):
        self.assertEqual(got.t, want.t, f'{what}: reply type')
        self.assertEqual(len(got.v), len(want.v), f'{what}: number of entries')

        def by_key(r):
            return sorted(r.v, key=lambda d: fields(d)[key])
        for i, (g, w) in enumerate(zip(by_key(got), by_key(want))):
            self.assert_same_description(g, w, must_agree, f'{what}[{i}]')

    # -- RESP2 ------------------------------------------------------------------------------

    def test_sentinel_masters(self):
        got, want = self.call_both('SENTINEL', 'MASTERS')
        self.assertEqual(len(want.v), 1)
        self.assert_same_description_list(got, want, MASTER_MUST_AGREE, 'SENTINEL MASTERS')

    def test_sentinel_master(self):
        got, want = self.call_both('SENTINEL', 'MASTER', 'mymaster')
        self.assert_same_description(got, want, MASTER_MUST_AGREE, 'SENTINEL MASTER mymaster')

    def test_sentinel_replicas_and_slaves(self):
        for sub in ('REPLICAS', 'SLAVES', 'replicas', 'slaves'):
            got, want = self.call_both('SENTINEL', sub, 'mymaster')
            self.assertEqual(len(want.v), 2)
            self.assert_same_description_list(got, want, REPLICA_MUST_AGREE,
                                              f'SENTINEL {sub} mymaster')

    def test_get_master_addr_by_name(self):
        got, want = self.call_both('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')
        self.assertEqual(got, want)
        self.assertEqual(to_py(want), [HOST, str(self.fleet.primary.port)])
        got, want = self.call_both('SENTINEL', 'get-master-addr-by-name', 'nosuch')
        self.assertEqual(want.t + str(want.v), '*None')
        self.assertEqual(got, want, 'unknown name must be a null array')

    def test_role(self):
        got, want = self.call_both('ROLE')
        self.assertEqual(to_py(want), ['sentinel', ['mymaster']])
        self.assertEqual(got, want)

    def test_myid(self):
        got, want = self.call_both('SENTINEL', 'MYID')
        for r in (got, want):
            self.assertEqual(r.t, '$')
            self.assertRegex(r.v, r'^[0-9a-f]{40}$')
        self.assertNotEqual(got.v, want.v)

    def test_sentinels_list_each_other(self):
        """The two watchers share the primary's hello channel, so each must list the other
        (redis-sentinel does; SENTINELS never lists the watcher itself)."""
        myid = {w.port: to_py(w.call('SENTINEL', 'MYID')) for w in self.watchers}
        for w, other in ((self.sut, self.ref), (self.ref, self.sut)):
            wait_for(lambda w=w: [fields(e)['flags'] for e in
                                  w.call('SENTINEL', 'SENTINELS', 'mymaster').v] == ['sentinel'],
                     15, f'{w.kind} to list the other watcher, connected, in SENTINEL SENTINELS')
            entry = fields(w.call('SENTINEL', 'SENTINELS', 'mymaster').v[0])
            self.assertEqual(entry['name'], myid[other.port])
            self.assertEqual(entry['runid'], myid[other.port])
            self.assertEqual((entry['ip'], entry['port']), (HOST, str(other.port)))
        got, want = self.call_both('SENTINEL', 'SENTINELS', 'mymaster')
        self.assert_same_description_list(got, want, SENTINEL_MUST_AGREE,
                                          'SENTINEL SENTINELS mymaster')
        wait_for(lambda: all(fields(w.call('SENTINEL', 'MASTER', 'mymaster'))
                             ['num-other-sentinels'] == '1' for w in self.watchers),
                 5, 'num-other-sentinels 1 on both')

    def test_error_texts(self):
        commands = [
            ('FOO', 'bar'),
            ('GET', 'k'),
            ('SELECT', '0'),
            ('PING', 'a', 'b'),
            ('SENTINEL',),
            ('SENTINEL', 'MASTERS', 'extra'),
            ('SENTINEL', 'MASTER'),
            ('SENTINEL', 'REPLICAS'),
            ('SENTINEL', 'GET-MASTER-ADDR-BY-NAME'),
            ('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR'),
            ('SENTINEL', 'SET', 'mymaster'),
            ('SENTINEL', 'NOSUCHSUB'),
            ('SENTINEL', 'nosuchsub', 'x', 'y'),
            ('SENTINEL', 'MASTER', 'nosuch'),
            ('SENTINEL', 'REPLICAS', 'nosuch'),
            ('SENTINEL', 'SLAVES', 'nosuch'),
            ('SENTINEL', 'SENTINELS', 'nosuch'),
            ('SENTINEL', 'CKQUORUM', 'nosuch'),
            ('SENTINEL', 'REMOVE', 'nosuch'),
            ('SENTINEL', 'SET', 'nosuch', 'quorum', '1'),
            ('SENTINEL', 'INFO-CACHE'),
            ('PUBLISH', 'foo', 'bar'),
            ('PUBLISH', 'foo'),
            ('SUBSCRIBE',),
            ('HELLO', '4'),
            ('HELLO', 'x'),
            ('AUTH', 'nopassword-configured'),
            ('CLIENT', 'NOSUCH'),
        ]
        conns = [RespConn(w.port) for w in self.watchers]
        try:
            for cmd in commands:
                got, want = (c.call(*cmd) for c in conns)
                self.assertEqual(want.t, '-', f'{cmd}: redis-sentinel did not fail: {want!r}')
                self.assertEqual(got, want, f'error reply for {" ".join(cmd)}')
            # Errors must not break the connection.
            for c in conns:
                self.assertEqual(to_py(c.call('PING')), 'PONG')
        finally:
            for c in conns:
                c.close()

    # -- RESP3 ------------------------------------------------------------------------------

    def test_hello_reply_shape(self):
        for proto in ('3', '2'):
            got, want = self.call_both('HELLO', proto)
            self.assertEqual(shape(got), shape(want), f'HELLO {proto} shape')
            g, w = (fields(r) for r in (got, want))
            for key in ('server', 'proto', 'mode', 'modules'):
                self.assertEqual(g[key], w[key], f'HELLO {proto}: {key}')
            self.assertEqual(w['mode'], 'sentinel')

    def test_resp3_shapes(self):
        got, want = self.call_both('SENTINEL', 'MASTERS', proto=3)
        self.assertEqual(shape(got), shape(want), 'RESP3 SENTINEL MASTERS')
        self.assertEqual(want.v[0].t, '%')
        self.assert_same_description_list(got, want, MASTER_MUST_AGREE, 'RESP3 SENTINEL MASTERS')

        got, want = self.call_both('SENTINEL', 'MASTER', 'mymaster', proto=3)
        self.assertEqual(shape(got), shape(want), 'RESP3 SENTINEL MASTER')
        self.assert_same_description(got, want, MASTER_MUST_AGREE, 'RESP3 SENTINEL MASTER')

        got, want = self.call_both('SENTINEL', 'REPLICAS', 'mymaster', proto=3)
        self.assertEqual(shape(got), shape(want), 'RESP3 SENTINEL REPLICAS')
        self.assert_same_description_list(got, want, REPLICA_MUST_AGREE,
                                          'RESP3 SENTINEL REPLICAS')

        for args in (('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'),
                     ('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nosuch'),
                     ('ROLE',), ('PING',), ('SENTINEL', 'MASTER', 'nosuch')):
            got, want = self.call_both(*args, proto=3)
            self.assertEqual(got, want, f'RESP3 {" ".join(args)}')

    # -- INFO -------------------------------------------------------------------------------

    def test_info_sentinel_section(self):
        got, want = self.call_both('INFO', 'sentinel')
        self.assertEqual(got.t, want.t, 'INFO reply type')

        def parse(text):
            return [tuple(line.split(':', 1)) for line in text.splitlines()
                    if line and not line.startswith('#')]
        g, w = parse(got.v), parse(want.v)
        self.assertEqual([k for k, _ in g], [k for k, _ in w], 'INFO sentinel keys')
        g, w = dict(g), dict(w)
        for key in ('sentinel_masters', 'sentinel_tilt', 'sentinel_tilt_since_seconds'):
            self.assertEqual(g[key], w[key], key)

        def master0(v):  # sentinels=N depends on discovery timing, compared elsewhere
            return re.sub(r',sentinels=\d+$', '', v)
        self.assertEqual(master0(g['master0']), master0(w['master0']))
        self.assertTrue(got.v.startswith('# Sentinel\r\n'), repr(got.v[:40]))

    def test_info_server_mode(self):
        for w in self.watchers:
            info = w.call('INFO', 'server')
            self.assertEqual(info.t, '$')
            self.assertIn('redis_mode:sentinel\r\n', info.v, w.kind)
            self.assertIn(f'tcp_port:{w.port}\r\n', info.v, w.kind)


if __name__ == '__main__':
    unittest.main()
