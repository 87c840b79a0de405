#!/usr/bin/env bash
# Packs every Cronflow package into artifacts/packages, then checks the cronflow tool as a user gets it: installs it
# from that folder into .tools/cronflow, runs `cronflow --help`, starts `cronflow serve --in-memory` on a free port,
# runs `cronflow trigger sample-data-fetching --follow` against it, and stops the host it started (by its PID).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

packages="$ROOT/artifacts/packages"
tool_path="$ROOT/.tools/cronflow"
host_log="$ROOT/artifacts/cronflow-serve.log"
host_pid=""

stop_host() {
  [ -n "$host_pid" ] || return 0
  # TERM, wait, TERM, wait, KILL: always the PID started here.
  for signal in TERM TERM KILL; do
    kill -0 "$host_pid" 2>/dev/null || break
    kill -"$signal" "$host_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$host_pid" 2>/dev/null || break
      sleep 0.2
    done
  done
  wait "$host_pid" 2>/dev/null || true
  host_pid=""
}
trap stop_host EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== pack"
rm -rf "$packages"
# Warnings are errors in every project (Directory.Build.props), and any warning left (NU5104, a stable package that
# depends on a prerelease, among them) fails the script too. The output folder comes from Directory.Build.props.
mkdir -p "$ROOT/artifacts"
dotnet pack Cronflow.sln -c Release -nologo 2>&1 | tee "$ROOT/artifacts/pack.log"
if grep -q -i ': warning ' "$ROOT/artifacts/pack.log"; then
  echo "pack: dotnet pack reported warnings (artifacts/pack.log)" >&2
  exit 1
fi
ls -1 "$packages"

version="$(sed -n 's/^cronflow\.\(.*\)\.nupkg$/\1/p' <<<"$(ls -1 "$packages")")"
[ -n "$version" ] || { echo "pack: no cronflow tool package in $packages" >&2; exit 1; }

echo "== install the cronflow tool $version from $packages"
rm -rf "$tool_path"
# The local folder comes first; the configured feeds still serve the tool's own dependencies (none: a tool is self-contained).
dotnet tool install --tool-path "$tool_path" --add-source "$packages" cronflow --version "$version"
cronflow="$tool_path/cronflow"

echo "== cronflow --help"
"$cronflow" --help

echo "== cronflow serve --in-memory"
mkdir -p "$(dirname "$host_log")"
"$cronflow" serve --in-memory --url http://127.0.0.1:0 >"$host_log" 2>&1 &
host_pid=$!
url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's|^Cronflow is serving .* at \(http://[^ ]*\)/api .*|\1|p' "$host_log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$host_log" >&2; echo "pack: cronflow serve exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { cat "$host_log" >&2; echo "pack: cronflow serve did not start within 60 s" >&2; exit 1; }
echo "serving at $url"

echo "== cronflow trigger sample-data-fetching --follow"
set +e
timeout 120 "$cronflow" trigger sample-data-fetching --follow --url "$url"
code=$?
set -e
stop_host
if [ "$code" != 0 ]; then
  cat "$host_log" >&2
  echo "pack: cronflow trigger --follow exited with $code" >&2
  exit 1
fi
echo "pack: the packages are in $packages; the cronflow tool ran a sample end to end"
