#!/usr/bin/env bash
# Build LiveKit's SIP bridge (github.com/livekit/sip, the `livekit-sip` service that turns SIP
# calls into room participants) into $LKSP_BIN/livekit-sip, for the telephony tests that place
# real calls.
#
# The Go module proxy serves github.com/livekit/sip up to v1.8.0 but refuses `@v/list`, so
# `go install ...@v1.8.0` fails; the module is downloaded by its exact version, copied somewhere
# writable and built there (`CGO_ENABLED=1`: it links libopus and libsoxr). The bridge's own
# checksum is not in the checksum database here (GONOSUMDB); its dependencies are still checked
# against its go.sum.
# Skipped when already built: the bridge has no version flag, so a stamp holds the
# version and the Go version it was built with.
#
# usage: scripts/build-sip-bridge.sh        prints the binary's path on stdout
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

LIVEKIT_SIP_VERSION="${LIVEKIT_SIP_VERSION:-v1.8.0}"
out="$LKSP_BIN/livekit-sip"
stamp="$LKSP_BIN/.livekit-sip.stamp"

command -v go >/dev/null 2>&1 ||
  lksp_die "Go (1.26+) is needed to build the LiveKit SIP bridge (github.com/livekit/sip) for the call tests"
want="$LIVEKIT_SIP_VERSION $(go version)"
if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  lksp_log "livekit-sip $LIVEKIT_SIP_VERSION up to date in $LKSP_BIN"
  printf '%s\n' "$out"
  exit 0
fi

# C libraries the bridge links (Debian packages; installed as root, named otherwise).
"$here/ensure-system-packages.sh" sip-bridge

mkdir -p "$LKSP_BIN" "$GOMODCACHE" "$GOCACHE"
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/livekit/sip"
export CGO_ENABLED=1
lksp_log "building livekit-sip $LIVEKIT_SIP_VERSION (github.com/livekit/sip; cold: about 1-2 minutes)"
moddir="$(go mod download -json "github.com/livekit/sip@$LIVEKIT_SIP_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
[ -n "$moddir" ] && [ -d "$moddir" ] ||
  lksp_die "go mod download github.com/livekit/sip@$LIVEKIT_SIP_VERSION failed (see above)"
src="$LKSP_CACHE/src/livekit-sip-$LIVEKIT_SIP_VERSION"
rm -rf "$src"
mkdir -p "$(dirname "$src")"
cp -r "$moddir" "$src"
chmod -R u+w "$src"
(cd "$src" && go build -trimpath -ldflags '-s -w' -o "$out.tmp" ./cmd/livekit-sip) ||
  lksp_die "go build of github.com/livekit/sip@$LIVEKIT_SIP_VERSION ./cmd/livekit-sip failed (see above)"
mv -f "$out.tmp" "$out"
printf '%s\n' "$want" >"$stamp"
lksp_log "livekit-sip built: $out"
printf '%s\n' "$out"
