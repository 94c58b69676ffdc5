#!/usr/bin/env bash
# Obtain the real toolchain the tests and the demo run on:
#   pulumi (CLI + Python language host + dynamic provider/executor shims),
#   livekit-server, and optionally the lk CLI.
# Built from the Go module proxy with pinned versions, cached outside the repository.
# Idempotent: a binary that already reports the pinned version is not rebuilt.
#
# usage: scripts/build-toolchain.sh [pulumi] [language-host] [livekit] [livekit-releases] [lk]
#        (default: pulumi language-host livekit)
#   livekit            livekit-server $LIVEKIT_SERVER_VERSION (default: the newest supported)
#   livekit-releases   every supported livekit-server release (newest and oldest)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

mkdir -p "$LKSP_BIN" "$LKSP_PLUGINS" "$LKSP_PULUMI_BIN" "$LKSP_PULUMI_PLUGINS" "$GOMODCACHE" "$GOCACHE"

need_go() {
  command -v go >/dev/null 2>&1 ||
    lksp_die "Go is needed to build the toolchain from the Go module proxy (go 1.26+). Install Go, or install the Pulumi CLI with Pulumi's installer and put livekit-server on PATH."
}

# ldflags_version VERSION: the flags of a release build that reports vVERSION.
ldflags_version() {
  printf -- '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v%s' "$1"
}

# sdk_module_dir VERSION: the sdk/v3 module's folder in GOMODCACHE (downloaded if needed).
sdk_module_dir() {
  go mod download -json "github.com/pulumi/pulumi/sdk/v3@$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# A pulumi the user installed (Pulumi's installer puts it in ~/.pulumi/bin) is used when it
# is recent enough: Python policy packs run through the language host since 3.221. Not when
# LKSP_PULUMI_VERSION asks for a release other than the pinned one: that one is built.
external_pulumi_ok() {
  local p v
  [ "$PULUMI_VERSION" = "$PULUMI_PINNED_VERSION" ] || return 1
  p="$(PATH="${PATH#"$LKSP_BIN:"}" command -v pulumi 2>/dev/null)" || return 1
  v="$("$p" version 2>/dev/null)" || return 1
  v="${v#v}"
  python3 - "$v" <<'PY' || return 1
import sys
parts = sys.argv[1].split("-")[0].split(".")
major, minor = int(parts[0]), int(parts[1])
sys.exit(0 if (major, minor) >= (3, 221) else 1)
PY
  lksp_log "using the installed pulumi at $p (v$v)"
  return 0
}

build_pulumi() {
  local bin="$LKSP_PULUMI_BIN" plugins="$LKSP_PULUMI_PLUGINS"
  if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ] &&
    [ -x "$bin/pulumi-resource-pulumi-python" ] && [ -x "$plugins/pulumi-analyzer-policy-python" ]; then
    lksp_log "pulumi v$PULUMI_VERSION already built in $bin"
    return 0
  fi
  if [ "${LKSP_BUILD_PULUMI:-auto}" != "always" ] && external_pulumi_ok; then
    return 0
  fi
  need_go
  local src="$LKSP_CACHE/src/pulumi-v$PULUMI_VERSION"
  mkdir -p "$src"
  lksp_log "building pulumi v$PULUMI_VERSION from the Go module proxy into $bin (cold: several minutes)"
  (
    cd "$src"
    cat >go.mod <<GOMOD
module lksp.local/pulumi-toolchain

go 1.26

// Only matters on Windows; copied from pulumi's own go.mod (replace directives of
// dependencies are ignored, so the module that builds must carry it).
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
    go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" ||
      lksp_die "go get -tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION failed (see above)"
    go build -trimpath -tags osusergo,grpcnotrace -ldflags "$(ldflags_version "$PULUMI_VERSION")" \
      -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ||
      lksp_die "go build of the pulumi CLI failed (see above)"
    # Shell shims shipped inside the sdk module zip:
    # - pulumi-resource-pulumi-python runs Python dynamic providers (python -m pulumi.dynamic);
    # - pulumi-analyzer-policy-python runs Python policy packs (python -m pulumi.policy). The
    #   engine uses it when no Python language host is installed; the sdk stopped shipping it
    #   after $PULUMI_POLICY_SHIM_SDK_VERSION, so it is taken from that version.
    local sdkdir shimdir
    sdkdir="$(sdk_module_dir "v$PULUMI_VERSION")"
    shimdir="$(sdk_module_dir "$PULUMI_POLICY_SHIM_SDK_VERSION")"
    [ -f "$sdkdir/python/dist/pulumi-resource-pulumi-python" ] ||
      lksp_die "pulumi-resource-pulumi-python not found in sdk/v3@v$PULUMI_VERSION ($sdkdir)"
    [ -f "$shimdir/python/dist/pulumi-analyzer-policy-python" ] ||
      lksp_die "pulumi-analyzer-policy-python not found in sdk/v3@$PULUMI_POLICY_SHIM_SDK_VERSION ($shimdir)"
    install -m 0755 "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
    mkdir -p "$plugins"
    install -m 0755 "$shimdir/python/dist/pulumi-analyzer-policy-python" "$plugins/pulumi-analyzer-policy-python"
  )
  [ "$("$bin/pulumi" version)" = "v$PULUMI_VERSION" ] ||
    lksp_die "built pulumi reports $("$bin/pulumi" version), expected v$PULUMI_VERSION"
  lksp_log "pulumi $("$bin/pulumi" version) ready in $bin"
}

# livekit-server $1 into $LKSP_CACHE/livekit-server/$1/ (see toolchain-env.sh).
#
# The module is downloaded by its exact version, copied somewhere writable and built there.
# From v1.13.6 on its go.mod replaces pion/webrtc/v4, pion/dtls/v3 and pion/ice/v4 with LiveKit's
# "-warp" forks, which the Go module proxy refuses (403), so neither `go install ...@version`
# nor a plain build works. Recipe (docs/toolchain.md): drop those replace directives and the two
# calls only the forks have (se.EnableSped, se.EnableSctpSnap in pkg/rtc/transport.go, inside
# `if params.EnableWarp`, a WebRTC transport option that SIP routing and the SIP API never touch),
# then build against the upstream pion modules the go.mod requires.
build_livekit_release() {
  local version="$1" dir="$LKSP_CACHE/livekit-server/$1"
  local out="$dir/livekit-server" stamp="$dir/.version"
  if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    lksp_log "livekit-server $version already built in $dir"
    return 0
  fi
  mkdir -p "$dir"
  # A binary of this release from the earlier single-release layout is copied, not rebuilt.
  if [ -x "$LKSP_BIN/livekit-server" ] && [ "$(cat "$LKSP_BIN/.livekit-server.version" 2>/dev/null)" = "$version" ]; then
    install -m 0755 "$LKSP_BIN/livekit-server" "$out"
    printf '%s\n' "$version" >"$stamp"
    lksp_log "livekit-server $version taken from $LKSP_BIN into $dir"
    return 0
  fi
  need_go
  lksp_log "building livekit-server $version from the Go module proxy (cold: about 3-6 minutes)"
  local moddir src="$LKSP_CACHE/src/livekit-server-$version"
  moddir="$(go mod download -json "github.com/livekit/livekit-server@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -n "$moddir" ] && [ -d "$moddir" ] ||
    lksp_die "go mod download github.com/livekit/livekit-server@$version failed (see above); set LIVEKIT_SERVER_VERSION to another release"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  cp -r "$moddir" "$src"
  chmod -R u+w "$src"
  local flags=()
  if grep -q '^replace github.com/pion/' "$src/go.mod"; then
    local transport="$src/pkg/rtc/transport.go" calls
    calls="$(grep -cE '^[[:space:]]*se\.(EnableSped|EnableSctpSnap)\(true\)$' "$transport" || true)"
    [ "$calls" = 2 ] ||
      lksp_die "livekit-server $version: expected the two fork-only calls (se.EnableSped, se.EnableSctpSnap) in pkg/rtc/transport.go, found $calls; the recipe in docs/toolchain.md needs updating for this release"
    sed -i '/^replace github.com\/pion\//d' "$src/go.mod"
    sed -i -E '/^[[:space:]]*se\.(EnableSped|EnableSctpSnap)\(true\)$/d' "$transport"
    lksp_log "livekit-server $version: dropped the pion -warp fork replaces and their two calls (docs/toolchain.md)"
    # go.sum lacks the upstream pion modules the replaces hid: let go record them.
    flags=(-mod=mod)
  fi
  (cd "$src" && go build "${flags[@]}" -trimpath -o "$out.tmp" ./cmd/server) ||
    lksp_die "go build of github.com/livekit/livekit-server@$version ./cmd/server failed (see above)"
  mv -f "$out.tmp" "$out"
  printf '%s\n' "$version" >"$stamp"
  lksp_log "livekit-server $version ready in $dir"
}

# The release of LIVEKIT_SERVER_VERSION (default: the newest).
build_livekit() {
  build_livekit_release "$LIVEKIT_SERVER_VERSION"
}

# Every supported release: the newest and the oldest (the differentials run against both).
build_livekit_releases() {
  build_livekit_release "$LIVEKIT_SERVER_NEWEST"
  [ "$LIVEKIT_SERVER_OLDEST" = "$LIVEKIT_SERVER_NEWEST" ] || build_livekit_release "$LIVEKIT_SERVER_OLDEST"
}

build_lk() {
  local stamp="$LKSP_BIN/.lk.version"
  if [ -x "$LKSP_BIN/lk" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$LK_CLI_VERSION" ]; then
    lksp_log "lk $LK_CLI_VERSION already built in $LKSP_BIN"
    return 0
  fi
  need_go
  lksp_log "building lk $LK_CLI_VERSION from the Go module proxy"
  GOBIN="$LKSP_BIN" go install -trimpath "github.com/livekit/livekit-cli/v2/cmd/lk@$LK_CLI_VERSION" ||
    lksp_die "go install github.com/livekit/livekit-cli/v2/cmd/lk@$LK_CLI_VERSION failed (see above)"
  printf '%s\n' "$LK_CLI_VERSION" >"$stamp"
}

# The Python language host runs Python programs in project folders (`pulumi up` from a folder
# with a Pulumi.yaml) and Python policy packs (`--policy-pack`). Pulumi's installer ships it next
# to the CLI; the module proxy does not serve its Go module, so on machines without the installer
# it is built from its unmodified source (LKSP_LANGUAGE_HOST_SRC, release
# PULUMI_LANGUAGE_HOST_VERSION, see toolchain-env.sh), beside whichever CLI release is built.
installed_language_host() {
  local p dir
  [ "$PULUMI_VERSION" = "$PULUMI_PINNED_VERSION" ] || return 1
  p="$(PATH="${PATH#"$LKSP_BIN:"}" command -v pulumi-language-python 2>/dev/null)" && {
    printf '%s\n' "$p"
    return 0
  }
  p="$(PATH="${PATH#"$LKSP_BIN:"}" command -v pulumi 2>/dev/null)" || return 1
  dir="$(dirname "$(readlink -f "$p")")"
  [ -x "$dir/pulumi-language-python" ] || return 1
  printf '%s\n' "$dir/pulumi-language-python"
}

build_language_host() {
  local bin="$LKSP_PULUMI_BIN" version="$PULUMI_LANGUAGE_HOST_VERSION" found
  local stamp="$bin/.pulumi-language-python.version"
  if [ -x "$bin/pulumi-language-python" ] && [ -f "$bin/pulumi-language-python-exec" ] &&
    [ "$(cat "$stamp" 2>/dev/null)" = "v$version" ] &&
    [ "$("$bin/pulumi-language-python" -version 2>/dev/null)" = "v$version" ]; then
    lksp_log "pulumi-language-python v$version already built in $bin"
    return 0
  fi
  if [ "${LKSP_BUILD_PULUMI:-auto}" != "always" ] && found="$(installed_language_host)" &&
    [ -f "$(dirname "$found")/pulumi-language-python-exec" ]; then
    lksp_log "using the installed Python language host at $found"
    return 0
  fi
  need_go
  local src="$LKSP_LANGUAGE_HOST_SRC" work="$LKSP_CACHE/src/pulumi-language-python-for-v$PULUMI_VERSION"
  [ -f "$src/main.go" ] && [ -f "$src/go.mod" ] ||
    lksp_die "the Python language host is not installed and its source is not at $src. Install the Pulumi CLI with Pulumi's installer (it ships pulumi-language-python), or set LKSP_LANGUAGE_HOST_SRC to a folder with its source (main.go, go.mod, go.sum of sdk/python/cmd/pulumi-language-python at v$version)."
  lksp_log "building pulumi-language-python v$version from $src into $bin"
  # The source folder may be read-only (it is in CI): build in a copy under the cache.
  rm -rf "$work"
  mkdir -p "$work"
  cp "$src/main.go" "$src/go.mod" "$src/go.sum" "$work/"
  chmod u+w "$work"/*
  (
    cd "$work"
    go build -trimpath -tags osusergo,grpcnotrace -ldflags "$(ldflags_version "$version")" \
      -o "$bin/pulumi-language-python" . ||
      lksp_die "go build of pulumi-language-python failed (see above)"
    # The host runs Python programs through this script, which must sit next to it; it is
    # taken from the host's own release.
    local sdkdir
    sdkdir="$(sdk_module_dir "v$version")"
    [ -f "$sdkdir/python/cmd/pulumi-language-python-exec" ] ||
      lksp_die "pulumi-language-python-exec not found in sdk/v3@v$version ($sdkdir)"
    install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
  )
  [ "$("$bin/pulumi-language-python" -version)" = "v$version" ] ||
    lksp_die "built pulumi-language-python reports $("$bin/pulumi-language-python" -version), expected v$version"
  printf '%s\n' "v$version" >"$stamp"
  lksp_log "pulumi-language-python v$version ready in $bin"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pulumi language-host livekit)
for t in "${targets[@]}"; do
  case "$t" in
    pulumi) build_pulumi ;;
    language-host) build_language_host ;;
    livekit) build_livekit ;;
    livekit-releases) build_livekit_releases ;;
    lk) build_lk ;;
    *) lksp_die "unknown target '$t' (pulumi, language-host, livekit, livekit-releases, lk)" ;;
  esac
done
