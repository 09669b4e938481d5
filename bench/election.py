#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Election benchmark: time from the first SDOWN of a killed primary to an elected leader, for 3
vigil watchers and for 3 redis-sentinel, alternating in one run, on real processes over loopback
(1 primary + 2 replicas, quorum 2, down-after 1000 ms, everything fresh for every run).

Times are arrival times (time.monotonic()) of the watchers' own events, read by this process
through PSUBSCRIBE * on every watcher: SDOWN = the first `+sdown master` of the run, elected = the
first `+elected-leader`. It starts and kills only its own processes (by PID, through
tests/integration/harness.py), uses only 127.0.0.1 ports it has checked and locked, and stops
after --max-seconds whatever happens. Usage: `make bench-election RUNS=20` or
`bench/election.py --runs 20 [--json FILE]`.
"""

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'integration'))

import harness  # noqa: E402
from harness import Fleet, Primary, make_tmpdir, make_watcher, wait_for  # noqa: E402
from resp import to_py  # noqa: E402

# Ports for the bench: below Linux's ephemeral range (32768-60999 by default), so that no outgoing
# connection can hold one of them when a server binds it, and apart from the integration suite's
# 32000-39999. Fresh ones every run, each checked free by binding it and flock'ed by the harness.
harness.PORT_MIN = 20000
harness.PORT_MAX = 24999

MASTER = 'mymaster'
DOWN_AFTER_MS = 1000
QUORUM = 2
WATCHERS = 3
KINDS = ('vigil', 'redis-sentinel')
GOSSIP_TIMEOUT_S = 20.0
ELECTION_TIMEOUT_S = 20.0
# After all watchers know each other: redis-sentinel counts its first ask period from the moment
# it learned a peer, so kill no sooner than that period (plus a random phase) after discovery.
SETTLE_MIN_S = 1.5
SETTLE_JITTER_S = 1.0


class Events:
    """PSUBSCRIBE * on each watcher; (arrival, watcher index, channel, payload)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.conns = []
        self.closing = False

    def attach(self, index, watcher):
        conn = watcher.resp(timeout_s=5.0)
        r = to_py(conn.call('PSUBSCRIBE', '*'))
        if r != ['psubscribe', '*', 1]:
            raise RuntimeError(f'PSUBSCRIBE * on watcher {index}: {r!r}')
        self.conns.append(conn)
        threading.Thread(target=self._read, args=(index, conn), daemon=True).start()

    def _read(self, index, conn):
        while True:
            try:
                r = conn.read(timeout_s=3600.0)
            except Exception:  # noqa: BLE001 - closed at the end of the run
                return
            at = time.monotonic()
            msg = to_py(r)
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 'pmessage':
                with self.lock:
                    self.items.append((at, index, msg[2], msg[3]))

    def select(self, channel, prefix=''):
        with self.lock:
            return [e for e in self.items if e[2] == channel and e[3].startswith(prefix)]

    def select_all(self):
        with self.lock:
            return list(self.items)

    def close(self):
        self.closing = True
        for conn in self.conns:
            try:
                conn.sock.shutdown(2)
            except OSError:
                pass
            conn.close()


def gossip_done(watchers):
    for w in watchers:
        if len(w.call('SENTINEL', 'SENTINELS', MASTER).v) != WATCHERS - 1:
            return False
        master = w.call('SENTINEL', 'MASTER', MASTER).v
        flat = [to_py(x) for x in master]
        if str(dict(zip(flat[::2], flat[1::2])).get('num-slaves')) != '2':
            return False
    return True


def one_run(kind, index, start_spread_s):
    """Start everything fresh, kill the primary, return a dict of timings (seconds)."""
    ports = harness.alloc_ports(3 + WATCHERS)
    tmp = make_tmpdir(f'bench-{kind}-{index}')
    fleet = Fleet(tmp, ports[:3])
    primary = Primary(MASTER, ports[0], quorum=QUORUM, down_after_ms=DOWN_AFTER_MS)
    watchers = [make_watcher(kind, tmp, p, [primary]) for p in ports[3:3 + WATCHERS]]
    events = Events()
    try:
        fleet.start()
        for n, w in enumerate(watchers):
            if n > 0:
                time.sleep(random.random() * start_spread_s)   # random PING phases
            w.start()
        wait_for(lambda: gossip_done(watchers), GOSSIP_TIMEOUT_S, 'gossip')
        for i, w in enumerate(watchers):
            events.attach(i, w)
        time.sleep(SETTLE_MIN_S + random.random() * SETTLE_JITTER_S)
        sdown = f'master {MASTER} '
        t_kill = time.monotonic()
        fleet.primary.kill9()
        wait_for(lambda: events.select('+elected-leader'), ELECTION_TIMEOUT_S, 'a leader',
                 interval_s=0.01)
        return timings(events, t_kill, sdown)
    finally:
        events.close()
        for w in watchers:
            try:
                w.stop()
            except AssertionError as exc:
                print(f'warning: {exc}', file=sys.stderr)
        fleet.stop()
        for port in ports:
            harness._release(port)   # keep the number of open lock files bounded


def timings(events, t_kill, sdown):
    first_per_watcher = {}
    for at, idx, _, _ in events.select('+sdown', sdown):
        first_per_watcher.setdefault(idx, at)
    sd = sorted(first_per_watcher.values())
    t_elected, leader, _, _ = events.select('+elected-leader')[0]
    odown = [e[0] for e in events.select('+odown')]
    tries = [e[0] for e in events.select('+try-failover') if e[0] <= t_elected]
    own_tries = [e[0] for e in events.select('+try-failover') if e[1] == leader and
                 e[0] <= t_elected]
    return {
        'kill_to_sdown': sd[0] - t_kill,
        'kill_to_elected': t_elected - t_kill,
        'sdown_to_elected': t_elected - sd[0],
        'sdown_to_quorum_sdown': (sd[QUORUM - 1] - sd[0]) if len(sd) >= QUORUM else None,
        'sdown_to_odown': (min(odown) - sd[0]) if odown else None,
        'odown_to_try': (min(tries) - min(odown)) if odown and tries else None,
        'try_to_elected': (t_elected - own_tries[-1]) if own_tries else None,
        'attempts': len(tries),
        'aborts': len([e for e in events.select('-failover-abort-not-elected')
                       if e[0] <= t_elected]),
        'events': [(round(at - t_kill, 4), idx, ch, payload) for at, idx, ch, payload
                   in events.select_all() if ch != '__sentinel__:hello'],
    }


def pct(values, p):
    """Nearest-rank percentile (p99 of 20 samples is the largest)."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def summary(results):
    out = {}
    for kind in KINDS:
        ok = [r for r in results[kind] if 'error' not in r]
        xs = [r['sdown_to_elected'] * 1000 for r in ok]
        entry = {'runs': len(results[kind]), 'failed': len(results[kind]) - len(ok)}
        if xs:
            entry.update(min_ms=min(xs), median_ms=statistics.median(xs), p99_ms=pct(xs, 99),
                         max_ms=max(xs), contested=sum(r['attempts'] > 1 for r in ok),
                         aborted=sum(r['aborts'] > 0 for r in ok))
            for key in ('kill_to_elected', 'kill_to_sdown', 'sdown_to_quorum_sdown',
                        'sdown_to_odown', 'odown_to_try', 'try_to_elected'):
                vals = [r[key] * 1000 for r in ok if r[key] is not None]
                entry[f'{key}_median_ms'] = statistics.median(vals) if vals else None
                entry[f'{key}_p99_ms'] = pct(vals, 99) if vals else None
        out[kind] = entry
    return out


def fmt(v):
    return '-' if v is None else f'{v:.0f}'


def print_tables(s):
    print('\nSDOWN -> elected leader (ms), 3 watchers, quorum 2, down-after 1000 ms\n')
    print('| watchers | runs | failed | min | median | p99 | max | contested | aborted |')
    print('|---|---|---|---|---|---|---|---|---|')
    for kind in KINDS:
        e = s[kind]
        print(f'| 3 x {kind} | {e["runs"]} | {e["failed"]} | {fmt(e.get("min_ms"))} | '
              f'{fmt(e.get("median_ms"))} | {fmt(e.get("p99_ms"))} | {fmt(e.get("max_ms"))} | '
              f'{e.get("contested", "-")} | {e.get("aborted", "-")} |')
    print('\ncontested: runs with more than one +try-failover before the leader was elected;'
          '\naborted: runs where an attempt ended in -failover-abort-not-elected first.')
    v, r = s['vigil'], s['redis-sentinel']
    if v.get('median_ms') and r.get('median_ms'):
        print(f'\nratio redis-sentinel / vigil: median {r["median_ms"] / v["median_ms"]:.2f}, '
              f'p99 {r["p99_ms"] / v["p99_ms"]:.2f}')
    print('\nWhere the time goes (median / p99, ms; phases measured from the first +sdown)\n')
    print('| phase | vigil | redis-sentinel |')
    print('|---|---|---|')
    names = [('kill_to_elected', 'kill -9 -> +elected-leader (not in the figure above)'),
             ('kill_to_sdown', 'kill -9 -> first +sdown (not in the figure above)'),
             ('sdown_to_quorum_sdown', 'first +sdown -> quorum-th watcher\'s own +sdown'),
             ('sdown_to_odown', 'first +sdown -> first +odown'),
             ('odown_to_try', 'first +odown -> first +try-failover'),
             ('try_to_elected', 'leader\'s own last +try-failover -> +elected-leader')]
    for key, label in names:
        cells = [f'{fmt(s[k].get(key + "_median_ms"))} / {fmt(s[k].get(key + "_p99_ms"))}'
                 for k in KINDS]
        print(f'| {label} | {cells[0]} | {cells[1]} |')


def snapshot_vigil():
    """Run a private copy of the vigil binary, so that a rebuild during the bench cannot mix two
    versions in one set of figures; its sha256 goes into the results."""
    src = Path(harness.VIGIL)
    if not os.access(src, os.X_OK):
        raise SystemExit(f'vigil binary not found: {src} (run `make`)')
    dst = make_tmpdir('bench-bin') / 'vigil'
    shutil.copy2(src, dst)
    harness.VIGIL = str(dst)
    return src, hashlib.sha256(dst.read_bytes()).hexdigest()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=20, help='runs per kind (default 20)')
    ap.add_argument('--start-spread-ms', type=float, default=1000.0,
                    help='start each watcher a random 0..N ms after the previous one, so that '
                         'their PING phases differ as in a real deployment (default 1000)')
    ap.add_argument('--json', help='write raw results and the summary to this file')
    ap.add_argument('--max-seconds', type=float, default=None,
                    help='stop starting runs after this long (default 60 + 30 per run)')
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error('--runs must be >= 1')
    budget = args.max_seconds if args.max_seconds is not None else 60 + 30 * 2 * args.runs
    deadline = time.monotonic() + budget
    vigil_src, vigil_sha = snapshot_vigil()
    print(f'vigil: {vigil_src} sha256 {vigil_sha[:16]}', flush=True)
    results = {k: [] for k in KINDS}
    for i in range(args.runs):
        order = KINDS if i % 2 == 0 else KINDS[::-1]
        for kind in order:
            if time.monotonic() > deadline:
                print(f'time budget of {budget:.0f}s spent: stopping early', file=sys.stderr)
                break
            try:
                r = one_run(kind, i, args.start_spread_ms / 1000.0)
            except (AssertionError, RuntimeError, OSError) as exc:
                r = {'error': str(exc)[:500]}
            results[kind].append(r)
            shown = fmt(r['sdown_to_elected'] * 1000) + ' ms' if 'error' not in r else r['error']
            print(f'run {i + 1:3d} {kind:15s} {shown}', flush=True)
    s = summary(results)
    print_tables(s)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        settings = {'runs': args.runs, 'start_spread_ms': args.start_spread_ms,
                    'down_after_ms': DOWN_AFTER_MS, 'quorum': QUORUM, 'watchers': WATCHERS,
                    'vigil': str(vigil_src), 'vigil_sha256': vigil_sha, 'cpus': os.cpu_count()}
        Path(args.json).write_text(json.dumps({'settings': settings, 'summary': s,
                                               'runs': results}, indent=1) + '\n')
    return 0 if all(s[k]['failed'] == 0 and s[k]['runs'] > 0 for k in KINDS) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
