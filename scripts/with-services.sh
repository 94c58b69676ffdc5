#!/usr/bin/env bash
# Run a command with Redis and livekit-server up, and stop them afterwards whatever happens.
#   scripts/with-services.sh COMMAND [ARGS...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Each run gets its own run directory, so PID files never point at another run's processes.
if [ -z "${LKSP_RUN:-}" ]; then
  LKSP_RUN="$(mktemp -d "${TMPDIR:-/tmp}/lksp-run.XXXXXX")"
  own_run_dir=1
fi
export LKSP_RUN
cleanup() {
  "$here/services.sh" stop
  [ -z "${own_run_dir:-}" ] || rm -rf "$LKSP_RUN"
}
trap cleanup EXIT INT TERM
"$here/services.sh" start || exit 1
# shellcheck disable=SC1091
source "$LKSP_RUN/env"
"$@"
