#!/usr/bin/env python3
"""preallocate and the in-use scan, against a real volumed started from target/volumed.jar.

  1. get (which scans /proc for what holds the image open) vs list (no scan): latency of 200 of
     each on one connection, after 20 to warm up; the host's process and descriptor counts are
     printed beside them, since the scan's cost grows with them.
  2. preallocate of a sparse raw image of --gib GiB: fallocate, then fallocate -> full, then a
     fresh sparse image straight to full; each followed by sync inside the timing; --rounds times.
  3. full of a 1 GiB sparse image with volumed.io.max-write-bytes-per-second = 100M (pacing).

Builds nothing: run `mvn -q -DskipTests package` first. Needs python3 >= 3.9 and java 17.

  python3 benchmarks/preallocate.py [--gib 4] [--rounds 3] [--dir target] [--jar target/volumed.jar]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Daemon:
    def __init__(self, jar, work, extra=""):
        self.sock = os.path.join(work, "volumed.sock")
        conf = os.path.join(work, "volumed.conf")
        with open(conf, "w") as f:
            f.write('volumed.socket.path = "%s"\nvolumed.pools.default.path = "%s"\n'
                    'volumed.pools.default.reserved-percent = 0\n%s\n' % (self.sock, os.path.join(work, "pool"), extra))
        self.log = open(os.path.join(work, "volumed.log"), "ab")
        self.proc = subprocess.Popen(["java", "-Xmx512m", "-jar", jar, "--config", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                self.connect()
                if self.request({"op": "list"}).get("ok"):
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("volumed did not start; see " + self.log.name)
            time.sleep(0.2)

    def connect(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(self.sock)
        self.f = self.s.makefile("r")

    def request(self, message):
        self.s.sendall((json.dumps(message) + "\n").encode())
        while True:
            reply = json.loads(self.f.readline())
            if "event" not in reply:
                return reply

    def must(self, message):
        reply = self.request(message)
        if not reply.get("ok"):
            raise SystemExit("refused: %s -> %s" % (message, reply))
        return reply["result"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(90)


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latency(d, message):
    for _ in range(20):
        d.must(message)
    samples = sorted(timed(lambda: d.must(message)) for _ in range(200))
    return samples[100] * 1e3, samples[180] * 1e3


def host_counts():
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    fds = 0
    for p in pids:
        try:
            fds += len(os.listdir("/proc/%s/fd" % p))
        except OSError:
            pass
    return len(pids), fds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gib", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default=os.path.join(ROOT, "target"))
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "volumed.jar"))
    args = ap.parse_args()
    size = "%dG" % args.gib
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="preallocate-bench-") as work:
        d = Daemon(args.jar, work)
        try:
            d.must({"op": "create", "name": "probe.img", "size": "16M", "fs": "none"})
            pids, fds = host_counts()
            get = latency(d, {"op": "get", "name": "probe.img"})
            lst = latency(d, {"op": "list"})
            print("host: %d processes, %d descriptors" % (pids, fds))
            print("| request | median ms | p90 ms |\n|---|---|---|")
            print("| get (holders scan) | %.2f | %.2f |" % get)
            print("| list (no scan) | %.2f | %.2f |" % lst)
            rows = {"fallocate": [], "fallocate -> full": [], "sparse -> full": []}
            for _ in range(args.rounds):
                d.must({"op": "create", "name": "a.img", "size": size, "fs": "none"})
                subprocess.run(["sync"])
                rows["fallocate"].append(timed(lambda: (d.must({"op": "preallocate", "name": "a.img"}),
                                                        subprocess.run(["sync"]))))
                rows["fallocate -> full"].append(timed(lambda: (d.must(
                    {"op": "preallocate", "name": "a.img", "mode": "full"}), subprocess.run(["sync"]))))
                d.must({"op": "delete", "name": "a.img"})
                d.must({"op": "create", "name": "a.img", "size": size, "fs": "none"})
                subprocess.run(["sync"])
                rows["sparse -> full"].append(timed(lambda: (d.must(
                    {"op": "preallocate", "name": "a.img", "mode": "full"}), subprocess.run(["sync"]))))
                d.must({"op": "delete", "name": "a.img"})
                subprocess.run(["sync"])
            print("\n| preallocate of %s | median s | min s | max s | s per GiB (median) |\n|---|---|---|---|---|" % size)
            for name, t in rows.items():
                print("| %s | %.2f | %.2f | %.2f | %.2f |" % (name, statistics.median(t), min(t), max(t),
                                                           statistics.median(t) / args.gib))
        finally:
            d.stop()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="preallocate-bench-") as work:
        d = Daemon(args.jar, work, 'volumed.io.max-write-bytes-per-second = "100M"')
        try:
            d.must({"op": "create", "name": "b.img", "size": "1G", "fs": "none"})
            t = timed(lambda: d.must({"op": "preallocate", "name": "b.img", "mode": "full"}))
            print("\npaced at 100 MiB/s: full of a sparse 1 GiB image in %.2f s (%.0f MiB/s)" % (t, 1024 / t))
        finally:
            d.stop()


if __name__ == "__main__":
    main()
