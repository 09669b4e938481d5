# SPDX-License-Identifier: BSD-3-Clause
"""TILT (sentinel-protocol.md §9.1): a watcher whose process was stopped for longer than the TILT
trigger (2 s) enters TILT on resume: `+tilt #tilt mode entered`, INFO `sentinel_tilt:1`, and it
answers IS-MASTER-DOWN-BY-ADDR with down = 0 meanwhile. Checked against redis-sentinel too.
"""

import signal
import time
import unittest

from harness import (HOST, IntegrationCase, Primary, RedisServer, Subscriber, alloc_ports,
                     make_sut, wait_for)
from resp import to_py


class TiltTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        cls.node = cls.own(RedisServer(cls.tmp, alloc_ports(1)[0]))
        cls.node.start()

    def test_stopped_watcher_enters_tilt(self):
        primary = Primary('mymaster', self.node.port, quorum=2, down_after_ms=5000)
        sut = make_sut(self.tmp, alloc_ports(1)[0], [primary])
        self.addCleanup(sut.stop)
        sut.start()
        sub = Subscriber(sut, '+tilt')
        try:
            sut.send_signal(signal.SIGSTOP)
            time.sleep(3.0)  # not a check: the stall itself (TILT needs a gap over 2 s)
            sut.send_signal(signal.SIGCONT)
            sub.wait_message('+tilt', '#tilt mode entered', 10)
        finally:
            sub.close()

        def tilted():
            info = to_py(sut.call('INFO', 'sentinel'))
            return 'sentinel_tilt:1\r\n' in info
        wait_for(tilted, 5, 'INFO sentinel_tilt:1')
        reply = to_py(sut.call('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, str(self.node.port),
                               '0', '*'))
        self.assertEqual(reply, [0, '*', 0])


if __name__ == '__main__':
    unittest.main()
