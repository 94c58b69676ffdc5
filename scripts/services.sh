#!/usr/bin/env bash
# Start or stop the local services the tests and the demo run against:
# Redis (Debian's redis-server) and livekit-server in dev mode, both on 127.0.0.1 only.
#
#   scripts/services.sh start    start both, wait until LiveKit answers, write $LKSP_RUN/env
#   scripts/services.sh stop     stop both by the PIDs recorded at start
#   scripts/services.sh status
#
# Ports: LKSP_REDIS_PORT (default 6391), LKSP_LIVEKIT_PORT (default 7890).
# Release: LIVEKIT_SERVER_VERSION (default: the newest supported, see toolchain-env.sh), from
# $LKSP_CACHE/livekit-server/<version>/ (scripts/build-toolchain.sh livekit); without that build,
# a livekit-server on PATH. The env file names the release that runs (LKSP_LIVEKIT_VERSION).
# LKSP_OWNER_PID: stop both when that process is gone (see start_watchdog).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

REDIS_PORT="${LKSP_REDIS_PORT:-6391}"
LIVEKIT_PORT="${LKSP_LIVEKIT_PORT:-7890}"
# A key pair for the loopback server only (32+ characters, as the JWT library expects).
DEV_KEY="${LKSP_LIVEKIT_KEY:-devkey}"
DEV_SECRET="${LKSP_LIVEKIT_SECRET:-loopback-only-dev-secret-0123456789}"
mkdir -p "$LKSP_RUN"

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
  local f="$1" name="$2" pid i
  if [ -f "$f" ]; then
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
      lksp_log "stopped $name (pid $pid)"
    fi
    rm -f "$f"
  fi
}

# The start time of process $1 from /proc, "gone" for a zombie (Linux; empty elsewhere).
proc_identity() {
  [ -r "/proc/$1/stat" ] &&
    awk '{ sub(/^.*\) /, ""); print ($1 == "Z" || $1 == "X") ? "gone" : $20 }' "/proc/$1/stat" \
      2>/dev/null || true
}

# With LKSP_OWNER_PID (the test session's PID): a watchdog stops both services once that process
# is gone, even killed with SIGKILL (it cannot run its own cleanup then). `stop` ends the watchdog.
start_watchdog() {
  local owner="${LKSP_OWNER_PID:-}" identity
  [ -n "$owner" ] || return 0
  pid_alive "$LKSP_RUN/watchdog.pid" && return 0
  identity="$(proc_identity "$owner")"
  (
    while kill -0 "$owner" 2>/dev/null && [ "$(proc_identity "$owner")" = "$identity" ]; do
      sleep 1
    done
    rm -f "$LKSP_RUN/watchdog.pid"
    stop
  ) </dev/null >/dev/null 2>&1 &
  echo $! >"$LKSP_RUN/watchdog.pid"
  lksp_log "watchdog (pid $!) stops both when process $owner is gone"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  command -v redis-server >/dev/null 2>&1 ||
    lksp_die "redis-server not found: install it with 'apt-get install -y redis-server' (make test does this on Debian)"
  local lk_bin lk_version
  if [ -x "$LKSP_LIVEKIT_DIR/livekit-server" ]; then
    lk_bin="$LKSP_LIVEKIT_DIR/livekit-server"
    lk_version="$(cat "$LKSP_LIVEKIT_DIR/.version")"
  elif [ -z "${LKSP_REQUIRE_BUILT_LIVEKIT:-}" ] && lk_bin="$(PATH="${PATH#"$LKSP_BIN:"}" command -v livekit-server)"; then
    # An installed one: its own answer says which release it is ("livekit-server version 1.13.11").
    lk_version="v$("$lk_bin" --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p')"
  else
    lksp_die "livekit-server $LIVEKIT_SERVER_VERSION not found in $LKSP_LIVEKIT_DIR: run 'LIVEKIT_SERVER_VERSION=$LIVEKIT_SERVER_VERSION scripts/build-toolchain.sh livekit'"
  fi

  if pid_alive "$LKSP_RUN/redis.pid"; then
    lksp_log "redis already running (pid $(cat "$LKSP_RUN/redis.pid"))"
  else
    port_in_use "$REDIS_PORT" && lksp_die "port $REDIS_PORT is taken by another process: set LKSP_REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize no --logfile "$LKSP_RUN/redis.log" >/dev/null 2>&1 &
    echo $! >"$LKSP_RUN/redis.pid"
    local i
    for i in $(seq 1 100); do
      redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
      pid_alive "$LKSP_RUN/redis.pid" || lksp_die "redis-server exited; see $LKSP_RUN/redis.log"
      sleep 0.1
    done
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG ||
      lksp_die "redis-server did not answer on 127.0.0.1:$REDIS_PORT; see $LKSP_RUN/redis.log"
    lksp_log "redis on 127.0.0.1:$REDIS_PORT (pid $(cat "$LKSP_RUN/redis.pid"))"
  fi

  if pid_alive "$LKSP_RUN/livekit.pid"; then
    lksp_log "livekit-server already running (pid $(cat "$LKSP_RUN/livekit.pid"))"
  else
    port_in_use "$LIVEKIT_PORT" && lksp_die "port $LIVEKIT_PORT is taken by another process: set LKSP_LIVEKIT_PORT"
    cat >"$LKSP_RUN/livekit.yaml" <<YAML
port: $LIVEKIT_PORT
bind_addresses: [127.0.0.1]
keys:
  $DEV_KEY: $DEV_SECRET
redis:
  address: 127.0.0.1:$REDIS_PORT
rtc:
  tcp_port: 0
  udp_port: $((LIVEKIT_PORT + 2))
  node_ip: 127.0.0.1
  use_external_ip: false
  ips:
    includes: [127.0.0.1/32]
turn:
  enabled: false
logging:
  level: info
YAML
    "$lk_bin" --dev --config "$LKSP_RUN/livekit.yaml" >"$LKSP_RUN/livekit.log" 2>&1 &
    echo $! >"$LKSP_RUN/livekit.pid"
    local i
    for i in $(seq 1 200); do
      curl -fsS -o /dev/null "http://127.0.0.1:$LIVEKIT_PORT/" 2>/dev/null && break
      pid_alive "$LKSP_RUN/livekit.pid" || { tail -n 20 "$LKSP_RUN/livekit.log" >&2; lksp_die "livekit-server exited; see $LKSP_RUN/livekit.log"; }
      sleep 0.1
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$LIVEKIT_PORT/" ||
      lksp_die "livekit-server did not answer on 127.0.0.1:$LIVEKIT_PORT; see $LKSP_RUN/livekit.log"
    lksp_log "livekit-server $lk_version on 127.0.0.1:$LIVEKIT_PORT (pid $(cat "$LKSP_RUN/livekit.pid"))"
  fi
  start_watchdog
  cat >"$LKSP_RUN/env" <<ENV
export LIVEKIT_URL=http://127.0.0.1:$LIVEKIT_PORT
export LIVEKIT_API_KEY=$DEV_KEY
export LIVEKIT_API_SECRET=$DEV_SECRET
export LKSP_LIVEKIT_VERSION=$lk_version
ENV
}

stop() {
  if [ -f "$LKSP_RUN/watchdog.pid" ]; then
    kill "$(cat "$LKSP_RUN/watchdog.pid")" 2>/dev/null || true
    rm -f "$LKSP_RUN/watchdog.pid"
  fi
  stop_pidfile "$LKSP_RUN/livekit.pid" livekit-server
  stop_pidfile "$LKSP_RUN/redis.pid" redis-server
  rm -f "$LKSP_RUN/env"
}

status() {
  pid_alive "$LKSP_RUN/redis.pid" && echo "redis: running (pid $(cat "$LKSP_RUN/redis.pid"))" || echo "redis: stopped"
  pid_alive "$LKSP_RUN/livekit.pid" && echo "livekit-server: running (pid $(cat "$LKSP_RUN/livekit.pid"))" || echo "livekit-server: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) lksp_die "usage: scripts/services.sh start|stop|status" ;;
esac
