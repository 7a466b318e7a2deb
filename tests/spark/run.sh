#!/usr/bin/env bash
# The Spark job of examples/spark/ in local mode (local[2]) over a generated corpus split into
# many files: the report it writes must be byte-identical to one run of claude-logscan over
# the same folder, and its Parquet events must be queryable by day.
#
#     tests/spark/run.sh BINARY GEN_CORPUS [MEGABYTES]
#
# BINARY is claude-logscan, GEN_CORPUS the gen_corpus example (both built by `cargo test`).
# Installs a Java runtime (Debian's default-jre-headless) and pyspark (PyPI) when missing.
set -euo pipefail
bin=$(realpath "$1")
gen=$(realpath "$2")
mb=${3:-32}
cd "$(dirname "$0")/../.."

if ! command -v java >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi
if ! python3 -c "import pyspark" 2>/dev/null; then
  python3 -m pip install -q pyspark || python3 -m pip install -q --break-system-packages pyspark
fi
spark_submit="$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')/bin/spark-submit"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gen" "$work/gen" "$mb" 2>/dev/null
# Many files: each generated log cut into 8 at line boundaries, the HAR whole, and the samples
# (whose files tell some attempts in two places).
corpus="$work/corpus"
mkdir -p "$corpus"
for f in access.log access.json.log app.log; do
  mkdir -p "$corpus/${f%%.*}"
  split -n l/8 -d --additional-suffix=".${f#*.}" "$work/gen/$f" "$corpus/${f%%.*}/${f%%.*}-"
done
cp "$work/gen/browser.har" "$corpus/"
cp -r samples "$corpus/samples"
files=$(find "$corpus" -type f | wc -l)

# One process over the folder (as the job names it: the folder's name, from its parent).
ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(ms)
(cd "$work" && "$bin" -q -j 2 corpus --format json -o single.json)
single_ms=$(( $(ms) - start ))
(cd "$work" && "$bin" -q corpus --full -o single.txt)
(cd "$work" && "$bin" -q corpus --events -o single-events.ndjson)

start=$(ms)
"$spark_submit" --master "local[2]" --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
  examples/spark/logscan_job.py --input "$corpus" --binary "$bin" --parts 6 \
  --report "$work/spark.json" --events "$work/events" --partials "$work/parts" \
  2> "$work/spark.log" || { tail -50 "$work/spark.log"; exit 1; }
spark_ms=$(( $(ms) - start ))

if ! cmp -s "$work/single.json" "$work/spark.json"; then
  echo "FAIL: the Spark job's report differs from one run's" >&2
  diff <(head -c 200000 "$work/single.json") <(head -c 200000 "$work/spark.json") | head -20 >&2
  exit 1
fi
parts=$(ls "$work/parts" | wc -l)
if [ "$parts" -lt 2 ]; then
  echo "FAIL: the job made $parts partial report(s); the test needs a split" >&2
  exit 1
fi
"$bin" merge -q --full -o "$work/merged.txt" "$work"/parts/*.clsp
cmp "$work/single.txt" "$work/merged.txt"

# The events: a dataset partitioned by day, queryable with Spark SQL.
python3 - "$work" <<'PY'
import json, sys
from pyspark.sql import SparkSession
work = sys.argv[1]
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
spark.read.parquet(f"{work}/events").createOrReplaceTempView("failures")
single = [json.loads(l) for l in open(f"{work}/single-events.ndjson")]
want_days = sorted({e["timestamp"][:10] for e in single if e["timestamp"]})
got_days = [str(r.day) for r in spark.sql(
    "SELECT DISTINCT day FROM failures WHERE day IS NOT NULL ORDER BY day").collect()]
assert got_days == want_days, (got_days, want_days)
n = spark.sql("SELECT count(*) AS n FROM failures").first().n
# A part tells every failure of its files; an attempt told by files of two parts is two rows.
assert n >= len(single), (n, len(single))
# The two queries of examples/spark/README.md, as written there.
readme = open("examples/spark/README.md").read()
queries = [b.split("```")[0] for b in readme.split("```sql\n")[1:]]
assert len(queries) == 2, queries
sql = lambda q: "\n".join(l for l in q.splitlines() if not l.startswith("--")).rstrip().rstrip(";")
per_hour = spark.sql(sql(queries[0])).collect()
week = spark.sql("SELECT count(*) AS n FROM failures "
                 "WHERE day BETWEEN DATE '2025-10-01' AND DATE '2025-10-07'").first().n
assert week > 0 and sum(r.failures for r in per_hour) == week, (week, len(per_hour))
top = spark.sql(sql(queries[1])).collect()
models = spark.sql("SELECT count(DISTINCT model) AS n FROM failures").first().n
assert top and len({r.model for r in top}) == models, (len(top), models)
print(f"events: {n} rows over {len(got_days)} days; single run {len(single)} failures")
spark.stop()
PY
echo "spark test: OK ($files files, ${mb} MB, $parts partial reports): one process (-j 2) ${single_ms} ms, Spark local[2] job ${spark_ms} ms"
