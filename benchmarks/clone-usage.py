#!/usr/bin/env python3
"""Per volume, by file system: volumed's batch of N sparse volumes, made by cloning where it clones
(ext2/3/4) and by mkfs (every fs; for ext, `mkfsArgs: ["-U", "random"]` keeps mkfs, with the UUID
mke2fs makes anyway). For each: wall time of the batch with `sync` (ms per volume), the pool file
system's free space before and after (KiB per volume: what the volumes really take, shared blocks
counted once) and st_blocks (KiB per volume: shared blocks counted in every file).

Builds nothing: it expects target/volumed.jar (`mvn -q -DskipTests package`). Run as root where
the pool is on a loop-mounted file system.

  python3 benchmarks/clone-usage.py [--dir DIR] [-n 100] [--fs ext4,ext3,ext2,xfs,btrfs,vfat,swap] [--rounds 3]
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Volumed:
    def __init__(self, jar, scratch):
        self.pool = os.path.join(scratch, "pool")
        self.sock = os.path.join(scratch, "volumed.sock")
        conf = os.path.join(scratch, "volumed.conf")
        with open(conf, "w") as f:
            f.write('volumed { socket.path = %s\n pools.default { path = %s\n reserved-percent = 0\n'
                    ' max-overcommit-ratio = 1000\n } }\n' % (json.dumps(self.sock), json.dumps(self.pool)))
        self.proc = subprocess.Popen(["java", "-jar", jar, "--config", conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(scratch, "volumed.log"), "w"))
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request({"op": "ping"}).get("ok"):
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("volumed did not start; see " + scratch)
            time.sleep(0.1)

    def request(self, req):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.sock)
            f = s.makefile("rwb")
            f.write((json.dumps(req) + "\n").encode())
            f.flush()
            return json.loads(f.readline())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def free(path):
    st = os.statvfs(path)
    return st.f_bfree * st.f_frsize


def settle(path):
    """Free space once it stops changing: deleted files are freed in the background (xfs inodegc)."""
    last = None
    for _ in range(30):
        subprocess.run(["sync"])
        now = free(path)
        if now == last:
            return now
        last = now
        time.sleep(1)
    return last


def run(vd, fs, n, tag, extra):
    names = ["%s-%s-%d.img" % (fs, tag, i) for i in range(n)]
    volumes = [dict({"name": v, "size": "10G", "fs": fs}, **extra) for v in names]
    before = settle(vd.pool)
    t0 = time.monotonic()
    reply = vd.request({"op": "batch", "pool": "default", "volumes": volumes})
    subprocess.run(["sync"])
    wall = time.monotonic() - t0
    if not reply.get("ok") or len(reply["result"]["created"]) != n:
        sys.exit("batch failed: " + json.dumps(reply)[:1000])
    used = before - settle(vd.pool)
    blocks = sum(os.stat(os.path.join(vd.pool, v)).st_blocks * 512 for v in names)
    for v in names:
        vd.request({"op": "delete", "pool": "default", "name": v})
    return wall * 1000 / n, used / n / 1024, blocks / n / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.path.join(ROOT, "target"))
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fs", default="ext4,ext3,ext2,xfs,btrfs,vfat,swap")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "volumed.jar"))
    a = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="clone-usage-", dir=a.dir)
    vd = Volumed(a.jar, scratch)
    try:
        ways = []
        for fs in a.fs.split(","):
            if fs.startswith("ext"):
                ways.append((fs, "clone", {}))
            ways.append((fs, "mkfs", {"mkfsArgs": ["-U", "random"]} if fs.startswith("ext") else {}))
        for fs, tag, extra in ways:  # warm-up: makes the templates, warms the JIT
            run(vd, fs, 8, "warm-" + tag, extra)
        results = {}
        for r in range(a.rounds):  # interleaved rounds
            for fs, tag, extra in ways:
                results.setdefault((fs, tag), []).append(run(vd, fs, a.n, tag, extra))
        print("# %d sparse 10 GiB volumes per batch, median of %d interleaved rounds, sync included; pool on %s"
              % (a.n, a.rounds, subprocess.run(["stat", "-f", "-c", "%T", a.dir], capture_output=True,
                                               text=True).stdout.strip()))
        print("%-6s %-6s %12s %16s %16s" % ("fs", "made", "ms/volume", "KiB/vol (free)", "KiB/vol (blocks)"))
        for (fs, tag), rs in results.items():
            print("%-6s %-6s %12.2f %16.1f %16.1f" % (fs, tag, statistics.median(x[0] for x in rs),
                                                      statistics.median(x[1] for x in rs),
                                                      statistics.median(x[2] for x in rs)))
    finally:
        vd.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
