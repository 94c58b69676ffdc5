#!/usr/bin/env bash
# Make sure the Debian packages the project runs with are installed:
#   redis-server  LiveKit needs Redis for its SIP API;
#   graphviz      `dot` renders the routing map to SVG/PNG;
#   iproute2      `ip netns`: the call tests run their media path in a private network namespace.
# With the argument `demo`: redis-server and graphviz (the demo draws the routing map), all the
# demo runs besides the built toolchain.
# With the argument `sip-bridge`: the C libraries LiveKit's SIP bridge links (libopus-dev,
# libopusfile-dev, libsoxr-dev, pkg-config), for scripts/build-sip-bridge.sh.
# Installs what is missing with apt-get when running as root on Debian; says what to install
# otherwise.
set -euo pipefail
missing=()
if [ "${1:-}" = sip-bridge ]; then
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  for lib in opus opusfile soxr; do
    pkg-config --exists "$lib" 2>/dev/null || missing+=("lib$lib-dev")
  done
  command -v cc >/dev/null 2>&1 || missing+=(gcc)
elif [ "${1:-}" = demo ]; then
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v dot >/dev/null 2>&1 || missing+=(graphviz)
else
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v dot >/dev/null 2>&1 || missing+=(graphviz)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing ${missing[*]} from Debian" >&2
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  }; then
    exit 0
  fi
  echo "error: 'apt-get install -y ${missing[*]}' failed" >&2
  exit 1
fi
echo "error: missing ${missing[*]}: install them (Debian/Ubuntu: 'sudo apt-get install -y ${missing[*]}', macOS: 'brew install ${missing[*]/redis-server/redis}')" >&2
exit 1
