#!/usr/bin/env bash
# Throwaway Prosody 0.12 for tests (docs/environment.md §3), loopback only, run as root (the
# server itself runs as user `prosody`).
#
#   tests/harness/prosody.sh start    RUNDIR [C2S_PORT COMPONENT_PORT]
#   tests/harness/prosody.sh stop     RUNDIR          (clean shutdown, waits for the process)
#   tests/harness/prosody.sh kill     RUNDIR          (SIGKILL: a crash, for reconnect tests)
#   tests/harness/prosody.sh register RUNDIR USER PASSWORD   (USER@localhost)
#
# Virtual host `localhost`, component `mls.localhost` with secret $CONCLAVE_COMPONENT_SECRET
# (default "secret"). Ports not given are chosen free at runtime. `start` prints shell
# assignments on stdout and writes them to RUNDIR/prosody/env:
#   CONCLAVE_TEST_PROSODY_C2S=...  CONCLAVE_TEST_PROSODY_COMPONENT=...
# `start` on a directory that was used before reuses its data (accounts survive a restart).
# Template: deploy/prosody/prosody.cfg.lua.in.
set -euo pipefail
HARNESS_NAME=prosody
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/harness/lib.sh
source "$HERE/lib.sh"
TEMPLATE=${CONCLAVE_PROSODY_TEMPLATE:-$HERE/../../deploy/prosody/prosody.cfg.lua.in}

usage() {
  echo "usage: $0 start RUNDIR [C2S_PORT COMPONENT_PORT] | stop RUNDIR | kill RUNDIR" \
    "| register RUNDIR USER PASSWORD" >&2
  exit 2
}

pid_of() {
  local pid
  pid=$(cat "$PD/prosody.pid" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

wait_gone() {
  local pid=$1
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

start() {
  local c2s=${1:-} component=${2:-} secret=${CONCLAVE_COMPONENT_SECRET:-secret}
  ((EUID == 0)) || harness_die "run as root (the server runs as user prosody)"
  [[ "$secret" =~ ^[A-Za-z0-9._~-]+$ ]] ||
    harness_die "CONCLAVE_COMPONENT_SECRET may hold only [A-Za-z0-9._~-] (it goes into Lua)"
  harness_rundir "$RUN"
  [[ -z "$(pid_of)" ]] || harness_die "already running in $PD"
  if [[ -z "$c2s" && -f "$PD/env" ]]; then
    # A restart keeps the ports the clients already know.
    # shellcheck disable=SC1091
    source "$PD/env"
    c2s=$CONCLAVE_TEST_PROSODY_C2S
    component=$CONCLAVE_TEST_PROSODY_COMPONENT
  fi
  [[ -n "$c2s" ]] || c2s=$(harness_free_port)
  [[ -n "$component" ]] || component=$(harness_free_port)
  harness_check_port "$c2s"
  harness_check_port "$component"
  mkdir -p "$PD/data" "$PD/certs"  # certs/ only silences a certmanager error
  sed -e "s|@RUN@|$RUN|g" -e "s|@C2S_PORT@|$c2s|g" -e "s|@COMPONENT_PORT@|$component|g" \
    -e "s|@SECRET@|$secret|g" "$TEMPLATE" >"$PD/prosody.cfg.lua"
  chown -R prosody:prosody "$PD"
  runuser -u prosody -- setsid prosody -F --config "$PD/prosody.cfg.lua" \
    >>"$PD/console.log" 2>&1 </dev/null &
  if ! harness_wait_port "$component" 15 || ! harness_wait_port "$c2s" 5; then
    tail -n 20 "$PD/console.log" >&2 || true
    harness_die "prosody did not listen on $c2s/$component"
  fi
  printf 'CONCLAVE_TEST_PROSODY_C2S=%s\nCONCLAVE_TEST_PROSODY_COMPONENT=%s\n' "$c2s" "$component" |
    tee "$PD/env"
}

stop() {
  local pid
  pid=$(pid_of)
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid"
  wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; }
}

crash() {
  local pid
  pid=$(pid_of)
  [[ -n "$pid" ]] || return 0
  kill -KILL "$pid"
  wait_gone "$pid" || harness_die "prosody $pid survived SIGKILL"
}

register() {
  [[ $# -eq 2 ]] || usage
  runuser -u prosody -- prosodyctl --config "$PD/prosody.cfg.lua" register "$1" localhost "$2"
}

[[ $# -ge 2 ]] || usage
cmd=$1
RUN=$2
PD=$RUN/prosody
shift 2
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  kill) crash ;;
  register) register "$@" ;;
  *) usage ;;
esac
