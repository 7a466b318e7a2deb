#!/usr/bin/env python3
"""claude-logscan on a Spark cluster: each executor scans a share of the logs into a partial
report, the driver merges the partials into the report of one run over all of them, and the
failures go to a Parquet dataset partitioned by day.

    spark-submit --files claude-logscan logscan_job.py \\
        --input s3a://bucket/gateway-logs --report report.html --events s3a://bucket/failures

See README.md beside this file.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

from pyspark import SparkFiles, StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

BINARY = "claude-logscan"

# The event fields of claude-logscan (README.md, "Events"), as Spark types.
EVENT_SCHEMA = T.StructType(
    [
        T.StructField("timestamp", T.TimestampType()),
        T.StructField("file", T.StringType()),
        T.StructField("line", T.LongType()),
        T.StructField("entry", T.LongType()),
        T.StructField("source_kind", T.StringType()),
        T.StructField("provider", T.StringType()),
        T.StructField("endpoint", T.StringType()),
        T.StructField("status", T.IntegerType()),
        T.StructField("http_status", T.IntegerType()),
        T.StructField("error_type", T.StringType()),
        T.StructField("provider_code", T.StringType()),
        T.StructField("message", T.StringType()),
        T.StructField("model", T.StringType()),
        T.StructField("request_id", T.StringType()),
        T.StructField("cluster", T.StringType()),
        T.StructField("signature", T.StringType()),
        T.StructField("retryable", T.BooleanType()),
        T.StructField("attempt", T.LongType()),
        T.StructField("latency_ms", T.LongType()),
    ]
)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True,
                   help="folder of logs: a local path, file:, hdfs: or s3a: URI (read recursively)")
    p.add_argument("--name",
                   help="the name the inputs are reported under, as in `claude-logscan NAME` run "
                        "from the folder's parent (default: the folder's own name)")
    p.add_argument("--report", required=True,
                   help="where the driver writes the report (a local path)")
    p.add_argument("--format", default=None,
                   help="report format (default: from the --report extension, as claude-logscan -o does)")
    p.add_argument("--events", help="Parquet dataset of the failures, partitioned by day (any Hadoop URI)")
    p.add_argument("--parts", type=int, default=0,
                   help="how many partial reports (Spark tasks); default: 2 per core of the cluster")
    p.add_argument("--binary",
                   help="claude-logscan on the driver, shipped to the executors by the job "
                        "(default: the file shipped with spark-submit --files, or --archives ...#logscan)")
    p.add_argument("--partials", help="also keep the partial reports in this local folder")
    p.add_argument("--tz", default="UTC",
                   help="zone for time stamps written without one (claude-logscan --tz), for scan and merge")
    p.add_argument("merge_args", nargs=argparse.REMAINDER,
                   help="after --: options for `claude-logscan merge` (--by, --since, --model, --full...)")
    a = p.parse_args(argv)
    if a.merge_args and a.merge_args[0] == "--":
        a.merge_args = a.merge_args[1:]
    return a


# Folders claude-logscan does not descend into (src/discover.rs).
SKIPPED_DIRS = {".git", ".hg", ".svn", ".jj", ".bzr", "_darcs"}
# Characters that Hadoop's path lists and globs give a meaning to.
SPECIAL = set(",{}[]*?\\")


def list_inputs(jvm, hconf, root):
    """Every file under `root` (a qualified URI), recursively, as (relative path, size), in
    path order. Names that Spark's file readers skip (beginning with `.` or `_`) are left out
    and counted; so are the folders claude-logscan skips."""
    path = jvm.org.apache.hadoop.fs.Path(root)
    fs = path.getFileSystem(hconf)
    if fs.getFileStatus(path).isFile():
        raise SystemExit(f"--input {root}: give a folder")
    files, skipped = [], 0
    it = fs.listFiles(path, True)
    while it.hasNext():
        st = it.next()
        uri = st.getPath().toString()
        rel = uri[len(root):].lstrip("/")
        parts = rel.split("/")
        if any(p in SKIPPED_DIRS for p in parts[:-1]):
            continue
        if any(p.startswith((".", "_")) for p in parts):
            skipped += 1
            continue
        if SPECIAL & set(uri):
            raise SystemExit(f"{uri}: Spark cannot name this file in a path list ({''.join(sorted(SPECIAL))})")
        files.append((rel, st.getLen()))
    files.sort(key=lambda f: f[0].split("/"))
    return files, skipped


def balance(files, parts):
    """Files into `parts` groups of about equal bytes: largest first, each to the lightest."""
    groups = [[] for _ in range(max(1, min(parts, len(files))))]
    load = [0] * len(groups)
    for rel, size in sorted(files, key=lambda f: (-f[1], f[0].split("/"))):
        g = min(range(len(groups)), key=lambda i: (load[i], i))
        groups[g].append(rel)
        load[g] += size + 1
    return groups


def find_binary():
    """The claude-logscan shipped with the job, on the driver or an executor."""
    for candidate in (
        os.path.join(SparkFiles.getRootDirectory(), BINARY),
        os.path.join("logscan", BINARY),  # --archives claude-logscan.tar.gz#logscan
        os.path.join(os.getcwd(), BINARY),
    ):
        if os.path.isfile(candidate):
            return candidate
    found = shutil.which(BINARY)
    if found:
        return found
    raise RuntimeError(f"{BINARY} not found: ship it with --files or --archives, or give --binary")


def executable(path, work):
    """A copy of the binary with its execute bit (files shipped with --files may lose it)."""
    if os.access(path, os.X_OK):
        return path
    copy = os.path.join(work, BINARY)
    shutil.copyfile(path, copy)
    os.chmod(copy, os.stat(copy).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return copy


FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(s):
    """An event's RFC 3339 time (UTC, `Z`, up to nanoseconds) as an aware datetime (Spark
    takes a naive one for the worker's local time); None for a time Python cannot hold (years
    outside 1..9999)."""
    if s is None:
        return None
    s = FRACTION.sub(r"\1", s)
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(s).astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError):
        return None


def event_row(e):
    return tuple(
        parse_time(e.get("timestamp")) if f.name == "timestamp" else e.get(f.name)
        for f in EVENT_SCHEMA.fields
    )


def scan_part(root, name, threads, tz, events):
    """The task of one executor: write its files under a folder named `name`, scan them with
    claude-logscan into a partial report (and its events), and hand both back."""

    def run(index, files):
        work = tempfile.mkdtemp(prefix="logscan-part-")
        try:
            paths = []
            for uri, stream in files:
                rel = uri[len(root):].lstrip("/")
                dest = os.path.join(work, name, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as out:
                    out.write(stream)
                paths.append(f"{name}/{rel}")
            if not paths:
                return
            binary = executable(find_binary(), work)
            partial = os.path.join(work, "part.clsp")
            cmd = [binary, "-q", "--format", "partial", "-o", partial, "-j", str(threads), "--tz", tz]
            if events:
                cmd += ["--events-out", os.path.join(work, "events.ndjson")]
            started = time.monotonic()
            done = subprocess.run(cmd + paths, cwd=work, capture_output=True)
            if done.returncode != 0:
                raise RuntimeError(
                    f"claude-logscan exited {done.returncode} on part {index}: "
                    + done.stderr.decode("utf-8", "replace")[-2000:]
                )
            with open(partial, "rb") as f:
                yield ("partial", (index, len(paths), time.monotonic() - started, f.read()))
            if events:
                with open(os.path.join(work, "events.ndjson"), encoding="utf-8") as f:
                    for line in f:
                        yield ("event", event_row(json.loads(line)))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return run


def main(argv):
    a = parse_args(argv)
    spark = (
        SparkSession.builder.appName("claude-logscan")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    sc = spark.sparkContext
    jvm = sc._jvm
    hconf = sc._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(a.input)
    fs = path.getFileSystem(hconf)
    root = fs.makeQualified(path).toString().rstrip("/")
    inputs, skipped = list_inputs(jvm, hconf, root)
    if skipped:
        print(f"{skipped} files whose names begin with . or _ are not read (Spark skips them)",
              file=sys.stderr)
    if not inputs:
        raise SystemExit(f"--input {root}: no files")
    name = a.name or root.rsplit("/", 1)[-1]
    if a.binary:
        sc.addFile(os.path.abspath(a.binary))
    threads = int(sc.getConf().get("spark.task.cpus", "1"))
    parts = a.parts or 2 * sc.defaultParallelism

    started = time.monotonic()
    # One task per group of files; Spark reads each file whole (on HDFS, where its blocks
    # are) into the task of its group.
    groups = balance(inputs, parts)
    files = sc.union(
        [sc.binaryFiles(",".join(f"{root}/{rel}" for rel in g)).coalesce(1) for g in groups]
    )
    out = files.mapPartitionsWithIndex(scan_part(root, name, threads, a.tz, bool(a.events)))
    out.persist(StorageLevel.MEMORY_AND_DISK)
    partials = sorted(out.filter(lambda r: r[0] == "partial").map(lambda r: r[1]).collect())
    scanned = time.monotonic() - started

    work = a.partials or tempfile.mkdtemp(prefix="logscan-merge-")
    os.makedirs(work, exist_ok=True)
    names = []
    for index, n_files, seconds, data in partials:
        p = os.path.join(work, f"part-{index:05d}.clsp")
        with open(p, "wb") as f:
            f.write(data)
        names.append(p)
        print(f"part {index}: {n_files} files in {seconds:.1f}s", file=sys.stderr)
    binary = os.path.abspath(a.binary) if a.binary else executable(find_binary(), work)
    cmd = [binary, "merge", "-o", a.report, "--tz", a.tz]
    if a.format:
        cmd += ["--format", a.format]
    merged = subprocess.run(cmd + a.merge_args + names)
    if merged.returncode not in (0, 1):
        sys.exit(merged.returncode)

    if a.events:
        rows = out.filter(lambda r: r[0] == "event").map(lambda r: r[1])
        events = spark.createDataFrame(rows, EVENT_SCHEMA).withColumn("day", F.to_date("timestamp"))
        events.write.mode("overwrite").partitionBy("day").parquet(a.events)
    out.unpersist()
    if not a.partials:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"claude-logscan on Spark: {len(partials)} partial reports in {scanned:.1f}s, "
        f"merged and events written in {time.monotonic() - started - scanned:.1f}s",
        file=sys.stderr,
    )
    spark.stop()
    # --fail-on: the merge's exit code.
    sys.exit(merged.returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
