#!/usr/bin/env bash
# Throwaway PostgreSQL 15 for tests (docs/environment.md §3), loopback only.
#
#   tests/harness/postgres.sh start   RUNDIR [PORT]   initdb (first time), start, create conclave_test
#   tests/harness/postgres.sh stop    RUNDIR          fast shutdown (immediate, then SIGKILL, if stuck)
#   tests/harness/postgres.sh restart RUNDIR          stop and start again on the same port and data
#   tests/harness/postgres.sh status  RUNDIR          exit 0 if running
#
# `start` prints the connection string on stdout (the only thing it prints there) and writes it to
# RUNDIR/pg/conninfo; RUNDIR/pg/port holds the port. Without PORT a free one is chosen. Data,
# unix socket and log live in RUNDIR/pg/{data,sock,server.log}. As root the server runs as user
# `postgres` (initdb refuses root); as another user it runs as that user.
set -euo pipefail
HARNESS_NAME=postgres
# shellcheck source=tests/harness/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGBIN=${CONCLAVE_PGBIN:-/usr/lib/postgresql/15/bin}
DBNAME=conclave_test

usage() {
  echo "usage: $0 start|stop|restart|status RUNDIR [PORT]" >&2
  exit 2
}

# as_pg runs a command as the server's owner.
as_pg() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_ctl_() { as_pg "$PGBIN/pg_ctl" -D "$PG/data" "$@"; }

is_running() { [[ -d "$PG/data" ]] && pg_ctl_ status >/dev/null 2>&1; }

start() {
  local port=${1:-}
  harness_rundir "$RUN"
  mkdir -p "$PG/sock"
  if [[ -z "$port" && -f "$PG/port" ]]; then
    port=$(cat "$PG/port") # a restart keeps the port, so conninfo stays valid
  fi
  [[ -n "$port" ]] || port=$(harness_free_port)
  harness_check_port "$port"
  if is_running; then
    harness_die "already running in $PG (port $(cat "$PG/port"))"
  fi
  ((EUID == 0)) && chown -R postgres:postgres "$PG"
  if [[ ! -f "$PG/data/PG_VERSION" ]]; then
    as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$PG/initdb.log" 2>&1 || {
      cat "$PG/initdb.log" >&2
      harness_die "initdb failed"
    }
  fi
  # fsync off: throwaway data, and it makes the suite faster; nothing else differs from production.
  if ! pg_ctl_ -l "$PG/server.log" -w -t 30 \
    -o "-p $port -k $PG/sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
    tail -n 20 "$PG/server.log" >&2 || true
    harness_die "server did not start on port $port"
  fi
  echo "$port" >"$PG/port"
  if ! as_pg "$PGBIN/psql" -h "$PG/sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -qtAc "select 1 from pg_database where datname = '$DBNAME'" | grep -q 1; then
    as_pg "$PGBIN/psql" -h "$PG/sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -qc "create database $DBNAME" >/dev/null
  fi
  local conninfo="postgresql://postgres@127.0.0.1:$port/$DBNAME"
  echo "$conninfo" >"$PG/conninfo"
  chmod 644 "$PG/conninfo" "$PG/port"
  harness_log "running on 127.0.0.1:$port (data $PG/data)"
  echo "$conninfo"
}

stop() {
  [[ -d "$PG/data" ]] || return 0
  is_running || return 0
  if pg_ctl_ -m fast -w -t 20 stop >/dev/null 2>&1; then
    harness_log "stopped"
    return 0
  fi
  harness_log "fast shutdown timed out; trying immediate"
  pg_ctl_ -m immediate -w -t 10 stop >/dev/null 2>&1 && return 0
  local pid
  pid=$(head -n 1 "$PG/data/postmaster.pid" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    harness_log "killing postmaster $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

[[ $# -ge 2 ]] || usage
CMD=$1
RUN=$2
PG=$RUN/pg
case $CMD in
  start) start "${3:-}" ;;
  stop) stop ;;
  restart)
    stop
    start ""
    ;;
  status)
    if is_running; then
      echo "running on port $(cat "$PG/port")"
    else
      echo "stopped"
      exit 1
    fi
    ;;
  *) usage ;;
esac
