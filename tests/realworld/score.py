#!/usr/bin/env python3
"""Score claude-logscan on the real-world corpus.

    tests/realworld/score.py BINARY [--blind | --all] [--verbose] [--case PREFIX]

Runs BINARY over each case directory (`--events --format ndjson`) and compares the events
with the case's labels. A label is found when an event sits at its file and line (or JSON
document entry) with the same status (effective or on the wire: an error inside a started stream
is labelled 200, as the wire says) and error type; each event matches at most one label.
Right cluster: found with the same cluster. Precision: events that sit at a labelled failure,
over all events. By default only the development cases are scored (`"blind": false`);
`--blind` scores the blind cases instead. `cargo test` runs the same scoring in-process
(tests/realworld.rs); this script is for any binary, the blind set and a baseline.
"""
import json, os, subprocess, sys, collections

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")


def events(binary, case_dir):
    # The case's inputs, without its labels.
    inputs = sorted(os.path.join(case_dir, f) for f in os.listdir(case_dir) if f != "expected.json")
    out = subprocess.run([binary, *inputs, "--events", "--format", "ndjson", "-q", "-j", "1"],
                         capture_output=True, text=True)
    evs = []
    for line in out.stdout.splitlines():
        if line.strip():
            evs.append(json.loads(line))
    return evs


def score_case(case_dir, exp, evs):
    files = [f for f in os.listdir(case_dir) if f != "expected.json"]
    default_file = files[0] if len(files) == 1 else None
    labels = []
    for f in exp["failures"]:
        name = f.get("file", default_file)
        where = ("entry", f.get("har_entry")) if f.get("line") is None else ("line", f["line"])
        labels.append((name, where, f))
    used = [False] * len(evs)
    found = cluster = 0
    misses = []

    def place(e):
        name = os.path.basename(e["file"])
        if e.get("line") is not None:
            return name, ("line", e["line"])
        return name, ("entry", e.get("entry"))

    matched_label = [False] * len(labels)
    # Pass 1: place, status and error type all right.
    for k, (name, where, f) in enumerate(labels):
        for i, e in enumerate(evs):
            if used[i] or place(e) != (name, where):
                continue
            if f["status"] in (e.get("status"), e.get("http_status")) and e.get("error_type") == f["error_type"]:
                used[i] = True
                matched_label[k] = True
                found += 1
                if e.get("cluster") == f["cluster"]:
                    cluster += 1
                else:
                    misses.append(f"  cluster {name}:{where[1]} want {f['cluster']} got {e.get('cluster')} ({e.get('signature')})")
                break
    # Pass 2: events at a labelled place with a wrong status or type still are true events.
    wrong = 0
    for k, (name, where, f) in enumerate(labels):
        if matched_label[k]:
            continue
        hit = None
        for i, e in enumerate(evs):
            if not used[i] and place(e) == (name, where):
                hit = i
                break
        if hit is not None:
            used[hit] = True
            wrong += 1
            e = evs[hit]
            misses.append(f"  wrong {name}:{where[1]} want {f['status']}/{f['error_type']} got {e.get('status')}/{e.get('error_type')} ({e.get('signature')})")
        else:
            misses.append(f"  miss  {name}:{where[1]} want {f['status']}/{f['error_type']} {f['cluster']}")
    fp = [evs[i] for i in range(len(evs)) if not used[i]]
    for e in fp:
        n, w = place(e)
        misses.append(f"  extra {n}:{w[1]} {e.get('status')}/{e.get('error_type')} {e.get('signature')}: {str(e.get('message'))[:90]}")
    return dict(labels=len(labels), found=found, cluster=cluster, events=len(evs),
                true_events=len(evs) - len(fp), misses=misses)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    binary = args[0]
    want_blind = "--blind" in args
    everything = "--all" in args
    verbose = "--verbose" in args
    only = args[args.index("--case") + 1] if "--case" in args else None
    fam = collections.defaultdict(lambda: collections.Counter())
    for case in sorted(os.listdir(ROOT)):
        d = os.path.join(ROOT, case)
        exp = json.load(open(os.path.join(d, "expected.json")))
        if only and not case.startswith(only):
            continue
        if not everything and bool(exp.get("blind")) != want_blind:
            continue
        r = score_case(d, exp, events(binary, d))
        c = fam[exp["family"]]
        for k in ("labels", "found", "cluster", "events", "true_events"):
            c[k] += r[k]
        c["cases"] += 1
        if verbose and r["misses"]:
            print(case)
            print("\n".join(r["misses"]))
    total = collections.Counter()
    rows = []
    for f in sorted(fam):
        c = fam[f]
        total.update(c)
        rows.append((f, c))
    rows.append(("ALL", total))
    print(f"{'family':16} {'cases':>5} {'labels':>6} {'found':>7} {'cluster':>7} {'precision':>9}")
    for f, c in rows:
        pct = lambda a, b: f"{100.0 * a / b:6.1f}%" if b else "     -"
        print(f"{f:16} {c['cases']:5} {c['labels']:6} {pct(c['found'], c['labels']):>7} "
              f"{pct(c['cluster'], c['labels']):>7} {pct(c['true_events'], c['events']):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
