#!/usr/bin/env bash
# Build tools/sip-oracle, the client that asks a running livekit-server how it routes SIP calls
# (its IOInfo service over psrpc on Redis), once per livekit-server release: each build uses the
# livekit/protocol and psrpc versions that release pins, so that the oracle speaks its protocol.
#
#   tools/sip-oracle/go.mod                          pins of the newest release
#   tools/sip-oracle/livekit-server-<version>.mod    pins of another release (+ .sum beside it)
#
# The binary goes to $LKSP_CACHE/livekit-server/<version>/sip-oracle. Skipped when built from the
# same sources (a stamp holds a hash of the module file, its go.sum, the .go files and the Go
# version).
#
# usage: scripts/build-sip-oracle.sh [VERSION...]   (default: $LIVEKIT_SERVER_VERSION; "all":
#                                                    every supported release); prints each
#                                                    binary's path on stdout
#        scripts/build-sip-oracle.sh --pin VERSION  write livekit-server-VERSION.mod/.sum with the
#                                                    protocol, psrpc, go-redis and protobuf
#                                                    versions that release's go.mod requires
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

src="$(cd "$here/../tools/sip-oracle" && pwd)"
# The modules whose versions must be the server's: its protocol (the messages), psrpc (the
# wire), and the libraries their types come from.
PINNED=(github.com/livekit/protocol github.com/livekit/psrpc github.com/redis/go-redis/v9 google.golang.org/protobuf)

command -v go >/dev/null 2>&1 ||
  lksp_die "Go (1.26+) is needed to build tools/sip-oracle (the routing differential test's oracle)"
mkdir -p "$GOMODCACHE" "$GOCACHE"

# The module file for a release: go.mod for the newest, livekit-server-<version>.mod otherwise.
modfile_for() {
  if [ -f "$src/livekit-server-$1.mod" ]; then
    printf '%s\n' "$src/livekit-server-$1.mod"
  elif [ "$1" = "$LIVEKIT_SERVER_NEWEST" ]; then
    printf '%s\n' "$src/go.mod"
  else
    lksp_die "no module file for livekit-server $1 in tools/sip-oracle: run 'scripts/build-sip-oracle.sh --pin $1' and commit livekit-server-$1.mod and .sum"
  fi
}

server_pin() { # server go.mod, module path -> version
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

pin() {
  local version="$1" servermod work
  servermod="$(go mod download -json "github.com/livekit/livekit-server@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$servermod" ] || lksp_die "go mod download github.com/livekit/livekit-server@$version failed (see above)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src"/*.go "$src/go.mod" "$src/go.sum" "$work/"
  chmod u+w "$work"/*
  local args=() m v
  for m in "${PINNED[@]}"; do
    v="$(server_pin "$servermod" "$m")"
    [ -n "$v" ] || lksp_die "livekit-server $version's go.mod does not require $m"
    args+=("$m@$v")
  done
  (cd "$work" && go get "${args[@]}" && go mod tidy) ||
    lksp_die "go get ${args[*]} for the sip-oracle of livekit-server $version failed (see above)"
  install -m 0644 "$work/go.mod" "$src/livekit-server-$version.mod"
  install -m 0644 "$work/go.sum" "$src/livekit-server-$version.sum"
  lksp_log "wrote tools/sip-oracle/livekit-server-$version.mod and .sum (${args[*]})"
}

build() {
  local version="$1" modfile sumfile dir out stamp hash
  modfile="$(modfile_for "$version")"
  sumfile="${modfile%.mod}.sum"
  dir="$LKSP_CACHE/livekit-server/$version"
  out="$dir/sip-oracle"
  stamp="$dir/.sip-oracle.stamp"
  mkdir -p "$dir"
  hash="$(
    cd "$src"
    { go version; cat "$modfile" "$sumfile"; find . -name '*.go' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -d' ' -f1
  )"
  if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    lksp_log "sip-oracle for livekit-server $version up to date in $dir"
  else
    lksp_log "building sip-oracle for livekit-server $version (tools/sip-oracle, $(basename "$modfile"))"
    # psrpc v0.8 moved the Redis bus (redisbus.New): bus.go or bus_psrpc07.go, by build tag.
    local tags=""
    if grep -qE '^[[:space:]]*github.com/livekit/psrpc v0\.[0-7]\.' "$modfile"; then tags=psrpc07; fi
    (cd "$src" && go build -modfile "$modfile" -tags "$tags" -trimpath -ldflags '-s -w' -o "$out.tmp" .) ||
      lksp_die "go build of tools/sip-oracle for livekit-server $version failed (see above)"
    mv -f "$out.tmp" "$out"
    printf '%s\n' "$hash" >"$stamp"
    lksp_log "sip-oracle built: $out"
  fi
  printf '%s\n' "$out"
}

if [ "${1:-}" = "--pin" ]; then
  [ -n "${2:-}" ] || lksp_die "usage: scripts/build-sip-oracle.sh --pin VERSION"
  pin "$2"
  exit 0
fi
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=("$LIVEKIT_SERVER_VERSION")
if [ "${versions[0]}" = all ]; then
  versions=("$LIVEKIT_SERVER_NEWEST")
  [ "$LIVEKIT_SERVER_OLDEST" = "$LIVEKIT_SERVER_NEWEST" ] || versions+=("$LIVEKIT_SERVER_OLDEST")
fi
for v in "${versions[@]}"; do
  build "$v"
done
