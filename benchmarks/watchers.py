#!/usr/bin/env python3
"""Create latency with 0 and with 1,000 watchers connected.

volumed is started once (from target/volumed.jar) with room for 1,100 connections. Rounds
alternate: N creates with no watcher, then N creates while a separate process holds W
connections, each with a `watch` op, and reads every event they get (selectors, one thread), then
again without, and so on. Each create is one request on one client connection, one at a time: a
1 MiB sparse image with fs "none" (no mkfs, so what is measured is volumed's own path: decode,
ledger, truncate, fsync, rename, reply, and the publishing of the `created` event); each is
deleted after its round, outside the timing. Reported per round kind: median, p90, p99 and
mean, in ms, and how many events the watchers read.

Builds nothing: it expects target/volumed.jar (`mvn -q -DskipTests package` in the root).
Needs python3 >= 3.9, java 17. Uses a scratch folder under --dir (default /tmp).

  python3 benchmarks/watchers.py [-n 300] [--watchers 1000] [--rounds 2] [--mode read|idle] [--dir /tmp]
"""

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hold_watchers(sock_path, n, idle):
    """The child process: n watch connections; prints READY once each has its first event, then reads
    every event (or, idle, none at all) until stdin closes."""
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        s.sendall(json.dumps({"id": "w%d" % i, "op": "watch"}).encode() + b"\n")
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        conns.append(s)
    sel.register(sys.stdin, selectors.EVENT_READ)
    lines = 0
    first = 0
    ready = False
    while True:
        for key, _ in sel.select(timeout=1):
            if key.fileobj is sys.stdin:
                if not sys.stdin.readline():
                    print("LINES %d" % lines, flush=True)
                    return
                continue
            try:
                data = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fileobj)
                continue
            count = data.count(b"\n")
            lines += count
            if not ready:
                first += count
            elif idle:
                sel.unregister(key.fileobj)  # never read again: its events pile up, then are dropped
        if not ready and first >= n:  # every watcher has its first pool event: all subscribed
            ready = True
            print("READY", flush=True)


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.n = 0

    def request(self, req):
        self.n += 1
        req["id"] = self.n
        self.s.sendall(json.dumps(req).encode() + b"\n")
        while True:
            reply = json.loads(self.f.readline())
            if "event" not in reply:
                return reply


def creates(client, tag, n):
    times = []
    for i in range(n):
        start = time.perf_counter()
        reply = client.request({"op": "create", "name": "%s/v%d" % (tag, i), "size": "1M", "fs": "none"})
        times.append((time.perf_counter() - start) * 1000)
        if not reply.get("ok"):
            sys.exit("create refused: %s" % reply)
    for i in range(n):
        client.request({"op": "delete", "name": "%s/v%d" % (tag, i)})
    return times


def summary(times):
    s = sorted(times)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return "n=%d median %.2f ms, p90 %.2f ms, p99 %.2f ms, mean %.2f ms" % (
        len(s), statistics.median(s), pick(0.90), pick(0.99), statistics.fmean(s))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--hold":
        hold_watchers(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "idle")
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--watchers", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--mode", choices=["read", "idle"], default="read",
                    help="read: the watchers read every event; idle: they never read after their first")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "volumed.jar"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="volumed-watchers-", dir=args.dir)
    sock = os.path.join(work, "volumed.sock")
    conns = args.watchers + 100
    with open(os.path.join(work, "volumed.conf"), "w") as conf:
        conf.write("\n".join([
            'volumed.socket.path = "%s"' % sock,
            'volumed.pools.default.path = "%s"' % os.path.join(work, "pool"),
            "volumed.socket.max-connections = %d" % conns,
            "volumed.socket.max-connections-per-uid = %d" % conns,
            "volumed.socket-dispatcher.thread-pool-executor.fixed-pool-size = %d" % (2 * conns + 1),
            'akka.loglevel = "WARNING"', ""]))
    log = open(os.path.join(work, "volumed.log"), "w")
    daemon = subprocess.Popen(["java", "-Xmx1g", "-cp", args.jar, "dev.volumed.Main", "--config",
                               os.path.join(work, "volumed.conf")], stdout=log, stderr=subprocess.STDOUT)
    try:
        client = None
        for _ in range(600):
            try:
                client = Client(sock)
                if client.request({"op": "ping"}).get("ok"):
                    break
            except OSError:
                time.sleep(0.1)
        if client is None:
            sys.exit("volumed did not start; see its log in " + work)
        creates(client, "warmup", args.n)  # JIT and page cache, not reported
        results = {0: [], args.watchers: []}
        events = 0
        for r in range(args.rounds):
            for watchers in (0, args.watchers):
                holder = None
                if watchers:
                    holder = subprocess.Popen([sys.executable, __file__, "--hold", sock, str(watchers), args.mode],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                    if holder.stdout.readline().strip() != "READY":
                        sys.exit("the watchers did not start")
                results[watchers] += creates(client, "r%d-w%d" % (r, watchers), args.n)
                if holder:
                    holder.stdin.close()
                    events += int(holder.stdout.readline().split()[1])
                    holder.wait()
        print("volumed create latency, %d sequential creates per round, %d rounds, 1 MiB sparse fs none,"
              " watchers that %s" % (args.n, args.rounds, "read every event" if args.mode == "read" else "never read"))
        print("  0 watchers:     " + summary(results[0]))
        print("  %d watchers: " % args.watchers + summary(results[args.watchers]))
        print("  lines read by the watchers: %d (%d per watcher)" % (events, events // max(1, args.watchers)))
        print("  host: %d cores, %s" % (os.cpu_count(), os.uname().release))
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        log.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
