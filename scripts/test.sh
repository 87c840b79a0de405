#!/usr/bin/env bash
# Builds everything and runs every test project. Installs Chromium for the browser tests when missing (as root, with
# apt-get). Starts Azurite for the tests that need it (unless one is already listening) and stops what it started. Ends with one summary line: "Tests: N passed, N failed, N skipped".
#
#   bash scripts/test.sh                 # all tests
#   bash scripts/test.sh --filter EXPR   # passed to dotnet test
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# What `azurite.sh ensure` answered (running, or started:PID); `release` stops Azurite only if this script started it.
azurite=""
cleanup() { bash scripts/azurite.sh release "$azurite" || true; }
trap cleanup EXIT
# A signal ends the run (the EXIT trap then stops what was started) instead of going on with the next project.
trap 'exit 130' INT
trap 'exit 143' TERM

# The dashboard's browser tests drive the distribution's Chromium (no browser download): install it when missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium (apt-get) for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  command -v chromium >/dev/null 2>&1 || { echo "test: the browser tests need chromium (apt-get install chromium)" >&2; exit 1; }
fi

# The outage tests start private Azurite instances of their own from .tools/azurite: install it even when one is running.
bash scripts/azurite.sh install
azurite="$(bash scripts/azurite.sh ensure)"
export CRONFLOW_AZURITE="UseDevelopmentStorage=true"

echo "== build"
dotnet build Cronflow.sln -c Release -nologo -clp:ErrorsOnly

passed=0 failed=0 skipped=0 status=0
results="$ROOT/.tools/test-results"
rm -rf "$results"
mkdir -p "$results"
for project in tests/*/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== test $name"
  set +e
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@"
  code=$?
  set -e
  [ "$code" = 0 ] || status=1
  # The counts come from the TRX file's <Counters> element (total, executed, passed, failed, ...): a project whose
  # tests are all skipped (total > executed) is counted, not taken for a missing summary.
  trx="$results/$name.trx"
  counters="$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -n 1 || true)"
  if [ -z "$counters" ]; then
    echo "test: $name wrote no results ($trx)" >&2
    status=1
    continue
  fi
  count() { local v; v="$(sed -nE "s/.* $1=\"([0-9]+)\".*/\1/p" <<<"$counters")"; echo "${v:-0}"; }
  total="$(count total)"; executed="$(count executed)"; p="$(count passed)"; f="$(count failed)"
  s=$((total - executed))
  f=$((f + $(count error) + $(count timeout) + $(count aborted)))
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
