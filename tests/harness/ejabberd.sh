#!/usr/bin/env bash
# Throwaway ejabberd 23.01 for tests (docs/environment.md §3), loopback only, run as root
# (ejabberdctl switches to user `ejabberd`).
#
#   tests/harness/ejabberd.sh start    RUNDIR [C2S_PORT COMPONENT_PORT]
#   tests/harness/ejabberd.sh stop     RUNDIR
#   tests/harness/ejabberd.sh status   RUNDIR
#   tests/harness/ejabberd.sh register RUNDIR USER PASSWORD     (USER@localhost)
#
# Virtual host `localhost`, a XEP-0114 listener for `mls.localhost` whose secret comes from
# $CONCLAVE_COMPONENT_SECRET (default "secret"), and a stock mod_muc at conference.localhost.
# Ports not given are chosen free at runtime. `start` prints shell assignments on stdout and
# writes them to RUNDIR/ejabberd/env:
#   CONCLAVE_TEST_EJABBERD_C2S=...  CONCLAVE_TEST_EJABBERD_COMPONENT=...
# Templates: deploy/ejabberd/{ejabberd.yml.in,ejabberdctl.cfg.in}.
set -euo pipefail
HARNESS_NAME=ejabberd
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/harness/lib.sh
source "$HERE/lib.sh"
TEMPLATES=${CONCLAVE_EJABBERD_TEMPLATES:-$HERE/../../deploy/ejabberd}

usage() {
  echo "usage: $0 start RUNDIR [C2S_PORT COMPONENT_PORT] | stop RUNDIR | status RUNDIR" \
    "| register RUNDIR USER PASSWORD" >&2
  exit 2
}

ejctl() {
  ejabberdctl --config "$EJD/ejabberd.yml" --ctl-config "$EJD/ejabberdctl.cfg" \
    --logs "$EJD/logs" --spool "$EJD/spool" "$@"
}

is_running() { [[ -f "$EJD/ejabberdctl.cfg" ]] && ejctl status >/dev/null 2>&1; }

# kill_group kills what `start` launched: setsid made the foreground ejabberdctl a session and
# process-group leader, so the group holds the Erlang VM too.
kill_group() {
  local pid
  pid=$(cat "$EJD/foreground.pid" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

start() {
  local c2s=${1:-} component=${2:-} secret=${CONCLAVE_COMPONENT_SECRET:-secret} dist node
  ((EUID == 0)) || harness_die "run as root (ejabberdctl switches to user ejabberd)"
  [[ "$secret" =~ ^[A-Za-z0-9._~-]+$ ]] ||
    harness_die "CONCLAVE_COMPONENT_SECRET may hold only [A-Za-z0-9._~-] (it goes into YAML)"
  harness_rundir "$RUN"
  if is_running; then
    harness_die "already running in $EJD"
  fi
  [[ -n "$c2s" ]] || c2s=$(harness_free_port)
  [[ -n "$component" ]] || component=$(harness_free_port)
  dist=$(harness_free_port)
  harness_check_port "$c2s"
  harness_check_port "$component"
  node="ejabberd_$c2s@localhost"
  mkdir -p "$EJD/spool" "$EJD/logs"
  sed -e "s|@C2S_PORT@|$c2s|g" -e "s|@COMPONENT_PORT@|$component|g" -e "s|@SECRET@|$secret|g" \
    "$TEMPLATES/ejabberd.yml.in" >"$EJD/ejabberd.yml"
  sed -e "s|@NODE@|$node|g" -e "s|@DIST_PORT@|$dist|g" \
    "$TEMPLATES/ejabberdctl.cfg.in" >"$EJD/ejabberdctl.cfg"
  chown -R ejabberd:ejabberd "$EJD"
  chmod 600 "$EJD/ejabberd.yml" # holds the component secret
  setsid ejabberdctl --config "$EJD/ejabberd.yml" --ctl-config "$EJD/ejabberdctl.cfg" \
    --logs "$EJD/logs" --spool "$EJD/spool" foreground >"$EJD/foreground.log" 2>&1 &
  echo $! >"$EJD/foreground.pid"
  local ok=0
  for _ in $(seq 60); do
    if ejctl status >/dev/null 2>&1 && harness_wait_port "$c2s" 1 &&
      harness_wait_port "$component" 1; then
      ok=1
      break
    fi
    kill -0 "$(cat "$EJD/foreground.pid")" 2>/dev/null || break
    sleep 1
  done
  if ((ok == 0)); then
    tail -n 30 "$EJD/foreground.log" "$EJD/logs/ejabberd.log" >&2 2>/dev/null || true
    kill_group
    harness_die "ejabberd did not start (c2s $c2s, component $component)"
  fi
  printf 'CONCLAVE_TEST_EJABBERD_C2S=%s\nCONCLAVE_TEST_EJABBERD_COMPONENT=%s\n' \
    "$c2s" "$component" >"$EJD/env"
  harness_log "running: c2s 127.0.0.1:$c2s, component 127.0.0.1:$component (node $node)"
  cat "$EJD/env"
}

stop() {
  [[ -f "$EJD/ejabberdctl.cfg" ]] || return 0
  if is_running; then
    # `stopped` waits until the node is gone (with ERL_DIST_PORT it leaves epmd alone).
    if ejctl stop >/dev/null 2>&1 && timeout 30 ejabberdctl --config "$EJD/ejabberd.yml" \
      --ctl-config "$EJD/ejabberdctl.cfg" --logs "$EJD/logs" --spool "$EJD/spool" \
      stopped >/dev/null 2>&1; then
      harness_log "stopped"
    else
      harness_log "ejabberdctl stop failed; killing the process group"
    fi
  fi
  kill_group
}

[[ $# -ge 2 ]] || usage
CMD=$1
RUN=$2
EJD=$RUN/ejabberd
case $CMD in
  start)
    [[ $# -eq 2 || $# -eq 4 ]] || usage
    start "${3:-}" "${4:-}"
    ;;
  stop) stop ;;
  status)
    if is_running; then
      cat "$EJD/env"
    else
      echo "stopped"
      exit 1
    fi
    ;;
  register)
    [[ $# -eq 4 ]] || usage
    ejctl register "$3" localhost "$4" >/dev/null
    ;;
  *) usage ;;
esac
