# SPDX-License-Identifier: BSD-3-Clause
"""Interop: one ensemble of two Debian redis-sentinel and the system under test (vigil) over one
real fleet (1 primary + 2 replicas, one master name, quorum 2, down-after 1000 ms). They must find
each other by hello gossip, agree on ODOWN after `kill -9` of the primary, and elect exactly one
leader per epoch: once with vigil winning, once with a redis-sentinel winning.

Every event of every watcher is collected through PSUBSCRIBE * and checked afterwards: one vote
per watcher and epoch, one leader per epoch, and a majority behind it. The tests only steer who
starts first (see each test for how and why that is fair); they never change down-after, the
quorum or how anyone votes. They must never sleep as an assertion: every wait polls a deadline.
"""

import signal
import threading
import time
import unittest

from harness import (SUT, Fleet, IntegrationCase, Primary, alloc_ports, make_reference, make_sut,
                     make_tmpdir, wait_for)
from resp import RespError, fields, to_py

MASTER = 'mymaster'
DOWN_AFTER_MS = 1000
QUORUM = 2
WATCHERS = 3
MAJORITY = WATCHERS // 2 + 1
SLOW_ASK_PERIOD_MS = 600000   # redis-sentinel's SENTINEL DEBUG ask-period while vigil must win
ASK_PERIOD_MS = 1000          # its default, restored once the election is over
GOSSIP_TIMEOUT_S = 15.0
ELECTION_TIMEOUT_S = 15.0
ODOWN_TIMEOUT_S = 10.0
FAILOVER_TIMEOUT_S = 15.0


class EventLog:
    """PSUBSCRIBE * on every watcher, one reader thread each; keeps (arrival, label, channel,
    payload) with arrival taken from time.monotonic() when the message is parsed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.conns = []
        self.errors = []
        self.closing = False

    def attach(self, label, watcher):
        conn = watcher.resp(timeout_s=5.0)
        r = to_py(conn.call('PSUBSCRIBE', '*'))
        assert r == ['psubscribe', '*', 1], f'PSUBSCRIBE * on {label}: {r!r}'
        self.conns.append(conn)
        threading.Thread(target=self._read, args=(label, conn), daemon=True).start()

    def _read(self, label, conn):
        while True:
            try:
                r = conn.read(timeout_s=3600.0)
            except Exception as exc:  # noqa: BLE001 - closed, or the watcher went away
                if not self.closing:
                    with self.lock:
                        self.errors.append(f'{label}: {exc!r}')
                return
            at = time.monotonic()
            msg = to_py(r)
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 'pmessage':
                with self.lock:
                    self.items.append((at, label, msg[2], msg[3]))

    def events(self, channel=None, label=None):
        with self.lock:
            return [e for e in self.items
                    if (channel is None or e[2] == channel) and (label is None or e[1] == label)]

    def first(self, channel, labels=None, payload_prefix=''):
        for e in self.events(channel):
            if (labels is None or e[1] in labels) and e[3].startswith(payload_prefix):
                return e
        return None

    def dump(self):
        lines = [f'{at:.3f} {label} {ch} {payload}' for at, label, ch, payload in self.events()
                 if ch != '__sentinel__:hello']
        return '\n'.join(lines[-80:])

    def close(self):
        self.closing = True
        for conn in self.conns:
            try:
                conn.sock.shutdown(2)
            except OSError:
                pass
            conn.close()


class Ensemble:
    """The fleet, two redis-sentinel (refs) and the SUT, each watcher labelled kind:port."""

    def __init__(self, case):
        tmp = make_tmpdir('interop')
        ports = alloc_ports(3 + WATCHERS)
        self.fleet = Fleet(tmp, ports[:3])
        primary = Primary(MASTER, ports[0], quorum=QUORUM, down_after_ms=DOWN_AFTER_MS)
        self.refs = [make_reference(tmp, p, [primary]) for p in ports[3:5]]
        self.sut = make_sut(tmp, ports[5], [primary])
        self.watchers = self.refs + [self.sut]
        self.label = {id(w): f'{w.kind}:{w.port}' for w in self.watchers}
        self.ref_labels = {self.label[id(w)] for w in self.refs}
        self.sut_label = self.label[id(self.sut)]
        self.log = EventLog()
        self.frozen = []
        self.myid = {}
        # Cleanups run in reverse: events, thaw, watchers, fleet.
        case.addCleanup(self.fleet.stop)
        self.fleet.start()
        for w in self.watchers:
            case.addCleanup(w.stop)
            w.start()
        case.addCleanup(self.thaw_all)
        case.addCleanup(self.log.close)
        for w in self.watchers:
            self.myid[self.label[id(w)]] = to_py(w.call('SENTINEL', 'MYID'))
            self.log.attach(self.label[id(w)], w)
        self.label_of_id = {v: k for k, v in self.myid.items()}

    # -- freezing processes (SIGSTOP / SIGCONT, by PID, only our own children) ----------------

    def freeze(self, thing):
        thing.proc.send_signal(signal.SIGSTOP)
        self.frozen.append(thing)

    def thaw(self, thing):
        if thing in self.frozen:
            self.frozen.remove(thing)
            if thing.proc is not None and thing.proc.alive():
                thing.proc.send_signal(signal.SIGCONT)

    def thaw_all(self):
        for thing in list(self.frozen):
            self.thaw(thing)

    # -- gossip ------------------------------------------------------------------------------

    def gossip_problems(self):
        """Why the three watchers do not (yet) form one healthy ensemble; [] when they do."""
        problems = []
        for w in self.watchers:
            me = self.label[id(w)]
            want = {(self.myid[self.label[id(o)]], o.port) for o in self.watchers if o is not w}
            listed = [fields(x) for x in w.call('SENTINEL', 'SENTINELS', MASTER).v]
            got = {(f.get('runid'), int(f.get('port', -1))) for f in listed}
            if got != want:
                problems.append(f'{me}: SENTINEL SENTINELS lists {sorted(got)}, '
                                f'want {sorted(want)}')
            for f in listed:
                bad = {'s_down', 'o_down', 'disconnected'} & set(str(f.get('flags')).split(','))
                if bad:
                    problems.append(f'{me}: peer {f.get("port")} flagged {sorted(bad)}')
            master = fields(w.call('SENTINEL', 'MASTER', MASTER))
            if str(master.get('num-other-sentinels')) != str(WATCHERS - 1):
                problems.append(f'{me}: num-other-sentinels {master.get("num-other-sentinels")}')
            if str(master.get('num-slaves')) != '2':
                problems.append(f'{me}: num-slaves {master.get("num-slaves")}')
            ck = to_py(w.call('SENTINEL', 'CKQUORUM', MASTER))
            if isinstance(ck, RespError) or not str(ck).startswith(f'OK {WATCHERS} usable'):
                problems.append(f'{me}: CKQUORUM {ck!r}')
        return problems

    def wait_gossip(self, case):
        last = []

        def healthy():
            last[:] = self.gossip_problems()
            return not last
        try:
            wait_for(healthy, GOSSIP_TIMEOUT_S, 'the three watchers to see each other')
        except AssertionError as exc:
            case.fail(f'{exc}: ' + '; '.join(last))

    # -- waiting on events -------------------------------------------------------------------

    def wait_event(self, case, channel, labels, timeout_s, what, payload_prefix=''):
        try:
            return wait_for(lambda: self.log.first(channel, labels, payload_prefix), timeout_s,
                            what, interval_s=0.01)
        except AssertionError as exc:
            case.fail(f'{exc}\n--- events:\n{self.log.dump()}')

    def wait_odown_everywhere(self, case):
        odown = f'master {MASTER} 127.0.0.1 {self.fleet.primary.port}'
        for label in self.myid:
            self.wait_event(case, '+odown', {label}, ODOWN_TIMEOUT_S, f'+odown from {label}',
                            payload_prefix=odown)


def votes_by_epoch(log):
    """{epoch: {voter label: [runid, ...]}} from every +vote-for-leader seen."""
    out = {}
    for _, label, _, payload in log.events('+vote-for-leader'):
        runid, epoch = payload.split()
        out.setdefault(int(epoch), {}).setdefault(label, []).append(runid)
    return out


def check_election(case, ens, want_labels):
    """Safety over everything the three watchers published: one vote per watcher and epoch; a
    vote for another watcher only goes to a candidate of that epoch (one that voted for itself
    in it); at most one leader per epoch, each backed by a majority and the quorum. The first
    leader must be one of want_labels. A later epoch may elect again (Sentinel allows that when
    a voter was never asked in the earlier one); it must obey the same rules.
    Returns (first leader label, its epoch)."""
    log = ens.log
    votes = votes_by_epoch(log)
    for epoch, by_voter in votes.items():
        for voter, runids in by_voter.items():
            case.assertEqual(len(set(runids)), 1,
                             f'{voter} voted for {runids} in epoch {epoch}\n{log.dump()}')
            runid = runids[0]
            candidate = ens.label_of_id.get(runid)
            case.assertIsNotNone(candidate, f'{voter} voted for unknown {runid}\n{log.dump()}')
            case.assertEqual(by_voter.get(candidate, [None])[0], runid,
                             f'{voter} voted for {candidate} in epoch {epoch}, which was no '
                             f'candidate in it\n{log.dump()}')
    elected = log.events('+elected-leader')
    case.assertTrue(elected, f'no leader elected\n{log.dump()}')
    epochs = []
    for at, leader, _, _ in elected:
        leader_id = ens.myid[leader]
        own = [e for e in log.events('+vote-for-leader', leader)
               if e[0] <= at and e[3].split()[0] == leader_id]
        case.assertTrue(own, f'{leader} was elected without voting for itself\n{log.dump()}')
        epoch = int(own[-1][3].split()[1])
        case.assertNotIn(epoch, [e for _, e in epochs],
                         f'two leaders in epoch {epoch}: {epochs}, {leader}\n{log.dump()}')
        backers = [v for v, runids in votes[epoch].items() if runids[0] == leader_id]
        case.assertGreaterEqual(len(backers), max(MAJORITY, QUORUM),
                                f'{leader} elected in epoch {epoch} with the votes of '
                                f'{backers}\n{log.dump()}')
        epochs.append((leader, epoch))
    case.assertIn(epochs[0][0], want_labels, f'the wrong watcher won\n{log.dump()}')
    return epochs[0]


class InteropElectionTest(IntegrationCase):
    """Each test builds its own ensemble: an election changes epochs and, for redis-sentinel
    leaders, the primary, so nothing is shared between tests."""

    def test_vigil_elected_with_redis_sentinel_votes(self):
        """The SUT wins. Fairness: every watcher keeps down-after 1000 ms, detects SDOWN on its
        own clock, answers IS-MASTER-DOWN-BY-ADDR and votes as usual. Only the redis-sentinels'
        ask-period (SENTINEL DEBUG) is raised so that they do not poll peers, hence cannot reach
        ODOWN and become candidates before the SUT; it is set back to 1000 ms once a leader is
        elected. vigil then fails over at once and the redis-sentinels follow its config; a
        redis-sentinel in the SUT seat (VIGIL_SUT=redis-sentinel) is held back as in the other
        test so that everyone reports ODOWN first."""
        ens = Ensemble(self)
        ens.wait_gossip(self)
        for w in ens.refs:
            self.assertEqual(to_py(w.call('SENTINEL', 'DEBUG', 'ask-period',
                                          str(SLOW_ASK_PERIOD_MS))), 'OK')
        ens.fleet.primary.kill9()
        # vigil completes the failover within milliseconds of its election, before the slowed
        # redis-sentinels can report ODOWN on the old primary: they must follow its new config
        # instead. A redis-sentinel in the SUT seat promotes only after its INFO poll, so there
        # the promotion is held until all three reported ODOWN, as in the other test.
        fast_sut = ens.sut.is_vigil
        if not fast_sut:
            self.hold_promotion(ens)
        ens.wait_event(self, '+elected-leader', None, ELECTION_TIMEOUT_S, 'a leader')
        for w in ens.refs:
            self.assertEqual(to_py(w.call('SENTINEL', 'DEBUG', 'ask-period',
                                          str(ASK_PERIOD_MS))), 'OK')
        if fast_sut:
            ens.wait_event(self, '+odown', {ens.sut_label}, ODOWN_TIMEOUT_S,
                           f'+odown from {ens.sut_label}')
            for label in ens.ref_labels:
                ens.wait_event(self, '+switch-master', {label}, FAILOVER_TIMEOUT_S,
                               f'+switch-master from {label} (following the SUT\'s failover)')
        else:
            ens.wait_odown_everywhere(self)
            self.release_promotion(ens)
        leader, epoch = check_election(self, ens, {ens.sut_label})
        # No redis-sentinel could be a candidate first, and a candidate asks every peer at once:
        # so all three vote for the SUT in its epoch, and nobody else is ever elected.
        leader_id = ens.myid[leader]
        all_for_leader = {label: [leader_id] for label in ens.myid}
        try:
            wait_for(lambda: votes_by_epoch(ens.log).get(epoch) == all_for_leader, 5.0,
                     f'all three to vote for {leader} in epoch {epoch}')
        except AssertionError as exc:
            self.fail(f'{exc}\n{ens.log.dump()}')
        self.assertEqual(len(ens.log.events('+elected-leader')), 1, ens.log.dump())
        if ens.sut.is_vigil:
            wait_for(lambda: f'event=elected group={MASTER} epoch={epoch}' in ens.sut.log_text(),
                     5.0, 'vigil to log event=elected')

    def test_redis_sentinel_elected_with_vigil_vote(self):
        """A redis-sentinel wins. The SUT is frozen (SIGSTOP) from just before the kill until a
        redis-sentinel has started its attempt (+try-failover), so the SUT cannot be first; when
        it resumes it finds that candidate's vote request waiting and answers it like any slow
        voter, then must detect SDOWN and ODOWN on its own. The promotion is held until all three
        report ODOWN (see hold_promotion), then the redis-sentinel leader completes a real
        failover that the SUT follows through the hellos."""
        if SUT != 'vigil':
            self.skipTest('a redis-sentinel frozen for ~1.5 s may enter TILT and stop judging')
        ens = Ensemble(self)
        ens.wait_gossip(self)
        ens.freeze(ens.sut)
        ens.fleet.primary.kill9()
        self.hold_promotion(ens, labels=ens.ref_labels)
        time.sleep(0.2)   # not a check: lets the candidate's vote request reach the SUT's socket
        ens.thaw(ens.sut)
        ens.wait_event(self, '+elected-leader', None, ELECTION_TIMEOUT_S, 'a leader')
        ens.wait_odown_everywhere(self)
        self.release_promotion(ens)
        leader, epoch = check_election(self, ens, ens.ref_labels)
        votes = votes_by_epoch(ens.log)
        self.assertEqual(votes[epoch].get(ens.sut_label), [ens.myid[leader]],
                         f'the SUT should have voted for {leader} in epoch {epoch}\n'
                         f'{ens.log.dump()}')
        self.wait_same_new_primary(ens)

    # -- helpers -----------------------------------------------------------------------------

    def hold_promotion(self, ens, labels=None):
        """Freeze both replicas as soon as a candidate appears (+try-failover), so that a
        redis-sentinel leader cannot complete the promotion, and so move the primary away,
        before every watcher has reported ODOWN for the old one. Selection still works: the
        replicas are frozen for far less than down-after when the leader picks one."""
        ens.wait_event(self, '+try-failover', labels, ELECTION_TIMEOUT_S, 'a candidate')
        for r in ens.fleet.replicas:
            ens.freeze(r)

    def release_promotion(self, ens):
        for r in ens.fleet.replicas:
            ens.thaw(r)

    def wait_same_new_primary(self, ens):
        replica_ports = {r.port for r in ens.fleet.replicas}
        seen = {}

        def agreed():
            for w in ens.watchers:
                addr = to_py(w.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER))
                seen[ens.label[id(w)]] = addr
            ports = {int(a[1]) for a in seen.values()}
            return len(ports) == 1 and ports <= replica_ports
        try:
            wait_for(agreed, FAILOVER_TIMEOUT_S, 'all three to report the promoted replica')
        except AssertionError as exc:
            self.fail(f'{exc}: {seen}\n{ens.log.dump()}')
        for label in ens.myid:
            ens.wait_event(self, '+switch-master', {label}, FAILOVER_TIMEOUT_S,
                           f'+switch-master from {label}')


if __name__ == '__main__':
    unittest.main()
