# SPDX-License-Identifier: BSD-3-Clause
"""Runtime reconfiguration: SENTINEL MONITOR / SET / REMOVE, their events and error texts, and
their survival across a restart (vigil: in <dir>/vigil.state, never in the config file), plus
SIGHUP reopening the log file.

Error texts are redis-sentinel 7.0.15's (checked with VIGIL_SUT=redis-sentinel). Each test gets
its own watcher, so the tests do not depend on each other's changes.
"""

import os
import signal
import unittest

from harness import (HOST, IntegrationCase, Primary, RedisServer, Subscriber, alloc_ports,
                     make_sut, require_vigil, wait_for)
from resp import Reply, fields, to_py

OK = Reply('+', 'OK')
NO_SUCH_MASTER = 'ERR No such master with that name'


class RuntimeTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(2)
        cls.a = cls.own(RedisServer(cls.tmp, ports[0]))
        cls.a.start()
        cls.b = cls.own(RedisServer(cls.tmp, ports[1]))
        cls.b.start()

    def new_sut(self, **kw):
        port = alloc_ports(1)[0]
        primary = Primary('mymaster', self.a.port, quorum=2, down_after_ms=5000)
        sut = make_sut(self.tmp, port, [primary], **kw)
        self.addCleanup(sut.stop)
        return sut.start()

    def masters(self, sut):
        return {f['name']: f for f in (fields(m) for m in sut.call('SENTINEL', 'MASTERS').v)}

    def assert_changed_state(self, sut):
        masters = self.masters(sut)
        self.assertEqual(sorted(masters), ['other'])
        m = masters['other']
        self.assertEqual((m['ip'], m['port']), (HOST, str(self.b.port)))
        self.assertEqual(m['down-after-milliseconds'], '4321')
        self.assertEqual(m['quorum'], '2')
        self.assertEqual(m['failover-timeout'], '54321')
        self.assertEqual(m['parallel-syncs'], '3')
        self.assertEqual(sut.call('SENTINEL', 'MASTER', 'mymaster'), Reply('-', NO_SUCH_MASTER))
        self.assertEqual(to_py(sut.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'other')),
                         [HOST, str(self.b.port)])
        wait_for(lambda: len(fields(sut.call('SENTINEL', 'MASTER', 'other'))['runid']) == 40,
                 15, 'the watcher to have INFO (a run id) from the monitored primary "other"')

    def apply_changes(self, sut):
        self.assertEqual(sut.call('SENTINEL', 'MONITOR', 'other', HOST, self.b.port, 1), OK)
        self.assertEqual(sut.call('SENTINEL', 'SET', 'other', 'down-after-milliseconds', '4321',
                                  'quorum', '2'), OK)
        self.assertEqual(sut.call('SENTINEL', 'SET', 'other', 'failover-timeout', '54321'), OK)
        self.assertEqual(sut.call('SENTINEL', 'SET', 'other', 'parallel-syncs', '3',
                                  'auth-pass', 's3cret-pass'), OK)
        self.assertEqual(sut.call('SENTINEL', 'REMOVE', 'mymaster'), OK)

    def test_monitor_set_remove_survive_restart(self):
        sut = self.new_sut()
        config_before = sut.config_path.read_bytes()
        self.apply_changes(sut)
        self.assert_changed_state(sut)
        sut.restart()
        self.assert_changed_state(sut)
        if sut.is_vigil:
            self.assertEqual(sut.config_path.read_bytes(), config_before,
                             'the config file must never be rewritten')
            self.assertTrue(sut.state_path.is_file(), f'no state file at {sut.state_path}')
            self.assertEqual(sorted(os.listdir(sut.state_dir)), ['vigil.state'],
                             'temporary files left next to the state file')
            self.assertNotIn(b'other', config_before)

    def test_config_set_announce_survives_restart(self):
        sut = self.new_sut()
        self.assertEqual(sut.call('SENTINEL', 'CONFIG', 'SET', 'announce-port', '12345'), OK)
        self.assertEqual(sut.call('SENTINEL', 'CONFIG', 'SET', 'announce-ip', '127.0.0.9'), OK)
        if sut.is_vigil:
            # Stricter than redis-sentinel (which takes any string): without hostname support an
            # address that is not an IP literal could never be reached by peers.
            bad = sut.call('SENTINEL', 'CONFIG', 'SET', 'announce-ip', 'not an ip')
            self.assertEqual(bad, Reply('-', "ERR Invalid value 'not an ip' to SENTINEL CONFIG "
                                             "SET 'announce-ip'"))
        want = {'announce-ip': '127.0.0.9', 'announce-port': '12345'}
        got = to_py(sut.call('SENTINEL', 'CONFIG', 'GET', 'announce-*'))
        self.assertEqual({k: v for k, v in zip(got[::2], got[1::2]) if k in want}, want)
        sut.restart()
        got = to_py(sut.call('SENTINEL', 'CONFIG', 'GET', 'announce-*'))
        self.assertEqual({k: v for k, v in zip(got[::2], got[1::2]) if k in want}, want,
                         'CONFIG SET values must survive a restart')

    def test_runtime_changes_publish_events(self):
        sut = self.new_sut()
        sub = Subscriber(sut, '+monitor', '-monitor', '+set')
        try:
            self.apply_changes(sut)
            other = f'master other {HOST} {self.b.port}'
            for channel, payload in (
                    ('+monitor', f'{other} quorum 1'),
                    ('+set', f'{other} down-after-milliseconds 4321'),
                    ('+set', f'{other} quorum 2'),
                    ('+set', f'{other} failover-timeout 54321'),
                    ('+set', f'{other} parallel-syncs 3'),
                    ('+set', f'{other} auth-pass ******'),
                    ('-monitor', f'master mymaster {HOST} {self.a.port}')):
                sub.wait_message(channel, payload, 5)
        finally:
            sub.close()

    def test_set_errors(self):
        sut = self.new_sut()
        cases = [
            (('foo', '1'), "ERR Unknown option or number of arguments for SENTINEL SET 'foo'"),
            (('quorum', 'abc'), "ERR Invalid argument 'abc' for SENTINEL SET 'quorum'"),
            (('quorum', '0'), "ERR Invalid argument '0' for SENTINEL SET 'quorum'"),
            (('down-after-milliseconds', '-5'),
             "ERR Invalid argument '-5' for SENTINEL SET 'down-after-milliseconds'"),
            (('down-after-milliseconds', '0'),
             "ERR Invalid argument '0' for SENTINEL SET 'down-after-milliseconds'"),
            (('failover-timeout', '0'),
             "ERR Invalid argument '0' for SENTINEL SET 'failover-timeout'"),
            (('parallel-syncs', '0'), "ERR Invalid argument '0' for SENTINEL SET 'parallel-syncs'"),
            (('parallel-syncs', 'abc'),
             "ERR Invalid argument 'abc' for SENTINEL SET 'parallel-syncs'"),
            (('quorum',), "ERR wrong number of arguments for 'sentinel|set' command"),
        ]
        for args, text in cases:
            self.assertEqual(sut.call('SENTINEL', 'SET', 'mymaster', *args), Reply('-', text),
                             f'SENTINEL SET mymaster {" ".join(args)}')
        self.assertEqual(sut.call('SENTINEL', 'SET', 'nosuch', 'quorum', '1'),
                         Reply('-', NO_SUCH_MASTER))
        m = self.masters(sut)['mymaster']
        self.assertEqual((m['quorum'], m['down-after-milliseconds'], m['failover-timeout'],
                          m['parallel-syncs']), ('2', '5000', '180000', '1'))

    def test_monitor_and_remove_errors(self):
        sut = self.new_sut()
        port = str(self.b.port)
        cases = [
            (('mymaster', HOST, port, '2'), 'ERR Duplicate master name.'),
            (('x', '1.2.3.256', port, '2'), 'ERR Invalid IP address or hostname specified'),
            (('x', 'not-an-ip', port, '2'), 'ERR Invalid IP address or hostname specified'),
            (('x', HOST, port, '0'), 'ERR Quorum must be 1 or greater.'),
            (('x', HOST, port, 'abc'), 'ERR Invalid quorum'),
            (('x', HOST, '70000', '1'), 'ERR Invalid port number.'),
            (('x', HOST, '-1', '1'), 'ERR Invalid port number.'),
            (('x', HOST, 'abc', '1'), 'ERR Invalid port'),
            (('x', HOST, port), "ERR wrong number of arguments for 'sentinel|monitor' command"),
        ]
        for args, text in cases:
            self.assertEqual(sut.call('SENTINEL', 'MONITOR', *args), Reply('-', text),
                             f'SENTINEL MONITOR {" ".join(args)}')
        self.assertEqual(sut.call('SENTINEL', 'REMOVE', 'nosuch'), Reply('-', NO_SUCH_MASTER))
        self.assertEqual(sorted(self.masters(sut)), ['mymaster'])

    def test_sighup_reopens_logfile(self):
        require_vigil(self, 'redis-sentinel ignores SIGHUP')
        sut = self.new_sut(logfile=True)
        path = sut.logfile
        self.assertEqual(sut.call('SENTINEL', 'SET', 'mymaster', 'quorum', '2'), OK)
        wait_for(lambda: path.exists() and path.stat().st_size > 0, 10,
                 f'log lines in {path}')
        rotated = path.with_name(path.name + '.1')
        os.rename(path, rotated)
        sut.send_signal(signal.SIGHUP)
        wait_for(lambda: path.exists(), 5, f'SIGHUP to reopen {path}')
        self.assertEqual(sut.call('SENTINEL', 'SET', 'mymaster', 'quorum', '1'), OK)
        wait_for(lambda: 'quorum' in path.read_text('utf-8', 'replace'), 5,
                 f'the +set line to be written to the new {path}')
        self.assertTrue(rotated.exists())
        self.assertEqual(to_py(sut.call('PING')), 'PONG')


if __name__ == '__main__':
    unittest.main()
