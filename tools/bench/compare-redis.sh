#!/usr/bin/env bash
# Redis next to Arbor on this machine, in one run: redis-benchmark (SET and GET)
# against Debian's redis-server on a free 127.0.0.1 port with 1 client, 50
# clients and 50 clients pipelining 16, then arbor-bench's exec save/load at the
# same concurrency (1, 50 and 800 calls in flight, one node under the controller).
#
#   tools/bench/compare-redis.sh [requests]      (default 200000)
# Env: ARBOR_BUILD (default build/), ARBOR_BENCH_JSONL (also write JSON lines there).
# Installs redis-server when missing (apt-get). The server is stopped at exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${ARBOR_BUILD:-$root/build}
requests=${1:-200000}
jsonl=${ARBOR_BENCH_JSONL:-}

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"  # never a password prompt
  echo "compare-redis: installing redis-server" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q redis-server >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/arbor-redis-XXXXXX")
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A port the kernel just handed out; redis refuses to start if it was taken since.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: >"$work/redis.log"  # exists before tail opens it, whoever runs first
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$work" \
  --unixsocket "" >>"$work/redis.log" 2>&1 &
redis_pid=$!
# Ready when it says so (or gone: then its log says why).
if ! timeout 10 grep -q -m1 "Ready to accept connections" <(tail -n +1 -f "$work/redis.log" --pid "$redis_pid"); then
  echo "compare-redis: redis-server did not start:" >&2
  cat "$work/redis.log" >&2
  exit 1
fi

redis_rate() {  # clients pipeline -> mean of SET and GET requests per second
  redis-benchmark -h 127.0.0.1 -p "$port" -t set,get -n "$requests" -c "$1" -P "$2" --csv |
    awk -F'"' '$2 == "SET" || $2 == "GET" { sum += $4; n++ } END { if (n) printf "%.0f", sum / n }'
}
r1=$(redis_rate 1 1)
r50=$(redis_rate 50 1)
r800=$(redis_rate 50 16)

"$build/arbor-bench" latency --depths 1 --calls 1000 --warmup 500 \
  --throughput-calls "$requests" --in-flight 1,50,800 --jsonl "$work/arbor.jsonl" >"$work/arbor.txt"
arbor_rate() {  # in-flight -> calls per second
  sed -n "s/.*\"calls_per_s_in_flight_$1\":\([0-9.]*\).*/\1/p" "$work/arbor.jsonl" | head -1
}
a1=$(arbor_rate 1)
a50=$(arbor_rate 50)
a800=$(arbor_rate 800)

cat "$work/arbor.txt"
echo
echo "redis-benchmark (SET/GET mean, 127.0.0.1 tcp) vs arbor exec save/load (depth 1, ipc), $requests requests each"
printf '%-34s %12s %12s %9s\n' "concurrency" "redis req/s" "arbor req/s" "arbor/redis"
row() {
  printf '%-34s %12.0f %12.0f %8.2fx\n' "$1" "$2" "$3" "$(awk -v a="$3" -v r="$2" 'BEGIN { print (r > 0 ? a / r : 0) }')"
  if [ -n "$jsonl" ]; then
    printf '{"bench":"redis","concurrency":"%s","redis_per_s":%s,"arbor_per_s":%s}\n' "$1" "$2" "$3" >>"$jsonl"
  fi
}
row "1 client / 1 in flight" "$r1" "$a1"
row "50 clients / 50 in flight" "$r50" "$a50"
row "50 clients -P 16 / 800 in flight" "$r800" "$a800"
