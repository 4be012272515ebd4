#!/usr/bin/env python3
"""Bulk load: N sparse 10 GiB ext4 images made four ways, interleaved over rounds.

  (a) volumed, one atomic `batch` op with the whole list, progress events on
  (b) volumed, 16 concurrent clients, each doing `create` one volume at a time
  (c) the shell loop volumed replaces, sequential:
        touch img; chattr +C img || true; truncate -s 10240M img; mkfs.ext4 -L label img
  (d) the same per-volume script under `xargs -P <nproc>`

Every run ends with `sync`, inside the timing. Between runs the images are deleted (volumed's
through its `delete` op) and `sync` runs, outside the timing, so each run starts from the same
state. volumed is started once, before the first run, and its start-up is not timed.

Builds nothing: it expects target/volumed.jar (`mvn -q -DskipTests package` in the root).
Needs: python3 >= 3.9, java 17, mkfs.ext4, truncate, chattr, xargs, bash. Run as a user that
may write the scratch directory (root is not required for ext4 images).

  python3 benchmarks/bulk-load.py [-n 200] [--rounds 3] [--dir target] [--jar target/volumed.jar]
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIB = 1024 ** 3
SIZE_BYTES = 10 * GIB
MIB = 1024 * 1024

# One volume of the shell baseline: microvm.nix's createVolumesScript shape (mkfs with its
# defaults), timed from inside with bash's $EPOCHREALTIME (no extra process) so (c) and (d)
# report per-volume latency. (c) sources it and loops in one bash; (d) runs it per volume.
PER_VOLUME = r'''
vol() {
  local img="$1" label="$2" s e
  s=$EPOCHREALTIME
  touch "$img"
  chattr +C "$img" 2>/dev/null || true
  truncate -s 10240M "$img"
  mkfs.ext4 -L "$label" "$img" >/dev/null 2>&1 || { echo "FAIL $label"; return 1; }
  e=$EPOCHREALTIME
  echo "T $label $s $e"
}
if [ $# -gt 0 ]; then vol "$@"; fi
'''


class Abort(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()


# ---------------------------------------------------------------------------------------------
# machine


def machine(scratch):
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    e2fs = subprocess.run(["mke2fs", "-V"], capture_output=True, text=True)
    e2fs = (e2fs.stderr or e2fs.stdout).splitlines()[0] if (e2fs.stderr or e2fs.stdout) else "?"
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    df = sh("df -hT %s | tail -1" % shlex_quote(scratch))
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    return [
        ("nproc", str(os.cpu_count())),
        ("cpu", cpu or "?"),
        ("memory", mem),
        ("kernel", platform.release()),
        ("scratch", scratch),
        ("scratch fs", sh("df --output=fstype %s | tail -1" % shlex_quote(scratch)) + "  (df: " + " ".join(df.split()) + ")"),
        ("e2fsprogs", e2fs),
        ("java", java[0] if java else "?"),
        ("load average", " ".join(open("/proc/loadavg").read().split()[:3])),
    ]


def shlex_quote(s):
    import shlex
    return shlex.quote(s)


# ---------------------------------------------------------------------------------------------
# volumed


class Volumed:
    def __init__(self, jar, scratch, format_parallelism=None):
        self.scratch = scratch
        self.pool = os.path.join(scratch, "pool")
        sock = os.path.join(scratch, "volumed.sock")
        if len(sock.encode()) > 100:  # AF_UNIX paths are limited to 108 bytes
            self.sockdir = tempfile.mkdtemp(prefix="vd-")
            sock = os.path.join(self.sockdir, "volumed.sock")
        else:
            self.sockdir = None
        self.sock = sock
        self.config = os.path.join(scratch, "volumed.conf")
        with open(self.config, "w") as f:
            f.write('volumed {\n'
                    '  socket.path = %s\n'
                    % json.dumps(sock))
            if format_parallelism is not None:
                f.write('  format.parallelism = %d\n' % format_parallelism)
            f.write('  pools.default {\n'
                    '    path = %s\n'
                    '    reserved-percent = 0\n'
                    '    max-overcommit-ratio = 1000.0\n'
                    '  }\n'
                    '}\n' % json.dumps(self.pool))
        self.logpath = os.path.join(scratch, "volumed.log")
        self.logfile = open(self.logpath, "w")
        self.proc = subprocess.Popen(["java", "-jar", jar, "--config", self.config],
                                     stdout=self.logfile, stderr=subprocess.STDOUT,
                                     cwd=scratch, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise Abort("volumed exited with %d at start-up; log:\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                if self.request({"op": "ping"}, timeout=5).get("ok"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise Abort("volumed did not answer ping within 60 s; log:\n" + self.log_tail())
            time.sleep(0.1)

    def log_tail(self, n=30):
        try:
            with open(self.logpath) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def connect(self, timeout=1800):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.sock)
        return s

    def request(self, req, timeout=1800):
        with self.connect(timeout) as s:
            f = s.makefile("rwb")
            f.write((json.dumps(req) + "\n").encode())
            f.flush()
            while True:
                line = f.readline()
                if not line:
                    raise Abort("volumed closed the connection before answering %s" % req.get("op"))
                msg = json.loads(line)
                if "event" not in msg:
                    return msg

    def delete_all(self, names, window=32):
        """Pipelines the deletes on one connection, at most `window` in flight (volumed answers
        OVERLOADED past volumed.socket.max-in-flight-per-connection); missing volumes are fine."""
        with self.connect() as s:
            f = s.makefile("rwb")
            sent = 0
            left = len(names)
            while left:
                while sent < len(names) and sent - (len(names) - left) < window:
                    f.write((json.dumps({"id": sent, "op": "delete", "pool": "default",
                                         "name": names[sent]}) + "\n").encode())
                    sent += 1
                f.flush()
                line = f.readline()
                if not line:
                    raise Abort("volumed closed the connection during deletes")
                msg = json.loads(line)
                if "event" in msg:
                    continue
                left -= 1
                if not msg.get("ok") and msg["error"]["code"] != "NOT_FOUND":
                    raise Abort("delete failed: %s" % msg)
        listed = self.request({"op": "list", "pool": "default"})
        if listed["result"]["volumes"]:
            raise Abort("volumes left after deleting: %s" % listed["result"]["volumes"][:3])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.logfile.close()
        if self.sockdir:
            shutil.rmtree(self.sockdir, ignore_errors=True)


def volume_args(i):
    return {"name": "bench/v%d.img" % i, "size": "10G", "fs": "ext4", "label": "v%d" % i,
            "allocation": "sparse"}


# ---------------------------------------------------------------------------------------------
# the four ways; each returns (wall seconds, per-volume latencies, completion times since start)


def run_batch(vd, n):
    req = {"id": 1, "op": "batch", "pool": "default", "volumes": [volume_args(i) for i in range(n)],
           "atomic": True, "progress": True}
    done_at = []
    t0 = time.monotonic()
    with vd.connect() as s:
        f = s.makefile("rwb")
        f.write((json.dumps(req) + "\n").encode())
        f.flush()
        while True:
            line = f.readline()
            if not line:
                raise Abort("volumed closed the connection during the batch")
            msg = json.loads(line)
            if "event" in msg:
                done_at.append(time.monotonic() - t0)
                continue
            break
    if not msg.get("ok"):
        raise Abort("batch failed: %s" % json.dumps(msg)[:2000])
    created = len(msg["result"]["created"])
    if created != n or msg["result"]["failed"]:
        raise Abort("batch created %d of %d: %s" % (created, n, json.dumps(msg["result"]["failed"])[:2000]))
    subprocess.run(["sync"], check=True)
    wall = time.monotonic() - t0
    # In a batch a volume's own latency is not observable: its progress event's arrival is.
    return wall, done_at, done_at


def run_clients(vd, n, clients=16):
    latencies = [None] * n
    done_at = [None] * n
    errors = []
    t0 = time.monotonic()

    def client(k):
        try:
            with vd.connect() as s:
                f = s.makefile("rwb")
                for i in range(k, n, clients):
                    req = dict(volume_args(i), id=i, op="create", pool="default")
                    a = time.monotonic()
                    f.write((json.dumps(req) + "\n").encode())
                    f.flush()
                    line = f.readline()
                    b = time.monotonic()
                    if not line:
                        raise Abort("connection closed")
                    msg = json.loads(line)
                    if not msg.get("ok"):
                        raise Abort("create %d failed: %s" % (i, msg))
                    latencies[i] = b - a
                    done_at[i] = b - t0
        except Exception as e:  # reported below, after every client has ended
            errors.append(e)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(3600)
    if errors or any(t.is_alive() for t in threads):
        raise Abort("concurrent creates failed: %s" % (errors[:3] or "a client hung"))
    subprocess.run(["sync"], check=True)
    wall = time.monotonic() - t0
    return wall, latencies, done_at


CURRENT_SHELL = []  # the running baseline, to be killed on Ctrl-C


def run_shell(dirpath, n, parallel):
    script = os.path.join(dirpath, "..", "per-volume.sh")
    with open(script, "w") as f:
        f.write(PER_VOLUME)
    if parallel:
        cmd = ("for i in $(seq 0 %d); do echo %s/v$i.img v$i; done | xargs -P %d -n 2 bash %s"
               % (n - 1, shlex_quote(dirpath), parallel, shlex_quote(script)))
    else:
        cmd = (". %s; for i in $(seq 0 %d); do vol %s/v$i.img v$i || exit 1; done"
               % (shlex_quote(script), n - 1, shlex_quote(dirpath)))
    t0_wall = time.time()
    t0 = time.monotonic()
    env = dict(os.environ, LC_ALL="C")  # $EPOCHREALTIME with a decimal point
    p = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.PIPE, text=True, start_new_session=True, env=env)
    CURRENT_SHELL.append(p)
    try:
        out, _ = p.communicate(timeout=3600)
    finally:
        CURRENT_SHELL.remove(p)
    if p.returncode != 0:
        raise Abort("shell baseline failed (%d): %s" % (p.returncode, out[-2000:]))
    subprocess.run(["sync"], check=True)
    wall = time.monotonic() - t0
    latencies, done_at = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "T":
            s, e = float(parts[2]), float(parts[3])
            latencies.append(e - s)
            done_at.append(e - t0_wall)
    if len(latencies) != n:
        raise Abort("shell baseline timed %d of %d volumes" % (len(latencies), n))
    return wall, latencies, done_at


# ---------------------------------------------------------------------------------------------


def written_mib(paths):
    return statistics.mean(os.stat(p).st_blocks * 512 for p in paths) / MIB


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(q / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--volumes", type=int, default=200, help="volumes per run (default 200)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of A B C D (default 3)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients in (b) (default 16)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="xargs -P in (d) (default nproc)")
    ap.add_argument("--warmup", type=int, default=8,
                    help="volumes of one untimed batch after start-up, to warm volumed's JIT (default 8; 0: none)")
    ap.add_argument("--dir", default=os.path.join(ROOT, "target"),
                    help="parent of the scratch directory; pool and baselines share it (default: target/)")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "volumed.jar"))
    ap.add_argument("--format-parallelism", type=int,
                    help="volumed's format.parallelism (volumes of one batch made at once); default: the"
                         " daemon's own default (0: one per core)")
    ap.add_argument("--ways", default="abcd", help="subset of abcd to run (default abcd)")
    ap.add_argument("--json", help="also write the raw figures to this file")
    args = ap.parse_args()
    if not os.path.isfile(args.jar):
        sys.exit("no %s: build it first with `mvn -q -DskipTests package` in %s" % (args.jar, ROOT))
    for tool in ("java", "mkfs.ext4", "truncate", "xargs", "sync"):
        if shutil.which(tool) is None:
            sys.exit("%s is not on PATH" % tool)
    if args.volumes < 1 or args.rounds < 1 or args.clients < 1:
        sys.exit("-n, --rounds and --clients must be positive")

    os.makedirs(args.dir, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="bulk-load-", dir=os.path.abspath(args.dir))
    shell_dir = os.path.join(scratch, "shell")
    os.makedirs(shell_dir)
    vd = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_signal)
    n = args.volumes
    names = ["bench/v%d.img" % i for i in range(n)]
    results = {w: [] for w in args.ways}
    try:
        print("# machine")
        for k, v in machine(scratch):
            print("%-13s %s" % (k + ":", v))
        print("volumes per run: %d x 10 GiB sparse ext4; rounds: %d; clients (b): %d; xargs -P (d): %d;"
              " volumed format.parallelism: %s"
              % (n, args.rounds, args.clients, args.jobs,
                 "default" if args.format_parallelism is None else args.format_parallelism))
        sys.stdout.flush()

        log("starting volumed ...")
        vd = Volumed(os.path.abspath(args.jar), scratch, args.format_parallelism)
        if args.warmup:
            warm = {"op": "batch", "pool": "default",
                    "volumes": [dict(volume_args(i), name="warmup/w%d.img" % i) for i in range(args.warmup)]}
            if not vd.request(warm).get("ok"):
                raise Abort("warm-up batch failed")
            vd.delete_all(["warmup/w%d.img" % i for i in range(args.warmup)])
        subprocess.run(["sync"], check=True)

        label = {"a": "(a) volumed batch", "b": "(b) volumed %d clients" % args.clients,
                 "c": "(c) shell loop", "d": "(d) xargs -P %d" % args.jobs}
        for r in range(args.rounds):
            for w in args.ways:
                log("round %d/%d: %s ..." % (r + 1, args.rounds, label[w]))
                if w == "a":
                    wall, lat, done_at = run_batch(vd, n)
                    paths = [os.path.join(vd.pool, x) for x in names]
                elif w == "b":
                    wall, lat, done_at = run_clients(vd, n, args.clients)
                    paths = [os.path.join(vd.pool, x) for x in names]
                else:
                    wall, lat, done_at = run_shell(shell_dir, n, args.jobs if w == "d" else 0)
                    paths = [os.path.join(shell_dir, "v%d.img" % i) for i in range(n)]
                mib = written_mib(paths)
                results[w].append({"wall": wall, "lat": lat, "done_at": done_at, "mib": mib})
                log("  %.2f s, %.1f volumes/s, %.2f MiB per volume" % (wall, n / wall, mib))
                # Back to the same state, outside the timing.
                if w in "ab":
                    vd.delete_all(names)
                else:
                    shutil.rmtree(shell_dir)
                    os.makedirs(shell_dir)
                subprocess.run(["sync"], check=True)

        report(results, label, n, args)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"n": n, "rounds": args.rounds, "machine": dict(machine(scratch)),
                           "results": results}, f)
    except Abort as e:
        print("bulk-load: %s" % e, file=sys.stderr)
        if vd:
            print("volumed log (tail):\n" + vd.log_tail(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bulk-load: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        for p in list(CURRENT_SHELL):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if vd:
            vd.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def report(results, label, n, args):
    med = {w: statistics.median(x["wall"] for x in rs) for w, rs in results.items()}
    print()
    print("# results: median over %d rounds; sync included in the wall time" % args.rounds)
    print("%-24s %9s %9s %9s %9s %11s %11s %9s" % ("way", "wall s", "vol/s", "lat p50", "lat p99",
                                                    "done p50", "done p99", "MiB/vol"))
    for w, rs in results.items():
        # Latency percentiles over every volume of every round.
        lat = [v for x in rs for v in x["lat"]]
        done_at = [v for x in rs for v in x["done_at"]]
        mib = statistics.mean(x["mib"] for x in rs)
        print("%-24s %9.2f %9.1f %9.3f %9.3f %11.2f %11.2f %9.2f" % (
            label[w], med[w], n / med[w], pct(lat, 50), pct(lat, 99), pct(done_at, 50), pct(done_at, 99), mib))
    print("walls per round: " + "; ".join("%s %s" % (w, " ".join("%.2f" % x["wall"] for x in rs))
                                          for w, rs in results.items()))
    print("lat: per volume ((a): progress event arrival since start; (b): request to reply;"
          " (c)/(d): the volume's own commands). done: completion since the run's start.")
    print()
    print("# volumed vs baselines (wall time ratio volumed/baseline; speed-up = baseline/volumed)")
    for v in "ab":
        for b in "cd":
            if v in med and b in med:
                print("%-24s vs %-18s ratio %.2f  speed-up %.2fx" % (label[v], label[b], med[v] / med[b], med[b] / med[v]))
    print()
    print("# targets (reported, not asserted)")
    if "a" in med and "d" in med:
        r = med["a"] / med["d"]
        print("batch wall <= 0.2 x xargs -P %d wall:   %.2f  %s" % (args.jobs, r, "met" if r <= 0.2 else "MISSED"))
    if "b" in med and "d" in med:
        r = med["b"] / med["d"]
        print("16 clients wall <= 0.4 x xargs -P %d wall: %.2f  %s" % (args.jobs, r, "met" if r <= 0.4 else "MISSED"))
    if "a" in med and "c" in med:
        s = med["c"] / med["a"]
        print("batch >= 1.8x faster than sequential: %.2fx %s" % (s, "met" if s >= 1.8 else "MISSED"))
    for v in "ab":
        if v in results:
            m = statistics.mean(x["mib"] for x in results[v])
            print("%s disk per volume <= 0.25 MiB: %.2f MiB %s" % (label[v], m, "met" if m <= 0.25 else "MISSED"))

if __name__ == "__main__":
    sys.exit(main())
