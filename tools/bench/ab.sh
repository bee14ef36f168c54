#!/usr/bin/env bash
# Two builds of arbor-bench, interleaved: A, B, A, B, ... ROUNDS times, then the
# median of each figure per side. How changes are judged on this noisy machine
# (a single run moves by several percent). Each bench uses the arbor and
# arbor-worker next to it, so copy all three of a build aside to compare.
#
#   tools/bench/ab.sh A/arbor-bench B/arbor-bench ROUNDS [arbor-bench latency flags...]
#   e.g. tools/bench/ab.sh /tmp/old/arbor-bench build/arbor-bench 5 --depths 1 \
#          --calls 1000 --warmup 300 --throughput-calls 100000 --in-flight 16,64,800
set -euo pipefail
a=$1
b=$2
rounds=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/arbor-ab-XXXXXX")
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$rounds"); do
  "$a" "$@" --jsonl "$work/A.$i.jsonl" >/dev/null
  "$b" "$@" --jsonl "$work/B.$i.jsonl" >/dev/null
done
for side in A B; do
  cat "$work"/$side.*.jsonl | /usr/bin/python3 -c '
import json, statistics, sys
rows = [r for r in map(json.loads, sys.stdin) if r.get("system") == "arbor"]
keys = sorted({k for r in rows for k in r if k.startswith("calls_per_s") or k == "p50_us"})
print(sys.argv[1], " ".join("%s=%.0f" % (k.replace("calls_per_s_in_flight_", "@"),
      statistics.median(r[k] for r in rows if k in r)) for k in keys))' "$side"
done
