#!/usr/bin/python3
"""Capture raw INFO replies (exact bulk bytes, CRLF) from redis-server 7.0.15 on ports 31100-31104."""
import os, re, socket, subprocess, sys, time, tempfile

OUT = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="infocap.", dir="/tmp")
procs = {}

def start(port, *extra):
    d = os.path.join(tmp, str(port)); os.makedirs(d)
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", d, "--logfile", os.path.join(d, "log")] + list(extra))
    procs[port] = p

def info(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"*1\r\n$4\r\nINFO\r\n")
    buf = b""
    while b"\r\n" not in buf:
        buf += s.recv(65536)
    hdr, rest = buf.split(b"\r\n", 1)
    assert hdr.startswith(b"$"), hdr
    n = int(hdr[1:])
    while len(rest) < n + 2:
        rest += s.recv(65536)
    s.close()
    return rest[:n]

def wait_for(port, needle, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        try:
            t = info(port)
            if all(x in t for x in needle):
                return t
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("timeout waiting on %d for %r" % (port, needle))

def cmd(port, *args):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    s.sendall(req)
    s.recv(65536)
    s.close()

def wait_re(port, pattern, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        t = info(port)
        if re.search(pattern, t, re.S):
            return t
        time.sleep(0.1)
    raise SystemExit("timeout waiting on %d for %r" % (port, pattern))

def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print("wrote", name, len(data))

try:
    start(31100)
    wait_for(31100, [b"role:master"])
    start(31101, "--replicaof", "127.0.0.1", "31100")
    start(31102, "--replicaof", "127.0.0.1", "31100")
    wait_for(31101, [b"master_link_status:up"])
    wait_for(31102, [b"master_link_status:up"])
    for i in range(20):
        cmd(31100, b"SET", b"key:%d" % i, b"value-%d" % i)
    save("info_primary_two_replicas.txt",
         wait_re(31100, rb"connected_slaves:2.*slave0:ip=[^\r]*state=online,offset=[1-9].*slave1:ip=[^\r]*state=online,offset=[1-9]"))
    save("info_replica_connected.txt", wait_re(31101, rb"master_link_status:up.*slave_repl_offset:[1-9]"))
    start(31103, "--replicaof", "127.0.0.1", "31100", "--replica-priority", "0",
          "--replica-announced", "no")
    save("info_replica_priority0_unannounced.txt", wait_for(31103, [b"master_link_status:up"]))
    start(31104, "--replicaof", "127.0.0.1", "31149")
    save("info_replica_never_linked.txt",
         wait_for(31104, [b"master_link_down_since_seconds:-1"]))
    procs[31100].terminate(); procs[31100].wait()
    time.sleep(3.2)
    save("info_replica_primary_down.txt",
         wait_for(31101, [b"master_link_status:down", b"master_link_down_since_seconds:"]))
finally:
    for port, p in procs.items():
        if p.poll() is None:
            p.terminate()
            p.wait()
