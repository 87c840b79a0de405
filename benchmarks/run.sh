#!/usr/bin/env bash
# Builds the benchmark program in Release and runs it (bars P1–P9 of the performance requirements).
#
#   bash benchmarks/run.sh            # full run: in memory and on Azurite (started here if none is running)
#   bash benchmarks/run.sh --quick    # under 3 minutes: in memory, plus Azurite only if one is already running
#   bash benchmarks/run.sh --in-memory --only P1,P2
#
# Other arguments go to the program (see --help). An Azurite started by this script is stopped when it ends; one that
# was already running (for example another engineer's) is used and left alone. Each run uses a task hub of its own
# and deletes it at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

quick=0
in_memory=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --in-memory | --floor) in_memory=1 ;;
    --help | -h) in_memory=1 ;;
  esac
done

# What `azurite.sh ensure` answered (running, or started:PID); `release` stops Azurite only if this script started it.
azurite=""
cleanup() { bash scripts/azurite.sh release "$azurite" || true; }
trap cleanup EXIT

if [ "$in_memory" = 0 ]; then
  if [ "$quick" = 1 ] && ! bash scripts/azurite.sh status >/dev/null 2>&1; then
    echo "benchmarks: Azurite is not running; the quick run stays in memory"
  else
    azurite="$(bash scripts/azurite.sh ensure)"
    if [ "$azurite" = running ]; then
      echo "benchmarks: Azurite is running; using it (it will be left running)"
    fi
  fi
fi

dotnet build benchmarks/Cronflow.Benchmarks -c Release -nologo -clp:ErrorsOnly
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
  dirty="$(git status --porcelain -- Cronflow.Core Cronflow.Hosting | wc -l | tr -d ' ')"
  echo "benchmarks: commit $(git log -1 --format='%h %s' | cut -c1-100); engine files with uncommitted changes: $dirty"
fi

set +e
dotnet benchmarks/Cronflow.Benchmarks/bin/Release/net10.0/Cronflow.Benchmarks.dll "$@"
code=$?
set -e
exit "$code"
