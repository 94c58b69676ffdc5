#!/usr/bin/env bash
# Build Pulumi's Node.js language host (pulumi-language-nodejs) into a versioned folder of the
# cache, $LKSP_CACHE/pulumi-language-nodejs/v<its source's version>/, which the TypeScript program
# tests put on PATH. The module proxy does not serve its module, so it is built from its
# unmodified source (LKSP_NODEJS_HOST_SRC, by default shared/toolchain/pulumi-language-nodejs
# beside the checkout, as for the Python host), copied to the cache first.
# Skipped when the binary of that version is already there.
#
# usage: scripts/build-nodejs-host.sh          prints the binary's path on stdout
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

version="v$PULUMI_NODEJS_HOST_VERSION"
src="${LKSP_NODEJS_HOST_SRC:-$(dirname "$LKSP_LANGUAGE_HOST_SRC")/pulumi-language-nodejs}"
dir="$LKSP_CACHE/pulumi-language-nodejs/$version"
out="$dir/pulumi-language-nodejs"
stamp="$dir/.version"

if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  lksp_log "pulumi-language-nodejs $version already built in $dir"
else
  command -v go >/dev/null 2>&1 ||
    lksp_die "Go (1.26+) is needed to build pulumi-language-nodejs; or install the Pulumi CLI with Pulumi's installer, which ships it"
  [ -f "$src/main.go" ] && [ -f "$src/go.mod" ] ||
    lksp_die "the source of pulumi-language-nodejs $version is not at $src: set LKSP_NODEJS_HOST_SRC to a folder with it (main.go, go.mod, go.sum of sdk/nodejs/cmd/pulumi-language-nodejs)"
  work="$LKSP_CACHE/src/pulumi-language-nodejs"
  rm -rf "$work"
  mkdir -p "$work" "$dir" "$GOMODCACHE" "$GOCACHE"
  cp "$src"/*.go "$src/go.mod" "$src/go.sum" "$work/"
  chmod u+w "$work"/*
  lksp_log "building pulumi-language-nodejs $version from $src"
  started=$SECONDS
  (
    cd "$work"
    go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$out.tmp" .
  ) || lksp_die "go build of pulumi-language-nodejs failed (see above)"
  mv -f "$out.tmp" "$out"
  printf '%s\n' "$version" >"$stamp"
  lksp_log "pulumi-language-nodejs $version built in $((SECONDS - started))s: $out"
fi
printf '%s\n' "$out"
