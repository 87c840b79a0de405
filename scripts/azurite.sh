#!/usr/bin/env bash
# Starts, stops and reports on a local Azurite (Azure Storage emulator) for Cronflow.
#
#   bash scripts/azurite.sh install  # install (once) without starting it
#   bash scripts/azurite.sh start    # install (once) and start Azurite in the background
#   bash scripts/azurite.sh status   # exit 0 if blob/queue/table ports accept connections
#   bash scripts/azurite.sh stop     # stop the Azurite started by `start`
#   state="$(bash scripts/azurite.sh ensure)"   # start unless running; prints `running` or `started:PID`
#   bash scripts/azurite.sh release "$state"    # stop it only if that `ensure` started it
#
# `ensure` and `release` are for scripts that need Azurite for a while: `ensure` logs to stderr and prints one word
# on stdout, `running` (one was already listening; `release` leaves it alone) or `started:PID`; `release` stops the
# Azurite only when given `started:PID` and that PID is still the one recorded in .tools/azurite.pid. Each caller
# keeps its own answer, so a script never stops an Azurite that it found running.
#
# Azurite is installed with npm into .tools/azurite at the repository root. The process started by
# `start` is recorded in .tools/azurite.pid and logs to .tools/azurite.log. `stop` only ever signals
# that recorded process (and its process group); nothing is killed by name.
#
# Environment:
#   AZURITE_LOCATION=DIR   persist data in DIR (passed as --location) instead of --inMemoryPersistence
#   AZURITE_TIMEOUT=SEC    how long `start` waits for the ports (default 60)
#   AZURITE_PORTS="B Q T"  the blob, queue and table ports (default "10000 10001 10002", which
#                          UseDevelopmentStorage=true connects to)
set -euo pipefail

AZURITE_VERSION="3.37.0"
HOST="127.0.0.1"
DEFAULT_PORTS="10000 10001 10002"
read -r -a PORTS <<<"${AZURITE_PORTS:-$DEFAULT_PORTS}" # blob, queue, table

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/.tools"
INSTALL_DIR="$TOOLS_DIR/azurite"
PID_FILE="$TOOLS_DIR/azurite.pid"
LOG_FILE="$TOOLS_DIR/azurite.log"
AZURITE_BIN="$INSTALL_DIR/node_modules/.bin/azurite"
START_TIMEOUT="${AZURITE_TIMEOUT:-60}"

log() { printf 'azurite: %s\n' "$*"; }
die() { printf 'azurite: error: %s\n' "$*" >&2; exit 1; }

((${#PORTS[@]} == 3)) || die "AZURITE_PORTS must name three ports (blob, queue, table), not '${AZURITE_PORTS:-}'"

# True when something accepts TCP connections on HOST:$1 (bash /dev/tcp, no extra packages).
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# Prints the ports (of PORTS) that accept connections.
open_ports() {
  local p
  for p in "${PORTS[@]}"; do
    if port_open "$p"; then printf '%s ' "$p"; fi
  done
}

all_ports_open() {
  local p
  for p in "${PORTS[@]}"; do
    port_open "$p" || return 1
  done
}

# Inode of the socket listening on HOST:$1, from /proc/net/tcp (empty if none).
listen_inode() {
  local hex addr
  printf -v hex '%04X' "$1"
  addr="$(printf '%02X' ${HOST//./ } | sed -E 's/(..)(..)(..)(..)/\4\3\2\1/')"
  awk -v a="$addr:$hex" '$2 == a && $4 == "0A" { print $10; exit }' /proc/net/tcp 2>/dev/null
}

# True when PID $1 holds the listening sockets of all PORTS. Guards against a port that another
# process grabbed first: an Azurite that cannot bind exits shortly after, but may still be alive
# when the ports are first seen open. Without /proc the check is skipped.
pid_owns_ports() {
  [[ -r /proc/net/tcp && -d /proc/self/fd ]] || return 0
  [[ -d "/proc/$1/fd" ]] || return 1
  local p inode fds
  fds="$(ls -l "/proc/$1/fd" 2>/dev/null)"
  for p in "${PORTS[@]}"; do
    inode="$(listen_inode "$p")"
    [[ -n "$inode" ]] || return 1
    grep -qF "socket:[$inode]" <<<"$fds" || return 1
  done
}

# True when PID $1 exists and is not a zombie (an exited child not yet reaped still answers kill -0).
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state=""
  if [[ -r "/proc/$1/stat" ]]; then
    state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null || true)"
  fi
  [[ "$state" != "Z" ]]
}

# True when PID $1 is alive and is an Azurite process (guards against a recycled PID).
is_azurite_pid() {
  pid_alive "$1" || return 1
  [[ -r "/proc/$1/cmdline" ]] || return 0 # cannot inspect: trust the PID file
  tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'azurite'
}

read_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 1
  printf '%s' "$pid"
}

installed_version() {
  local pkg="$INSTALL_DIR/node_modules/azurite/package.json"
  [[ -f "$pkg" ]] || return 1
  node -p "require(process.argv[1]).version" "$pkg" 2>/dev/null
}

ensure_installed() {
  command -v node >/dev/null 2>&1 || die "node is not on PATH (Node.js 20 or later is required)"
  if [[ -x "$AZURITE_BIN" && "$(installed_version || true)" == "$AZURITE_VERSION" ]]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
  log "installing azurite@$AZURITE_VERSION into .tools/azurite (first run only)"
  mkdir -p "$INSTALL_DIR"
  npm install --prefix "$INSTALL_DIR" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null
  [[ -x "$AZURITE_BIN" ]] || die "npm install finished but $AZURITE_BIN is missing"
}

log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    echo "---- last lines of .tools/azurite.log ----" >&2
    tail -n 40 "$LOG_FILE" >&2 || true
    echo "------------------------------------------" >&2
  fi
}

# Sends signal $1 to the process group led by PID $2 and to the PID itself.
signal_tree() {
  kill "-$1" -- "-$2" 2>/dev/null || true
  kill "-$1" "$2" 2>/dev/null || true
}

# Waits up to $2 seconds for PID $1 to exit. Returns 0 once it is gone.
wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

wait_ports_closed() {
  local deadline=$((SECONDS + $1))
  while [[ -n "$(open_ports)" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Set by cmd_start to the PID of the Azurite it started, if it started one.
STARTED_PID=""

cmd_start() {
  if all_ports_open; then
    log "already running: ports ${PORTS[*]} on $HOST accept connections; not starting another"
    return 0
  fi

  local busy
  busy="$(open_ports)"
  if [[ -n "$busy" ]]; then
    die "port(s) ${busy% } on $HOST are in use by another process, but not all of ${PORTS[*]}; free them first"
  fi

  mkdir -p "$TOOLS_DIR"
  local pid
  if pid="$(read_pid)"; then
    if is_azurite_pid "$pid"; then
      die "an Azurite started earlier (PID $pid) is alive but not serving; run 'bash scripts/azurite.sh stop' first"
    fi
    rm -f "$PID_FILE" # stale
  fi

  ensure_installed

  local args=(--silent --skipApiVersionCheck
    --blobHost "$HOST" --queueHost "$HOST" --tableHost "$HOST"
    --blobPort "${PORTS[0]}" --queuePort "${PORTS[1]}" --tablePort "${PORTS[2]}")
  if [[ -n "${AZURITE_LOCATION:-}" ]]; then
    mkdir -p "$AZURITE_LOCATION"
    args+=(--location "$AZURITE_LOCATION")
    log "starting Azurite $AZURITE_VERSION (data in $AZURITE_LOCATION)"
  else
    args+=(--inMemoryPersistence)
    log "starting Azurite $AZURITE_VERSION (in-memory)"
  fi

  # setsid gives Azurite its own session and process group, so it outlives this shell and `stop`
  # can signal the whole group. The script is not a group leader (no job control), so setsid
  # execs in place and $! is the node process itself.
  : >"$LOG_FILE"
  setsid "$AZURITE_BIN" "${args[@]}" </dev/null >>"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + START_TIMEOUT))
  until all_ports_open && pid_owns_ports "$pid"; do
    if ! pid_alive "$pid"; then
      rm -f "$PID_FILE"
      if grep -q 'EADDRINUSE' "$LOG_FILE" 2>/dev/null && all_ports_open; then
        log "already running: another Azurite opened ports ${PORTS[*]} while this one was starting; using it"
        return 0
      fi
      log_tail
      die "Azurite (PID $pid) exited before its ports ${PORTS[*]} accepted connections"
    fi
    if ((SECONDS >= deadline)); then
      log_tail
      signal_tree KILL "$pid"
      rm -f "$PID_FILE"
      die "Azurite (PID $pid) did not open ports ${PORTS[*]} on $HOST within ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  STARTED_PID="$pid"
  log "running (PID $pid): blob $HOST:${PORTS[0]}, queue $HOST:${PORTS[1]}, table $HOST:${PORTS[2]}"
  if [[ "${PORTS[*]}" == "$DEFAULT_PORTS" ]]; then
    log "connection string: UseDevelopmentStorage=true"
  fi
}

# Starts Azurite unless one is listening (logging to stderr) and prints `started:PID` or `running` on stdout.
cmd_ensure() {
  cmd_start >&2
  if [[ -n "$STARTED_PID" ]]; then
    echo "started:$STARTED_PID"
  else
    echo "running"
  fi
}

# Stops the Azurite that `ensure` started, given what `ensure` printed; leaves any other alone.
cmd_release() {
  local state="${1:-}" pid recorded
  case "$state" in
    # ensure found Azurite running (someone else's: leave it), or did not answer (it failed, or was never called).
    running | "") ;;
    started:*)
      pid="${state#started:}"
      recorded="$(read_pid || true)"
      if [[ -z "$pid" || "$recorded" != "$pid" ]]; then
        log "the Azurite ensure started (PID ${pid:-?}) is no longer the one in .tools/azurite.pid; signalled nothing"
        return 0
      fi
      cmd_stop
      ;;
    *) die "release takes what ensure printed (running or started:PID), not '$state'" ;;
  esac
}

cmd_stop() {
  local pid
  if ! pid="$(read_pid)"; then
    if [[ -f "$PID_FILE" ]]; then rm -f "$PID_FILE"; fi
    log "no .tools/azurite.pid: nothing started by this script to stop"
    return 0
  fi

  if ! pid_alive "$pid"; then
    rm -f "$PID_FILE"
    log "process $pid from .tools/azurite.pid is not running; removed the PID file"
    return 0
  fi
  if ! is_azurite_pid "$pid"; then
    rm -f "$PID_FILE"
    log "process $pid is not Azurite (PID reused); removed the stale PID file and signalled nothing"
    return 0
  fi

  # Azurite often ignores the first TERM after it has served requests: TERM, wait, TERM, wait, KILL.
  log "stopping Azurite (PID $pid)"
  signal_tree TERM "$pid"
  if ! wait_exit "$pid" 5; then
    log "still running after 5s; sending TERM again"
    signal_tree TERM "$pid"
    if ! wait_exit "$pid" 5; then
      log "still running; sending KILL"
      signal_tree KILL "$pid"
      wait_exit "$pid" 5 || die "process $pid survived KILL"
    fi
  fi
  # Anything left in its process group (there should be nothing) goes too.
  signal_tree KILL "$pid"
  rm -f "$PID_FILE"

  if ! wait_ports_closed 5; then
    log "warning: port(s) $(open_ports)still accept connections (another process holds them)"
  fi
  log "stopped"
}

cmd_status() {
  local pid="" managed="no"
  if pid="$(read_pid)" && is_azurite_pid "$pid"; then managed="yes (PID $pid)"; fi
  local open
  open="$(open_ports)"
  if all_ports_open; then
    log "running: ports ${PORTS[*]} on $HOST accept connections; started by this script: $managed"
    return 0
  fi
  if [[ -n "$open" ]]; then
    log "not running: only port(s) ${open% } of ${PORTS[*]} accept connections; started by this script: $managed"
  else
    log "not running: no Azurite port accepts connections; started by this script: $managed"
  fi
  return 1
}

usage() {
  echo "usage: bash scripts/azurite.sh install|start|stop|status|ensure|release STATE" >&2
  exit 2
}

case "${1:-}" in
  install) ensure_installed ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  ensure) cmd_ensure ;;
  release) cmd_release "${2:-}" ;;
  *) usage ;;
esac
