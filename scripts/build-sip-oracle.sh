#!/usr/bin/env bash
# Build tools/sip-oracle, the client that asks a running livekit-server how it routes SIP calls
# (its IOInfo service over psrpc on Redis), into $LKSP_BIN/sip-oracle.
# Skipped when the binary was built from the same sources (a stamp holds a hash of go.mod,
# go.sum and the .go files, and the Go version).
#
# usage: scripts/build-sip-oracle.sh          prints the binary's path on stdout
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

src="$(cd "$here/../tools/sip-oracle" && pwd)"
out="$LKSP_BIN/sip-oracle"
stamp="$LKSP_BIN/.sip-oracle.stamp"

command -v go >/dev/null 2>&1 ||
  lksp_die "Go (1.26+) is needed to build tools/sip-oracle (the routing differential test's oracle)"
mkdir -p "$LKSP_BIN" "$GOMODCACHE" "$GOCACHE"

hash="$(
  cd "$src"
  { go version; cat go.mod go.sum; find . -name '*.go' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -d' ' -f1
)"
if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  lksp_log "sip-oracle up to date in $LKSP_BIN"
else
  lksp_log "building sip-oracle (tools/sip-oracle)"
  (cd "$src" && go build -trimpath -ldflags '-s -w' -o "$out.tmp" .) ||
    lksp_die "go build of tools/sip-oracle failed (see above)"
  mv -f "$out.tmp" "$out"
  printf '%s\n' "$hash" >"$stamp"
  lksp_log "sip-oracle built: $out"
fi
printf '%s\n' "$out"
