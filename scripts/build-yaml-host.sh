#!/usr/bin/env bash
# Build Pulumi's YAML language host (pulumi-language-yaml, github.com/pulumi/pulumi-yaml) into
# a versioned folder of the cache, $LKSP_CACHE/pulumi-language-yaml/<version>/, which the YAML
# program tests put on PATH. It runs `runtime: yaml` projects (examples/yaml).
# Skipped when the binary of that version is already there. The module has no replace
# directives, so `go install module@version` works from the Go module proxy.
#
# usage: scripts/build-yaml-host.sh          prints the binary's path on stdout
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

version="$PULUMI_YAML_VERSION"
dir="$LKSP_CACHE/pulumi-language-yaml/$version"
out="$dir/pulumi-language-yaml"
stamp="$dir/.version"

if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  lksp_log "pulumi-language-yaml $version already built in $dir"
else
  command -v go >/dev/null 2>&1 ||
    lksp_die "Go (1.26+) is needed to build pulumi-language-yaml $version from the Go module proxy; or install the Pulumi CLI with Pulumi's installer, which ships it, and set LKSP_YAML_HOST to its path"
  mkdir -p "$dir" "$GOMODCACHE" "$GOCACHE"
  lksp_log "building pulumi-language-yaml $version from the Go module proxy"
  started=$SECONDS
  GOBIN="$dir/.build" go install -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$version" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$version" ||
    lksp_die "go install github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$version failed (see above)"
  mv -f "$dir/.build/pulumi-language-yaml" "$out"
  rmdir "$dir/.build" 2>/dev/null || true
  printf '%s\n' "$version" >"$stamp"
  lksp_log "pulumi-language-yaml $version built in $((SECONDS - started))s: $out"
fi
printf '%s\n' "$out"
