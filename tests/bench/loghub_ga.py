#!/usr/bin/env python3
"""Grouping accuracy (GA) of `claude-logscan templates` on the 16 Loghub-2k datasets, beside
Drain3 on the same lines. Not run in CI.

    tests/bench/loghub_ga.py DIR [path/to/claude-logscan]

DIR holds the datasets as logpai/loghub lays them out: `<Name>/<Name>_2k.log_structured.csv`
(public, https://github.com/logpai/loghub; this repository does not hold them). Each dataset's
`Content` column is fed, one message a line, to `claude-logscan templates -`; the `EventId`
column is the truth. GA (Zhu et al., 2019): a message counts when the set of messages of its
predicted group is exactly the set of its true group. One configuration for all datasets.

Drain3 (`pip install drain3`) runs on the same lines twice: with its defaults, and with the
settings the Loghub benchmark uses for Drain (depth 4, similarity 0.5) plus one generic masking
for all datasets (numbers, hex, IPv4 addresses). A Drain3 that is not installed is skipped.
"""

import csv
import os
import subprocess
import sys
from collections import Counter, defaultdict

DATASETS = [
    "HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "Windows",
    "Linux", "Android", "HealthApp", "Apache", "Proxifier", "OpenSSH", "OpenStack", "Mac",
]


def load(directory, name):
    path = os.path.join(directory, name, f"{name}_2k.log_structured.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # A message is one line: the few that hold a line break are joined with a space.
    return [" ".join(r["Content"].splitlines()) for r in rows], [r["EventId"] for r in rows]


def grouping_accuracy(truth, predicted):
    """Share of messages whose predicted group is exactly their true group."""
    true_groups = defaultdict(set)
    for i, t in enumerate(truth):
        true_groups[t].add(i)
    predicted_groups = defaultdict(set)
    for i, p in enumerate(predicted):
        predicted_groups[p].add(i)
    correct = 0
    for members in predicted_groups.values():
        first = next(iter(members))
        if true_groups[truth[first]] == members:
            correct += len(members)
    return correct / len(truth)


def ours(binary, lines):
    text = "".join(line + "\n" for line in lines)
    out = subprocess.run(
        [binary, "templates", "-"], input=text.encode(), capture_output=True, check=True
    ).stdout.decode()
    rows = out.splitlines()
    if len(rows) != len(lines):
        raise SystemExit(f"templates printed {len(rows)} lines for {len(lines)}")
    pairs = [row.split("\t", 1) for row in rows]
    return [p[0] for p in pairs], [p[1] if len(p) > 1 else "" for p in pairs]


def drain3_groups(lines, benchmark):
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    if benchmark:
        config.drain_depth = 4
        config.drain_sim_th = 0.5
        config.masking_instructions = [
            MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"
                               r"(:\d+)?((?=[^A-Za-z0-9])|$)", "IP"),
            MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(0x[a-fA-F0-9]+)((?=[^A-Za-z0-9])|$)",
                               "HEX"),
            MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
        ]
    miner = TemplateMiner(config=config)
    ids = [miner.add_log_message(line)["cluster_id"] for line in lines]
    # A template can still change after a line was added: group by the final template.
    final = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    return [final[i] for i in ids]


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    directory = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "claude-logscan")
    try:
        import drain3  # noqa: F401
        have_drain3 = True
    except ImportError:
        have_drain3 = False
        print("drain3 is not installed (pip install drain3): its columns are skipped",
              file=sys.stderr)
    columns = ["ours, signature", "ours, template"]
    if have_drain3:
        columns += ["Drain3, defaults", "Drain3, depth 4, sim 0.5, masking"]
    print("| dataset | " + " | ".join(columns) + " | groups (ours / true) |")
    print("|---|" + "---|" * len(columns) + "---|")
    totals = Counter()
    worst = 1.0
    for name in DATASETS:
        lines, truth = load(directory, name)
        predicted, templates = ours(binary, lines)
        scores = [grouping_accuracy(truth, predicted), grouping_accuracy(truth, templates)]
        worst = min(worst, scores[0])
        if have_drain3:
            scores.append(grouping_accuracy(truth, drain3_groups(lines, benchmark=False)))
            scores.append(grouping_accuracy(truth, drain3_groups(lines, benchmark=True)))
        for column, score in zip(columns, scores):
            totals[column] += score
        groups = f"{len(set(predicted))} / {len(set(truth))}"
        print(f"| {name} | " + " | ".join(f"{s:.3f}" for s in scores) + f" | {groups} |")
        sys.stdout.flush()
    averages = [totals[c] / len(DATASETS) for c in columns]
    print("| **average** | " + " | ".join(f"**{a:.3f}**" for a in averages) + " | |")
    print(f"\nclaude-logscan: lowest {worst:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
