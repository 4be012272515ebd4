#!/usr/bin/env python3
"""Scale: one batch of N volumes, then start-up with N volumes, `list` and `pools` of N.

Per round and per shape (interleaved: r1 none, r1 ext4, r2 none, ...), on a fresh temp pool:
  1. start volumed through the packaged launcher bin/volumed (its JVM flags, unless --java-opts
     sets VOLUMED_JAVA_OPTS) with a temp config: the packaged defaults but the socket, one pool
     and that pool's reserved-percent/max-overcommit-ratio (so N volumes fit the books);
  2. one atomic `batch` of N sparse volumes (fs none 1 MiB, or ext4 16 MiB), one request, no
     progress events; wall time from sending to the answer (for ext4 also with `sync` after);
     peak RSS of the volumed process during it: VmHWM from /proc/PID/status at the end, and the
     highest VmRSS seen polling every 50 ms;
  3. SIGTERM (time to exit), start again; ready = from Popen to the first successful `ping`
     (polled every 20 ms), and VmRSS then;
  4. the first `list` after ready, then `list` x5 and `pools` x5 (medians).

Builds nothing: expects target/volumed.jar (`mvn -q -DskipTests package` in the root).
Needs python3 >= 3.9, java 17, bash; mkfs.ext4 for --fs ext4.

  python3 benchmarks/scale.py [-n 10000] [--rounds 3] [--fs none,ext4] [--dir /tmp]
                              [--java-opts '-Xmx256m ...'] [--out FILE]
"""

import argparse
import json
import os
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
LAUNCHER = os.path.join(ROOT, "bin", "volumed")
SHAPES = {"none": ("none", "1M"), "ext4": ("ext4", "16M")}

OUT = []


def say(msg):
    print(msg, flush=True)
    OUT.append(msg)


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def cpu_seconds(pid):
    """utime + stime of the process so far (all its threads), from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Abort(Exception):
    pass


class Volumed:
    def __init__(self, scratch, java_opts):
        self.scratch = scratch
        self.java_opts = java_opts
        self.pool = os.path.join(scratch, "pool")
        self.sock = os.path.join(scratch, "volumed.sock")
        if len(self.sock.encode()) > 100:
            raise Abort("socket path too long: " + self.sock)
        self.config = os.path.join(scratch, "volumed.conf")
        with open(self.config, "w") as f:
            f.write('volumed {\n  socket.path = %s\n  pools.default {\n    path = %s\n'
                    '    reserved-percent = 0\n    max-overcommit-ratio = 1000.0\n  }\n}\n'
                    % (json.dumps(self.sock), json.dumps(self.pool)))
        self.proc = None
        self.starts = 0

    def start(self):
        """Starts volumed; returns seconds from Popen to the first answered ping."""
        self.starts += 1
        env = dict(os.environ)
        if self.java_opts is not None:
            env["VOLUMED_JAVA_OPTS"] = self.java_opts
        self.logpath = os.path.join(self.scratch, "volumed-%d.log" % self.starts)
        self.logfile = open(self.logpath, "w")
        t0 = time.monotonic()
        # bin/volumed execs java, so the child's PID is the JVM's.
        self.proc = subprocess.Popen([LAUNCHER, "--config", self.config], stdout=self.logfile,
                                     stderr=subprocess.STDOUT, cwd=self.scratch, env=env,
                                     start_new_session=True)
        deadline = t0 + 300
        while True:
            if self.proc.poll() is not None:
                raise Abort("volumed exited %d at start-up:\n%s" % (self.proc.returncode, self.tail()))
            try:
                if self.request({"op": "ping"}, timeout=5).get("ok"):
                    return time.monotonic() - t0
            except (OSError, ValueError, Abort):
                pass
            if time.monotonic() > deadline:
                raise Abort("no ping within 300 s:\n" + self.tail())
            time.sleep(0.02)

    def tail(self, n=30):
        try:
            with open(self.logpath) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def request(self, req, timeout=3600):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.sock)
            f = s.makefile("rwb")
            f.write((json.dumps(req) + "\n").encode())
            f.flush()
            while True:
                line = f.readline()
                if not line:
                    raise Abort("connection closed before the answer to %s" % req.get("op"))
                msg = json.loads(line)
                if "event" not in msg:
                    return msg

    def stop(self):
        """SIGTERM; returns seconds until the process exited."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise Abort("volumed did not exit within 120 s of SIGTERM")
        finally:
            self.logfile.close()
        if self.proc.returncode != 0:
            raise Abort("volumed exited %d after SIGTERM" % self.proc.returncode)
        return time.monotonic() - t0


class RssPoll(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0, threading.Event()

    def run(self):
        while not self.halt.is_set():
            self.peak = max(self.peak, status_kib(self.pid, "VmRSS"))
            self.halt.wait(0.05)


def timed(vd, req):
    t0 = time.monotonic()
    msg = vd.request(req)
    dt = time.monotonic() - t0
    if not msg.get("ok"):
        raise Abort("%s failed: %s" % (req["op"], json.dumps(msg)[:500]))
    return dt, msg


def one_round(base, n, shape, java_opts):
    fs, size = SHAPES[shape]
    scratch = tempfile.mkdtemp(prefix="scale-", dir=base)
    vd = Volumed(scratch, java_opts)
    r = {}
    try:
        vd.start()
        pid = vd.proc.pid
        vols = [{"name": "v%05d.img" % i, "size": size, "fs": fs, "allocation": "sparse"}
                for i in range(n)]
        req = {"id": 1, "op": "batch", "pool": "default", "volumes": vols, "atomic": True,
               "progress": False}
        la = load()
        poll = RssPoll(pid)
        poll.start()
        c0 = cpu_seconds(pid)
        dt, msg = timed(vd, req)
        r["batch_cpu"] = cpu_seconds(pid) - c0
        made = len(msg["result"]["created"])
        if made != n or msg["result"]["failed"]:
            raise Abort("batch made %d of %d: %s" % (made, n, json.dumps(msg["result"]["failed"])[:500]))
        del msg
        t1 = time.monotonic()
        subprocess.run(["sync"], check=True)
        r["batch"] = dt
        r["batch+sync"] = dt + time.monotonic() - t1
        poll.halt.set()
        poll.join()
        r["hwm"] = status_kib(pid, "VmHWM") / 1024
        r["rss_peak"] = poll.peak / 1024
        say("  batch of %d fs %s %s sparse: %.2f s (with sync %.2f s; volumed CPU %.2f s); VmHWM %.0f MiB, polled VmRSS peak %.0f MiB  [load %s]"
            % (n, fs, size, r["batch"], r["batch+sync"], r["batch_cpu"], r["hwm"], r["rss_peak"], la))
        r["stop"] = vd.stop()
        subprocess.run(["sync"], check=True)
        la = load()
        r["ready"] = vd.start()
        r["ready_cpu"] = cpu_seconds(vd.proc.pid)
        r["rss_ready"] = status_kib(vd.proc.pid, "VmRSS") / 1024
        r["first_list"], msg = timed(vd, {"op": "list", "pool": "default"})
        listed = len(msg["result"]["volumes"])
        del msg
        if listed != n:
            raise Abort("list after restart shows %d of %d" % (listed, n))
        r["list"] = statistics.median(timed(vd, {"op": "list", "pool": "default"})[0] for _ in range(5))
        r["pools"] = statistics.median(timed(vd, {"op": "pools"})[0] for _ in range(5))
        r["rss_after_lists"] = status_kib(vd.proc.pid, "VmRSS") / 1024
        say("  SIGTERM exit %.2f s; restart: ping after %.2f s (CPU %.2f s), VmRSS %.0f MiB; first list %.3f s (%d volumes); "
            "list median of 5 %.3f s; pools median of 5 %.4f s; VmRSS after %.0f MiB  [load at restart %s]"
            % (r["stop"], r["ready"], r["ready_cpu"], r["rss_ready"], r["first_list"], listed, r["list"], r["pools"],
               r["rss_after_lists"], la))
        lines = open(vd.logpath).readlines()
        # the restart's first log line and its readiness line: the JVM's own start-up is before the first
        for l in lines[:1] + [l for l in lines if "ready:" in l][:1]:
            say("    log: " + l.rstrip()[:200])
        vd.stop()
    finally:
        if vd.proc and vd.proc.poll() is None:
            os.killpg(vd.proc.pid, signal.SIGKILL)
            vd.proc.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fs", default="none", help="comma list of: none, ext4")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where the temp pools go")
    ap.add_argument("--java-opts", default=None, help="VOLUMED_JAVA_OPTS (default: the launcher's)")
    ap.add_argument("--out", default=None, help="also write the output to this file")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(ROOT, "target", "volumed.jar")):
        sys.exit("target/volumed.jar is missing: mvn -q -DskipTests package")
    shapes = a.fs.split(",")
    launcher_opts = [l for l in open(LAUNCHER) if "VOLUMED_JAVA_OPTS" in l and "exec" in l]
    say("scale: n=%d rounds=%d fs=%s dir=%s nproc=%d" % (a.n, a.rounds, a.fs, a.dir, os.cpu_count()))
    say("JVM flags: %s" % (a.java_opts if a.java_opts is not None
                           else "the launcher's: " + (launcher_opts[0].strip() if launcher_opts else "?")))
    say("uptime: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    results = {s: [] for s in shapes}
    try:
        for k in range(a.rounds):
            for s in shapes:
                say("== round %d, fs %s" % (k + 1, s))
                results[s].append(one_round(a.dir, a.n, s, a.java_opts))
    finally:
        say("uptime: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        for s in shapes:
            rs = results[s]
            if not rs:
                continue
            say("== summary fs %s, %d rounds: median (min-max)" % (s, len(rs)))
            for key, unit, fmt in [("batch", "s", "%.2f"), ("batch+sync", "s", "%.2f"), ("batch_cpu", "s", "%.2f"),
                                   ("hwm", "MiB", "%.0f"), ("rss_peak", "MiB", "%.0f"),
                                   ("stop", "s", "%.2f"), ("ready", "s", "%.2f"), ("ready_cpu", "s", "%.2f"),
                                   ("rss_ready", "MiB", "%.0f"), ("first_list", "s", "%.3f"),
                                   ("list", "s", "%.3f"), ("pools", "s", "%.4f")]:
                v = [r[key] for r in rs]
                say(("  %-11s " + fmt + " %s  (" + fmt + "-" + fmt + ")")
                    % (key, statistics.median(v), unit, min(v), max(v)))
        if a.out:
            with open(a.out, "a") as f:
                f.write("\n".join(OUT) + "\n\n")


if __name__ == "__main__":
    try:
        main()
    except Abort as e:
        sys.exit("scale: " + str(e))
