# SPDX-License-Identifier: BSD-3-Clause
"""requirepass on the watcher's own port: NOAUTH before AUTH, WRONGPASS for a bad password,
AUTH and HELLO 3 AUTH with the right one, and the password never leaks into logs or INFO.

Error prefixes follow redis-sentinel 7.0 (`NOAUTH`, `WRONGPASS`); run with
VIGIL_SUT=redis-sentinel to see them come from the real thing.
"""

import unittest

from harness import IntegrationCase, Primary, RedisServer, alloc_ports, make_sut
from resp import RespConn, fields, to_py

PASSWORD = 'Vigil-it-secret-8f3a1c'
WRONG = 'not-the-password-2b7d'


class AuthTest(IntegrationCase):

    @classmethod
    def set_up_fixture(cls):
        ports = alloc_ports(2)
        cls.redis = cls.own(RedisServer(cls.tmp, ports[0]))
        cls.redis.start()
        cls.sut = cls.own(make_sut(cls.tmp, ports[1], [Primary('mymaster', ports[0])],
                                   requirepass=PASSWORD, logfile=True, log_level='debug').start())

    def conn(self):
        return RespConn(self.sut.port)

    def test_commands_need_auth(self):
        with self.conn() as c:
            for cmd in (('PING',), ('SENTINEL', 'MASTERS'), ('INFO',),
                        ('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')):
                r = c.call(*cmd)
                self.assertTrue(r.is_error and r.v.startswith('NOAUTH'), f'{cmd}: {r!r}')

    def test_wrong_password(self):
        with self.conn() as c:
            r = c.call('AUTH', WRONG)
            self.assertTrue(r.is_error and r.v.startswith('WRONGPASS'), repr(r))
            r = c.call('AUTH', 'default', WRONG)
            self.assertTrue(r.is_error and r.v.startswith('WRONGPASS'), repr(r))
            r = c.call('PING')
            self.assertTrue(r.is_error and r.v.startswith('NOAUTH'), repr(r))

    def test_right_password(self):
        with self.conn() as c:
            self.assertEqual(to_py(c.call('AUTH', PASSWORD)), 'OK')
            self.assertEqual(to_py(c.call('PING')), 'PONG')
            masters = c.call('SENTINEL', 'MASTERS')
            self.assertEqual([fields(m)['name'] for m in masters.v], ['mymaster'])
        with self.conn() as c:
            self.assertEqual(to_py(c.call('AUTH', 'default', PASSWORD)), 'OK')
            self.assertEqual(to_py(c.call('PING')), 'PONG')

    def test_hello3_auth(self):
        with self.conn() as c:
            r = c.call('HELLO', '3', 'AUTH', 'default', WRONG)
            self.assertTrue(r.is_error and r.v.startswith('WRONGPASS'), repr(r))
            r = c.call('HELLO', '3', 'AUTH', 'default', PASSWORD)
            self.assertEqual(r.t, '%', repr(r))
            self.assertEqual(to_py(r)['proto'], 3)
            r = c.call('SENTINEL', 'MASTER', 'mymaster')
            self.assertEqual(r.t, '%', 'RESP3 map after HELLO 3 AUTH')
            self.assertEqual(to_py(c.call('PING')), 'PONG')

    def test_python_client_with_password(self):
        client = self.sut.client()
        self.assertTrue(client.ping())
        self.assertIn('mymaster', client.sentinel_masters())

    def test_password_not_in_info_or_logs(self):
        with self.conn() as c:
            c.call('AUTH', WRONG)
            c.call('AUTH', PASSWORD)
            texts = {}
            for section in ('', 'everything', 'all', 'server', 'clients', 'sentinel'):
                r = c.call('INFO', section) if section else c.call('INFO')
                self.assertEqual(r.t, '$', f'INFO {section}: {r!r}')
                texts[f'INFO {section}'] = r.v
        self.sut.stop()
        try:
            texts['log'] = self.sut.log_text()
            texts['state files'] = ''.join(
                p.read_text('utf-8', 'replace') for p in self.sut.state_dir.iterdir()
                if p.is_file())
            for where, text in texts.items():
                self.assertNotIn(PASSWORD, text, f'password leaked into {where}')
                self.assertNotIn(WRONG, text, f'attempted password leaked into {where}')
        finally:
            self.sut.start()


if __name__ == '__main__':
    unittest.main()
