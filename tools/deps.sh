#!/usr/bin/env bash
# Installs the Debian packages Arbor needs, only those missing (idempotent, quick
# when nothing is). Sourced by tools/run and tools/test; extra packages may be
# named as arguments (tools/test adds redis-server for the Redis comparison and
# openssh-server/openssh-client for the real-OpenSSH test).
#
# The daemons these packages bring (sshd, redis) are never started by the
# install: the tests start their own, on free ports, inside namespaces. Where
# no /usr/sbin/policy-rc.d exists, one that refuses every start (exit 101, what
# invoke-rc.d and deb-systemd-invoke honour) is in place for the install only.
arbor_install_deps() {
  local packages=(cmake ninja-build pkgconf g++ libgtest-dev libgmock-dev libzmq3-dev
                  cppzmq-dev libprotobuf-dev protobuf-compiler libabsl-dev
                  python3-zmq python3-protobuf "$@")
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "tools: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q >&2
  local policy=/usr/sbin/policy-rc.d ours=0 status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# arbor tools/deps.sh: no service starts during this install\nexit 101\n' |
      $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && ours=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >&2 || status=$?
  [ "$ours" -eq 1 ] && $sudo rm -f "$policy"
  return "$status"
}
