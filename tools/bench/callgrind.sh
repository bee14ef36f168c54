#!/usr/bin/env bash
# Instructions per exec, counted by callgrind (repeatable on a noisy machine):
# a controller and its worker under valgrind, driven by arbor-bench --connect
# with a fixed load; prints each process's total and leaves the profiles in OUT.
#
#   tools/bench/callgrind.sh [OUT]       (default /tmp/arbor-callgrind)
#   callgrind_annotate --inclusive=yes OUT/cg.<pid> | less
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${ARBOR_BUILD:-$root/build}
out=${1:-/tmp/arbor-callgrind}
calls=20000
rm -rf "$out"
mkdir -p "$out"
valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out/cg.%p" \
  "$build/arbor" --listen "ipc://$out/c.sock" --no-stdin --hello-timeout-ms 30000 \
  >/dev/null 2>"$out/controller.log" &
controller=$!
trap 'kill -TERM $controller 2>/dev/null || true' EXIT
"$build/arbor-bench" --connect "ipc://$out/c.sock" --depths 1 --calls 2000 --warmup 200 \
  --throughput-calls "$calls" --in-flight 64 >"$out/bench.txt" 2>&1
kill -TERM "$controller"
wait "$controller" || true
trap - EXIT
total=$((calls + 2000 + 200))
for f in "$out"/cg.*; do
  ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  cmd=$(grep -a -m1 '^cmd:' "$f" | awk '{ print $2 }')
  printf '%-40s %14s instructions, %6d per exec (%d execs, start-up included)\n' \
    "$(basename "$cmd")" "$ir" $((ir / total)) "$total"
done
