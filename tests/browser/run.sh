#!/usr/bin/env bash
# The HTML report of samples/ in a real browser: headless Chromium (Debian package `chromium`)
# loads it at 1280 and 390 px, and check.py compares what the page shows with the JSON report.
# Usage: tests/browser/run.sh [BINARY] [OUT_DIR]   (screenshots land in OUT_DIR, kept only
# when it is given)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/claude-logscan}"
if [ -n "${2:-}" ]; then
  out="$2"
else
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
"$bin" samples/ -q --format html -o "$out/report.html"
"$bin" samples/ -q --format json -o "$out/report.json"
# check.py needs only Python's standard library: the system's, or any on PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" tests/browser/check.py "$out/report.html" "$out/report.json" "$out"
