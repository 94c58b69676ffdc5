# Shared settings for the toolchain scripts. Sourced, not executed.
# Everything built or downloaded lives outside the repository, under LKSP_CACHE.
LKSP_CACHE="${LKSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekit-sip-pulumi}"
LKSP_BIN="$LKSP_CACHE/bin"
# Plugins the engine should find in PULUMI_HOME's plugin cache rather than on PATH.
LKSP_PLUGINS="$LKSP_CACHE/plugins"
LKSP_RUN="${LKSP_RUN:-$LKSP_CACHE/run}"

# Source of the Python language host (pulumi-language-python), for machines without Pulumi's
# installer: by default `shared/toolchain/pulumi-language-python` beside the checkout (in a git
# worktree: beside the main checkout). It is copied to the cache before it is built.
if [ -z "${LKSP_LANGUAGE_HOST_SRC:-}" ]; then
  _lksp_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  LKSP_LANGUAGE_HOST_SRC="$_lksp_repo/../shared/toolchain/pulumi-language-python"
  if [ ! -d "$LKSP_LANGUAGE_HOST_SRC" ]; then
    _lksp_common="$(git -C "$_lksp_repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
    if [ -n "$_lksp_common" ] && [ -d "$(dirname "$_lksp_common")/../shared/toolchain/pulumi-language-python" ]; then
      LKSP_LANGUAGE_HOST_SRC="$(cd "$(dirname "$_lksp_common")/../shared/toolchain/pulumi-language-python" && pwd)"
    fi
  fi
  unset _lksp_repo _lksp_common
fi

# The Pulumi CLI the toolchain is built for. LKSP_PULUMI_VERSION picks another release; the
# test fixtures and the CLI suite run the one it names. The pinned release is built into
# $LKSP_BIN, any other into a folder of its own, $LKSP_CACHE/pulumi/<version>/{bin,plugins}
# (the CLI, its Python language host and the shims), so several releases sit side by side.
PULUMI_PINNED_VERSION=3.259.0
PULUMI_VERSION="${LKSP_PULUMI_VERSION:-$PULUMI_PINNED_VERSION}"
# The Node.js language host is built from the one source there is (shared/toolchain, the pinned
# release's), whichever Pulumi CLI runs it, as the Python host is.
PULUMI_NODEJS_HOST_VERSION="${PULUMI_NODEJS_HOST_VERSION:-$PULUMI_PINNED_VERSION}"
if [ "$PULUMI_VERSION" = "$PULUMI_PINNED_VERSION" ]; then
  LKSP_PULUMI_BIN="$LKSP_BIN"
  LKSP_PULUMI_PLUGINS="$LKSP_PLUGINS"
else
  LKSP_PULUMI_BIN="$LKSP_CACHE/pulumi/$PULUMI_VERSION/bin"
  LKSP_PULUMI_PLUGINS="$LKSP_CACHE/pulumi/$PULUMI_VERSION/plugins"
fi
# The release of the Python language host source (LKSP_LANGUAGE_HOST_SRC): the module proxy
# serves no other, so every CLI release gets a host built from this one.
PULUMI_LANGUAGE_HOST_VERSION="${PULUMI_LANGUAGE_HOST_VERSION:-3.259.0}"
# The last sdk/v3 release whose module zip ships the pulumi-analyzer-policy-python shim.
PULUMI_POLICY_SHIM_SDK_VERSION="${PULUMI_POLICY_SHIM_SDK_VERSION:-v3.217.1}"
# livekit-server: the newest release the Go module proxy lists (what the tests and the demo run
# against unless LIVEKIT_SERVER_VERSION says otherwise) and the oldest release still supported
# (the routing and conflict differentials run against both). Pinned here and nowhere else in the
# scripts; livekit_sip_core/servers.py describes the same releases (a test compares them).
LIVEKIT_SERVER_NEWEST="v1.13.11"
LIVEKIT_SERVER_OLDEST="v1.13.5"
LIVEKIT_SERVER_VERSION="${LIVEKIT_SERVER_VERSION:-$LIVEKIT_SERVER_NEWEST}"
# One folder per release: its livekit-server and the sip-oracle built against its protocol pins.
# ($LKSP_BIN/livekit-server is the binary of an earlier single-release layout; it is left alone.)
LKSP_LIVEKIT_DIR="$LKSP_CACHE/livekit-server/$LIVEKIT_SERVER_VERSION"
LK_CLI_VERSION="${LK_CLI_VERSION:-v2.16.3}"
# Pulumi's YAML language host (scripts/build-yaml-host.sh), for the YAML program tests.
PULUMI_YAML_VERSION="${PULUMI_YAML_VERSION:-v1.25.0}"

export GOMODCACHE="${LKSP_GOMODCACHE:-$LKSP_CACHE/gomod}"
export GOCACHE="${LKSP_GOCACHE:-$LKSP_CACHE/gocache}"
export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0

export PATH="$LKSP_BIN:$PATH"
[ "$LKSP_PULUMI_BIN" = "$LKSP_BIN" ] || export PATH="$LKSP_PULUMI_BIN:$PATH"

lksp_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
lksp_log() {
  printf '==> %s\n' "$*" >&2
}
