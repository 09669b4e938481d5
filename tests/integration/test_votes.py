# SPDX-License-Identifier: BSD-3-Clause
"""One vote per epoch, ever: SENTINEL IS-MASTER-DOWN-BY-ADDR grants at most one vote per primary
and epoch, returns the recorded vote to later candidates, and keeps that promise across a
`kill -9` and restart (the vote is persisted before the reply leaves). Checked against
redis-sentinel 7.0.15 too (VIGIL_SUT=redis-sentinel), which persists votes in its config file.
"""

import unittest

from harness import (HOST, IntegrationCase, Primary, RedisServer, alloc_ports, make_sut,
                     require_vigil)
from resp import to_py

CANDIDATE_A = 'a' * 40
CANDIDATE_B = 'b' * 40


class VoteTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        cls.node = cls.own(RedisServer(cls.tmp, alloc_ports(1)[0]))
        cls.node.start()

    def new_sut(self):
        primary = Primary('mymaster', self.node.port, quorum=2, down_after_ms=5000)
        sut = make_sut(self.tmp, alloc_ports(1)[0], [primary])
        self.addCleanup(sut.stop)
        return sut.start()

    def ask(self, sut, epoch, runid):
        return to_py(sut.call('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, str(self.node.port),
                              str(epoch), runid))

    def test_one_vote_per_epoch_survives_kill9(self):
        sut = self.new_sut()
        self.assertEqual(self.ask(sut, 0, '*'), [0, '*', 0], 'a "*" request never votes')
        self.assertEqual(self.ask(sut, 5, CANDIDATE_A), [0, CANDIDATE_A, 5])
        self.assertEqual(self.ask(sut, 5, CANDIDATE_B), [0, CANDIDATE_A, 5],
                         'a second candidate in the same epoch gets the recorded vote')
        self.assertEqual(self.ask(sut, 4, CANDIDATE_B), [0, CANDIDATE_A, 5],
                         'an older epoch gets the recorded vote')
        sut.kill9()
        sut.start()
        after = self.ask(sut, 5, CANDIDATE_B)
        # redis-sentinel persists only the vote's epoch and answers "*" after a restart; vigil
        # persists whom it voted for too. Either way candidate B must not get epoch 5's vote.
        want = [0, CANDIDATE_A, 5] if sut.is_vigil else [0, '*', 5]
        self.assertEqual(after, want, 'after kill -9 and restart the vote of epoch 5 still binds')
        self.assertEqual(self.ask(sut, 6, CANDIDATE_B), [0, CANDIDATE_B, 6],
                         'a newer epoch gets a new vote')

    def test_unknown_address_never_votes(self):
        sut = self.new_sut()
        self.assertEqual(to_py(sut.call('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, '1',
                                        '9', CANDIDATE_A)), [0, '*', 0])

    def vigil_counters(self, sut):
        text = to_py(sut.call('INFO', 'vigil'))
        return {k: int(v) for k, v in (line.split(':', 1) for line in text.split('\r\n')
                                        if ':' in line and not k_is_version(line))}

    def test_bad_hellos_and_vote_requests_are_refused_and_counted(self):
        sut = self.new_sut()
        require_vigil(self, 'INFO vigil counters')
        before = self.vigil_counters(sut)
        epoch_before = before['vigil_current_epoch']
        bad_hellos = [
            'a,b,c',                                                      # 3 fields
            '127.0.0.1,26379,' + 'a' * 40 + ',1,mymaster,127.0.0.1,6379', # 7 fields
            '127.0.0.1,26379,' + 'a' * 40 + ',x,mymaster,127.0.0.1,6379,0',  # epoch not a number
            '127.0.0.1,26379,' + 'a' * 40 + ',99999999999999999999,mymaster,127.0.0.1,6379,0',
            '127.0.0.1,0,' + 'a' * 40 + ',1,mymaster,127.0.0.1,6379,0',   # port 0
            '127.0.0.1,26379,' + 'z' * 40 + ',1,mymaster,127.0.0.1,6379,0',  # runid not hex
            '127.0.0.1,26379,' + 'a' * 40 + ',7,nosuchmaster,127.0.0.1,6379,0',  # unknown name
        ]
        for payload in bad_hellos:
            self.assertEqual(to_py(sut.call('PUBLISH', '__sentinel__:hello', payload)), 1)
        bad_votes = [
            (HOST, 'notaport', '1', '*'),
            (HOST, str(self.node.port), '-1', CANDIDATE_A),
            (HOST, str(self.node.port), '1', 'short-runid'),
            (HOST, str(self.node.port), '99999999999999999999', CANDIDATE_A),
        ]
        for args in bad_votes:
            r = sut.call('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', *args)
            self.assertEqual(r.t, '-', f'{args} must get an error, got {r}')
        after = self.vigil_counters(sut)
        self.assertEqual(after['vigil_hello_rejected'] - before['vigil_hello_rejected'],
                         len(bad_hellos))
        self.assertEqual(after['vigil_vote_requests_rejected'] -
                         before['vigil_vote_requests_rejected'], len(bad_votes))
        self.assertEqual(after['vigil_current_epoch'], epoch_before,
                         'a refused message must not move the epoch')
        self.assertEqual(to_py(sut.call('SENTINEL', 'SENTINELS', 'mymaster')), [],
                         'no peer may be learned from a refused hello')
        self.assertEqual(self.ask(sut, 3, CANDIDATE_A), [0, CANDIDATE_A, 3],
                         'the watcher still votes normally afterwards')


def k_is_version(line):
    return line.startswith('vigil_version:')


if __name__ == '__main__':
    unittest.main()
