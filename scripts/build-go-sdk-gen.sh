#!/usr/bin/env bash
# Build tools/go-sdk-gen (Pulumi's Go SDK code generator, pkg/v3/codegen/go, behind a small
# command) into a versioned folder of the cache, $LKSP_CACHE/go-sdk-gen/<pulumi pkg version>/.
# It stands in for `pulumi package gen-sdk --language go`, whose Go language host
# (pulumi-language-go) the Go module proxy does not serve. The Go SDK test runs it.
# Skipped when the binary of that version is already there.
#
# usage: scripts/build-go-sdk-gen.sh          prints the binary's path on stdout
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain-env.sh
source "$here/toolchain-env.sh"

src="$here/../tools/go-sdk-gen"
version="$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$#\1#p' "$src/go.mod")"
dir="$LKSP_CACHE/go-sdk-gen/$version"
out="$dir/go-sdk-gen"
stamp="$dir/.source"
digest="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -d' ' -f1)"

if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then
  lksp_log "go-sdk-gen ($version) already built in $dir"
else
  command -v go >/dev/null 2>&1 || lksp_die "Go (1.26+) is needed to build tools/go-sdk-gen"
  mkdir -p "$dir" "$GOMODCACHE" "$GOCACHE"
  lksp_log "building go-sdk-gen against pulumi pkg $version"
  started=$SECONDS
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -o "$out.tmp" .) ||
    lksp_die "go build of tools/go-sdk-gen failed (see above)"
  mv -f "$out.tmp" "$out"
  printf '%s\n' "$digest" >"$stamp"
  lksp_log "go-sdk-gen built in $((SECONDS - started))s: $out"
fi
printf '%s\n' "$out"
