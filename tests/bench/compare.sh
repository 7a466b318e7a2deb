#!/usr/bin/env bash
# Side-by-side timing on a generated corpus: claude-logscan on the whole corpus and on the
# access log alone, and the peers (mawk, lnav, GoAccess, angle-grinder) on the access log.
# Peers that are not installed are skipped. Prints wall and user seconds, MB/s and peak RSS.
#
#   cargo build --release && cargo run --release --example gen_corpus -- target/corpus 1024
#   tests/bench/compare.sh target/corpus [path/to/claude-logscan]
set -euo pipefail
corpus=${1:?corpus dir}
bin=${2:-${CARGO_TARGET_DIR:-target}/release/claude-logscan}
access=$corpus/access.log
mb() { { du -bc "$@" 2>/dev/null || true; } | tail -1 | awk '{printf "%.0f", $1/1048576}'; }
run() { # name, MB, command...
    local name=$1 size=$2; shift 2
    local t
    t=$(mktemp)
    /usr/bin/time -o "$t" -f '%e %U %M' "$@" > /dev/null 2>&1 || true
    read -r wall user rss < <(tail -1 "$t")
    rm -f "$t"
    awk -v n="$name" -v w="$wall" -v u="$user" -v r="$rss" -v s="$size" \
        'BEGIN { printf "| %s | %.2f s | %.2f s | %.0f MB/s | %.0f MB |\n", n, w, u, s / (w > 0 ? w : 0.01), r / 1024 }'
}
all=$(mb "$corpus"/*.log "$corpus"/*.har)
acc=$(mb "$access")
echo "| what | wall | user CPU | throughput | peak RSS |"
echo "|---|---|---|---|---|"
run "claude-logscan, whole corpus ($all MB), all cores" "$all" "$bin" "$corpus" -q --format json
run "claude-logscan, access.log only ($acc MB)" "$acc" "$bin" "$access" -q --format json
command -v mawk > /dev/null && run "mawk '{c[\$9]++}', access.log" "$acc" mawk '{c[$9]++} END {for (s in c) print s, c[s]}' "$access"
command -v lnav > /dev/null && run "lnav, status counts, access.log" "$acc" lnav -n -c ';SELECT sc_status, count(*) FROM access_log GROUP BY sc_status' "$access"
command -v goaccess > /dev/null && run "GoAccess, access.log" "$acc" goaccess "$access" --log-format=COMBINED -o /tmp/claude-logscan-goaccess.json
command -v agrind > /dev/null && run "angle-grinder, status counts, access.log" "$acc" sh -c "agrind '* | parse \"* - - [*] \\\"* * *\\\" * *\" as ip, ts, method, path, proto, status, size | count by status' -f '$access'"
true
