#!/usr/bin/env python3
"""What sparse, fallocate and full cost: first writes into each kind of volume, preallocating
later, and growing a volume, measured on this host. Prints markdown tables (docs/allocation.md
quotes them).

  (1) fio on each kind of raw volume made by volumed (fs "none", so nothing but the allocation
      differs), with --filename on the image as a guest's virtio-blk sees it through an
      O_DIRECT file: 4 KiB random writes and 1 MiB sequential writes, direct=1, queue depth 1
      (psync), each pattern on a fresh volume, first pass then second pass over the same blocks
      (the same random sequence: fio's randrepeat). The first pass is where the kinds differ:
      sparse allocates on write, fallocate converts unwritten extents, full writes in place.
  (2) preallocating a sparse volume later, per GiB: volumed's preallocate op is not on this
      branch, so its two modes are measured as their equivalents on a sparse image volumed made:
      fallocate(1) (mode 0, every block allocated, as "fallocate") and dd of zeros over it
      (conv=notrunc, fsync, as "full" writes every block not yet written).
  (3) resize through volumed, per GiB of growth: ext4 (sparse, fallocate, full) and xfs/btrfs
      (sparse; root only: they are grown on a private mount).

The machine may be shared (other builds running): the load average is printed with the figures,
and the runs are kept small (256 MiB volumes, at most 10 s per fio pass by default).

Builds nothing: it expects target/volumed.jar (`mvn -q -DskipTests package` in the root).
Needs: python3 >= 3.9, java 17, fio (Debian package fio), util-linux fallocate, dd, mkfs.ext4.

  python3 benchmarks/allocation-fio.py [--size-mib 256] [--runtime 10] [--dir target/allocation-bench]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
GIB = 1024 * MIB


def load_bulk():
    """bulk-load.py's Volumed (start, request, stop) and machine(), without copying them."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bulk_load", os.path.join(ROOT, "benchmarks", "bulk-load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ok(vd, req):
    reply = vd.request(req)
    if not reply.get("ok"):
        raise SystemExit("volumed refused %s: %s" % (json.dumps(req), reply))
    return reply["result"]


def allocated(path):
    return os.stat(path).st_blocks * 512


def fio(path, pattern, size, runtime):
    rw, bs = {"rand4k": ("randwrite", "4k"), "seq1m": ("write", "1M")}[pattern]
    cmd = ["fio", "--name=guest", "--filename=" + path, "--rw=" + rw, "--bs=" + bs, "--direct=1",
           "--ioengine=psync", "--iodepth=1", "--size=%d" % size, "--runtime=%d" % runtime,
           "--randrepeat=1", "--output-format=json", "--clat_percentiles=1"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("fio failed: " + out.stderr)
    job = json.loads(out.stdout)["jobs"][0]["write"]
    clat = job["clat_ns"]
    p99 = clat.get("percentile", {}).get("99.000000", 0)
    return {"mibps": job["bw_bytes"] / MIB, "iops": job["iops"], "lat_us": clat["mean"] / 1000,
            "p99_us": p99 / 1000, "bytes": job["io_bytes"]}


def timed(cmd):
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("%s failed: %s" % (cmd[0], out.stderr))
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runtime", type=int, default=10, help="seconds at most per fio pass")
    ap.add_argument("--dir", default=os.path.join(ROOT, "target", "allocation-bench"))
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "volumed.jar"))
    args = ap.parse_args()
    for tool in ("fio", "fallocate", "dd", "java"):
        if shutil.which(tool) is None:
            raise SystemExit("%s is not installed (fio: apt-get install fio)" % tool)
    if not os.path.exists(args.jar):
        raise SystemExit("%s is missing; build first: mvn -q -DskipTests package" % args.jar)
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    bulk = load_bulk()
    size = args.size_mib * MIB
    vd = bulk.Volumed(args.jar, os.path.abspath(args.dir))
    try:
        print("## Machine\n")
        for k, v in bulk.machine(os.path.abspath(args.dir)):
            print("- %s: %s" % (k, v))
        print("- command: `python3 benchmarks/allocation-fio.py --size-mib %d --runtime %d`" % (args.size_mib, args.runtime))
        first_writes(vd, size, args.runtime)
        preallocate(vd)
        resize(vd)
        print("\n- load average after: " + " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        vd.stop()
        shutil.rmtree(args.dir, ignore_errors=True)


def first_writes(vd, size, runtime):
    print("\n## First writes (fio, direct=1, queue depth 1, %d MiB raw volume, at most %d s a pass)\n"
          % (size // MIB, runtime))
    print("| pattern | allocation | pass | MiB/s | IOPS | mean latency | p99 latency | written | image blocks after |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for pattern in ("rand4k", "seq1m"):
        for allocation in ("sparse", "fallocate", "full"):
            name = "fio/%s-%s.img" % (pattern, allocation)
            volume = ok(vd, {"op": "create", "name": name, "size": size, "fs": "none", "allocation": allocation})
            path = volume["path"]
            for run in (1, 2):
                log("fio %s %s pass %d" % (pattern, allocation, run))
                r = fio(path, pattern, size, runtime)
                print("| %s | %s | %s | %.1f | %.0f | %.0f µs | %.0f µs | %d MiB | %d MiB |" % (
                    "4 KiB random" if pattern == "rand4k" else "1 MiB sequential", allocation,
                    "first" if run == 1 else "second", r["mibps"], r["iops"], r["lat_us"], r["p99_us"],
                    r["bytes"] // MIB, allocated(path) // MIB))
            ok(vd, {"op": "delete", "name": name})


def preallocate(vd):
    print("\n## Preallocating a sparse 1 GiB volume later (equivalents of the preallocate op)\n")
    print("| mode | how | time per GiB | bytes allocated after |")
    print("|---|---|---:|---:|")
    for mode in ("fallocate", "full"):
        name = "pre/%s.img" % mode
        path = ok(vd, {"op": "create", "name": name, "size": GIB, "fs": "none", "allocation": "sparse"})["path"]
        if mode == "fallocate":
            how = "`fallocate -l 1G` (mode 0)"
            seconds = timed(["fallocate", "-l", str(GIB), path]) + timed(["sync", path])
        else:
            how = "`dd if=/dev/zero bs=4M conv=notrunc,fsync`"
            seconds = timed(["dd", "if=/dev/zero", "of=" + path, "bs=4M", "count=256", "conv=notrunc,fsync",
                             "status=none"])
        print("| %s | %s | %.2f s | %d MiB |" % (mode, how, seconds, allocated(path) // MIB))
        ok(vd, {"op": "delete", "name": name})


def resize(vd):
    print("\n## Resize through volumed (one request each, time to its reply)\n")
    print("| fs | allocation | from | to | time | per GiB grown | image blocks after |")
    print("|---|---|---:|---:|---:|---:|---:|")
    cases = [("ext4", "sparse", GIB, 11 * GIB), ("ext4", "fallocate", GIB, 2 * GIB), ("ext4", "full", GIB, 2 * GIB)]
    if os.geteuid() == 0:
        cases += [("xfs", "sparse", 320 * MIB, 1344 * MIB), ("btrfs", "sparse", 256 * MIB, 1280 * MIB)]
    for fs, allocation, start, end in cases:
        name = "resize/%s-%s.img" % (fs, allocation)
        path = ok(vd, {"op": "create", "name": name, "size": start, "fs": fs, "allocation": allocation})["path"]
        began = time.monotonic()
        ok(vd, {"op": "resize", "name": name, "size": end})
        seconds = time.monotonic() - began
        print("| %s | %s | %s | %s | %.2f s | %.2f s | %.1f MiB |" % (fs, allocation, human(start), human(end), seconds,
                                                                 seconds / ((end - start) / GIB), allocated(path) / MIB))
        ok(vd, {"op": "delete", "name": name})


def human(n):
    return "%d GiB" % (n // GIB) if n % GIB == 0 else "%d MiB" % (n // MIB)


if __name__ == "__main__":
    main()
