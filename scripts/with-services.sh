#!/usr/bin/env bash
# Run a command with Redis and livekit-server up, and stop them afterwards whatever happens.
#   scripts/with-services.sh COMMAND [ARGS...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Each run gets its own run directory, so PID files never point at another run's processes.
export LKSP_RUN="${LKSP_RUN:-$(mktemp -d "${TMPDIR:-/tmp}/lksp-run.XXXXXX")}"
trap '"$here/services.sh" stop' EXIT INT TERM
"$here/services.sh" start || exit 1
# shellcheck disable=SC1091
source "$LKSP_RUN/env"
"$@"
