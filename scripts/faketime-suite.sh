#!/usr/bin/env bash
# Runs the whole test suite with the machine's clock moved (issue 9: the suite passes on any day of any
# year).  libfaketime (Debian `faketime`) moves the wall clock of every process of the run — Node, the
# PostgreSQL server the harness starts, Chromium, the CLI children — to DATE and lets it run on from there.
#   scripts/faketime-suite.sh '2031-06-15 10:00:00' [vitest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
date_arg=${1:?usage: scripts/faketime-suite.sh "YYYY-MM-DD hh:mm:ss" [vitest args…]}
shift
command -v faketime >/dev/null || { echo "faketime がありません: apt-get install -y faketime" >&2; exit 2; }
echo "faketime: the suite runs as if it were $date_arg (the machine says $(date '+%F %T'))"
# DONT_FAKE_MONOTONIC: timers and durations keep the machine's monotonic clock (Node's event loop needs it).
export DONT_FAKE_MONOTONIC=1
exec faketime "$date_arg" npx vitest run --project main "$@"
