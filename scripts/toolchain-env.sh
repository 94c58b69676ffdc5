# Shared settings for the toolchain scripts. Sourced, not executed.
# Everything built or downloaded lives outside the repository, under LKSP_CACHE.
LKSP_CACHE="${LKSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekit-sip-pulumi}"
LKSP_BIN="$LKSP_CACHE/bin"
# Plugins the engine should find in PULUMI_HOME's plugin cache rather than on PATH.
LKSP_PLUGINS="$LKSP_CACHE/plugins"
LKSP_RUN="${LKSP_RUN:-$LKSP_CACHE/run}"

PULUMI_VERSION="${PULUMI_VERSION:-3.259.0}"
# The last sdk/v3 release whose module zip ships the pulumi-analyzer-policy-python shim.
PULUMI_POLICY_SHIM_SDK_VERSION="${PULUMI_POLICY_SHIM_SDK_VERSION:-v3.217.1}"
LIVEKIT_SERVER_VERSION="${LIVEKIT_SERVER_VERSION:-v1.13.5}"
LK_CLI_VERSION="${LK_CLI_VERSION:-v2.16.3}"

export GOMODCACHE="${LKSP_GOMODCACHE:-$LKSP_CACHE/gomod}"
export GOCACHE="${LKSP_GOCACHE:-$LKSP_CACHE/gocache}"
export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0

export PATH="$LKSP_BIN:$PATH"

lksp_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
lksp_log() {
  printf '==> %s\n' "$*" >&2
}
