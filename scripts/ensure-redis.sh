#!/usr/bin/env bash
# Make sure Debian's redis-server is installed (LiveKit needs Redis for its SIP API).
set -euo pipefail
command -v redis-server >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing redis-server from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  } || { echo "error: 'apt-get install -y redis-server' failed" >&2; exit 1; }
  command -v redis-server >/dev/null 2>&1 && exit 0
fi
echo "error: redis-server not found: install it (Debian/Ubuntu: 'sudo apt-get install -y redis-server', macOS: 'brew install redis')" >&2
exit 1
