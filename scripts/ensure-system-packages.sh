#!/usr/bin/env bash
# Make sure the Debian packages the project runs with are installed:
#   redis-server  LiveKit needs Redis for its SIP API;
#   graphviz      `dot` renders the routing map to SVG/PNG.
# Installs what is missing with apt-get when running as root on Debian; says what to install
# otherwise.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing ${missing[*]} from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  } || { echo "error: 'apt-get install -y ${missing[*]}' failed" >&2; exit 1; }
  command -v redis-server >/dev/null 2>&1 && command -v dot >/dev/null 2>&1 && exit 0
fi
echo "error: missing ${missing[*]}: install them (Debian/Ubuntu: 'sudo apt-get install -y ${missing[*]}', macOS: 'brew install ${missing[*]/redis-server/redis}')" >&2
exit 1
