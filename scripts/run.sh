#!/usr/bin/env bash
# Runs the local Cronflow host with the sample workflows on http://127.0.0.1:7071.
# Installs and starts Azurite (unless one is already listening, or --in-memory is given), and on Ctrl+C stops
# what it started. Other arguments go to `cronflow serve` (see `dotnet run --project samples/Cronflow.Local -- serve --help`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

in_memory=0
for arg in "$@"; do
  [ "$arg" = "--in-memory" ] && in_memory=1
done

# What `azurite.sh ensure` answered (running, or started:PID); `release` stops Azurite only if this script started it.
azurite=""
cleanup() { bash scripts/azurite.sh release "$azurite" || true; }
trap cleanup EXIT

if [ "$in_memory" = 0 ]; then
  azurite="$(bash scripts/azurite.sh ensure)"
fi

dotnet build samples/Cronflow.Local -c Release -nologo -clp:ErrorsOnly
# The host stops before Azurite does: Ctrl+C (INT) or a TERM reaches this script, which passes a TERM on to the host
# (a background job ignores INT) and waits for it to exit. Then the EXIT trap stops Azurite.
set +e
dotnet samples/Cronflow.Local/bin/Release/net10.0/cronflow.dll serve "$@" &
host_pid=$!
trap 'kill -TERM "$host_pid" 2>/dev/null' INT TERM
while :; do
  wait "$host_pid"
  code=$?
  # wait returns early when a trapped signal arrives; wait again until the host has exited.
  kill -0 "$host_pid" 2>/dev/null || break
done
set -e
exit "$code"
