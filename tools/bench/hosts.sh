#!/usr/bin/env bash
# arbor-bench latency across simulated hosts: makes network namespaces (the
# controller's host `local` with a bridge, h1..hN each joined to it by a veth
# pair, addresses 10.200.R.1 / 10.200.R.(K+1)), writes their hosts file, runs
# the bench inside `local` with --hosts FILE and the flags given, and removes
# every namespace, link and process it made however it ends (needs root).
#
#   tools/bench/hosts.sh [arbor-bench latency flags...]      (ARBOR_BENCH_HOSTS=2)
#   e.g. tools/bench/hosts.sh --depths 1,2 --chain-hosts h1,h2 --baseline --raw-curve \
#          --calls 20000 --throughput-calls 50000 --in-flight 1,16,64
# Exit status: the bench's; 2 on bad use; 77 when not root (a skip for ctest).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${ARBOR_BUILD:-$root/build}
count=${ARBOR_BENCH_HOSTS:-2}
if ! [[ $count =~ ^[1-9]$ ]]; then
  echo "hosts.sh: ARBOR_BENCH_HOSTS must be 1..9, not '$count'" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "hosts.sh: needs root for ip netns" >&2
  exit 77
fi
ip=$(command -v ip) || { echo "hosts.sh: iproute2's ip not found" >&2; exit 77; }

# Names of this run only (pid-tagged): nothing older is touched. Links are made
# straight inside the namespaces, never in the root namespace.
prefix=abench-$$
run=$((1 + $$ % 254))
local_ns=$prefix-local
bridge=abb$$
made=()
work=$(mktemp -d "${TMPDIR:-/tmp}/arbor-hosts-XXXXXX")

cleanup() {
  local ns pids round
  # Every process in our namespaces (the bench, its controller, the workers
  # and raw processes), by pid, until none is left.
  for round in $(seq 1 100); do
    pids=""
    for ns in "${made[@]}"; do pids+=" $("$ip" netns pids "$ns" 2>/dev/null || true)"; done
    [ -z "${pids// /}" ] && break
    kill -9 $pids 2>/dev/null || true
  done
  # Deleting a veth's end in `local` deletes both; the bridge goes with it.
  if [ ${#made[@]} -gt 0 ]; then
    "$ip" -n "$local_ns" link del "$bridge" 2>/dev/null || true
    for k in $(seq 1 "$count"); do "$ip" -n "$local_ns" link del "abp$$$k" 2>/dev/null || true; done
    for ns in "${made[@]}"; do "$ip" netns del "$ns" 2>/dev/null || echo "hosts.sh: $ns left" >&2; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$ip" netns add "$local_ns"
made+=("$local_ns")
"$ip" -n "$local_ns" link set lo up
"$ip" -n "$local_ns" link add "$bridge" type bridge
"$ip" -n "$local_ns" addr add "10.200.$run.1/24" dev "$bridge"
"$ip" -n "$local_ns" link set "$bridge" up
echo "local 10.200.$run.1" >"$work/hosts"
for k in $(seq 1 "$count"); do
  ns=$prefix-h$k
  "$ip" netns add "$ns"
  made+=("$ns")
  "$ip" -n "$local_ns" link add "abp$$$k" type veth peer name "abh$$$k" netns "$ns"
  "$ip" -n "$local_ns" link set "abp$$$k" master "$bridge" up
  "$ip" -n "$ns" link set lo up
  "$ip" -n "$ns" addr add "10.200.$run.$((k + 1))/24" dev "abh$$$k"
  "$ip" -n "$ns" link set "abh$$$k" up
  echo "h$k 10.200.$run.$((k + 1)) $ip netns exec $ns" >>"$work/hosts"
done

# In the background, so a signal runs the traps at once (bash defers them
# while a foreground child runs); its temporary directory inside ours, so a
# bench killed by the cleanup leaves nothing either.
TMPDIR=$work "$ip" netns exec "$local_ns" "$build/arbor-bench" latency --hosts "$work/hosts" "$@" &
status=0
wait $! || status=$?
exit "$status"
