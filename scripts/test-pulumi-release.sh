#!/usr/bin/env bash
# Run the CLI suite (tests/e2e/cli) against another Pulumi release: that CLI built from the Go
# module proxy into a folder of its own (LKSP_PULUMI_VERSION, see toolchain-env.sh), with the
# Python SDK and pulumi-policy releases given, from PyPI.
#
# The suite's project folders and the policy pack name the repository's virtualenv by a relative
# path (`virtualenv: .venv`, `../.venv`, ...), so the suite runs in a copy of this checkout whose
# .venv holds those releases: .pulumi-releases/<cli>-sdk-<sdk>/ (ignored by git). The copy's
# virtualenv is kept between runs and rebuilt when pyproject.toml or a version changes.
#
# usage: scripts/test-pulumi-release.sh CLI_VERSION SDK_VERSION POLICY_VERSION [pytest args]
set -euo pipefail
[ $# -ge 3 ] || {
  echo "usage: $0 CLI_VERSION SDK_VERSION POLICY_VERSION [pytest args]" >&2
  exit 2
}
cli="$1" sdk="$2" policy="$3"
shift 3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
copy="$root/.pulumi-releases/$cli-sdk-$sdk"
python="${PYTHON:-python3}"

LKSP_PULUMI_VERSION="$cli" "$root/scripts/build-toolchain.sh" pulumi language-host

# The checkout's files (tracked and new, not ignored) over the copy, which keeps its .venv.
git -C "$root" rev-parse --git-dir >/dev/null 2>&1 ||
  { echo "error: $root is not a git checkout: the copy is made from its file list" >&2; exit 1; }
mkdir -p "$copy"
find "$copy" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$copy"

# The dev extras with the SDK and pulumi-policy pins swapped for the releases under test.
venv="$copy/.venv"
want="$(cat "$root/pyproject.toml" - <<<"pulumi==$sdk pulumi-policy==$policy" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$want" ]; then
  echo "==> virtualenv with pulumi==$sdk pulumi-policy==$policy: $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip 'tomli; python_version < "3.11"'
  mapfile -t requirements < <("$venv/bin/python" - "$copy/pyproject.toml" "$sdk" "$policy" <<'PY'
import re
import sys

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

path, sdk, policy = sys.argv[1:]
dev = tomllib.load(open(path, "rb"))["project"]["optional-dependencies"]["dev"]
pins = {"pulumi": f"pulumi=={sdk}", "pulumi-policy": f"pulumi-policy=={policy}"}
for requirement in dev:
    name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
    print(pins.pop(name, requirement))
for pin in pins.values():
    print(pin)
PY
  )
  (cd "$copy" && "$venv/bin/python" -m pip install --quiet -e . "${requirements[@]}")
  printf '%s\n' "$want" >"$venv/.installed"
fi

cd "$copy"
echo "==> tests/e2e/cli with pulumi v$cli, pulumi==$sdk, pulumi-policy==$policy ($copy)" >&2
LKSP_PULUMI_VERSION="$cli" exec "$venv/bin/python" -m pytest tests/e2e/cli "$@"
