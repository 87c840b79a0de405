#!/usr/bin/env bash
# Builds everything and runs every test project. Starts Azurite for the tests that need it (unless one is
# already listening) and stops what it started. Ends with one summary line: "Tests: N passed, N failed, N skipped".
#
#   bash scripts/test.sh                 # all tests
#   bash scripts/test.sh --filter EXPR   # passed to dotnet test
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

started_azurite=0
cleanup() {
  if [ "$started_azurite" = 1 ]; then
    bash scripts/azurite.sh stop || true
  fi
}
trap cleanup EXIT INT TERM

if ! bash scripts/azurite.sh status >/dev/null 2>&1; then
  bash scripts/azurite.sh start
  started_azurite=1
fi
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
  log="$results/$name.log"
  set +e
  dotnet test "$project" -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  set -e
  [ "$code" = 0 ] || status=1
  line="$(grep -E '^(Passed|Failed)!' "$log" | tail -n 1 || true)"
  if [ -z "$line" ]; then
    echo "test: no summary from $name" >&2
    status=1
    continue
  fi
  p="$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")"
  f="$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")"
  s="$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
