#!/usr/bin/env bash
# Installs the Debian packages Arbor needs, only those missing (idempotent, quick
# when nothing is). Sourced by tools/run and tools/test; extra packages may be
# named as arguments (tools/test adds redis-server for the Redis comparison).
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
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >&2
}
