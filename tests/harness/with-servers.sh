#!/usr/bin/env bash
# Runs a command against freshly started throwaway servers, then stops them (also on failure or
# Ctrl-C) and exits with the command's status. This is how integration tests are run:
#
#   tests/harness/with-servers.sh ctest --test-dir build -L integration
#
# Which servers: $CONCLAVE_TEST_SERVERS, a space-separated subset of "postgres ejabberd prosody"
# (default "postgres"; commas also separate; postgres is always started). ejabberd and prosody are started only if their harness script exists.
# Exported to the command:
#   CONCLAVE_TEST_PG                   libpq connection string (database conclave_test)
#   CONCLAVE_TEST_PG_RUNDIR            run directory of that server, for tests that restart it
#                                      with tests/harness/postgres.sh restart
#   CONCLAVE_TEST_HARNESS              this directory
#   CONCLAVE_TEST_RUNDIR               the run directory (servers' data: RUNDIR/<server>/)
#   CONCLAVE_TEST_EJABBERD_C2S / CONCLAVE_TEST_EJABBERD_COMPONENT   ports (with ejabberd)
#   CONCLAVE_TEST_PROSODY_*            whatever prosody.sh start prints (with prosody)
#   CONCLAVE_COMPONENT_SECRET          XEP-0114 secret of mls.localhost (default "secret")
# The run directory (mktemp, mode 755) is removed afterwards unless the command failed or
# CONCLAVE_TEST_KEEP_RUNDIR=1; then its path is printed so the server logs can be read.
set -euo pipefail
HARNESS_NAME=with-servers
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/harness/lib.sh
source "$HERE/lib.sh"

[[ $# -ge 1 ]] || {
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
}

SERVERS=${CONCLAVE_TEST_SERVERS:-postgres}
SERVERS=${SERVERS//,/ } # "prosody,ejabberd" works as well as "prosody ejabberd"
# Every integration test that runs the component needs PostgreSQL: naming only XMPP servers
# starts it too.
[[ " $SERVERS " == *" postgres "* ]] || SERVERS="postgres $SERVERS"
export CONCLAVE_COMPONENT_SECRET=${CONCLAVE_COMPONENT_SECRET:-secret}
export CONCLAVE_TEST_HARNESS=$HERE
RUN=$(mktemp -d "${TMPDIR:-/tmp}/conclave-test.XXXXXX")
chmod 755 "$RUN"
export CONCLAVE_TEST_RUNDIR=$RUN # e.g. for `prosody.sh register "$CONCLAVE_TEST_RUNDIR" u pw`
STARTED=()
STATUS=1

wants() { [[ " $SERVERS " == *" $1 "* ]]; }

# load_env evaluates only NAME=VALUE lines with safe names and values from a harness script.
load_env() {
  local line
  while IFS= read -r line; do
    if [[ "$line" =~ ^(CONCLAVE_TEST_[A-Z0-9_]+)=([A-Za-z0-9@:/._-]*)$ ]]; then
      export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
    fi
  done <<<"$1"
}

cleanup() {
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do # reverse start order
    "$HERE/${STARTED[i]}.sh" stop "$RUN" || harness_log "stopping ${STARTED[i]} failed"
  done
  if [[ $STATUS -eq 0 && "${CONCLAVE_TEST_KEEP_RUNDIR:-0}" != 1 ]]; then
    rm -rf "$RUN"
  else
    harness_log "run directory kept: $RUN"
  fi
}
CHILD=
# on_signal passes INT/TERM on to the command, waits for it, and exits (the EXIT trap then stops
# the servers).
on_signal() {
  if [[ -n "$CHILD" ]]; then
    kill "-$1" "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

if wants postgres; then
  STARTED+=(postgres)
  CONCLAVE_TEST_PG=$("$HERE/postgres.sh" start "$RUN")
  export CONCLAVE_TEST_PG CONCLAVE_TEST_PG_RUNDIR=$RUN
fi
for server in ejabberd prosody; do
  wants "$server" || continue
  if [[ ! -x "$HERE/$server.sh" ]]; then
    harness_log "$server requested but $HERE/$server.sh does not exist; not started"
    continue
  fi
  STARTED+=("$server")
  load_env "$("$HERE/$server.sh" start "$RUN")"
done

# In the background so that a signal reaches the trap at once (bash runs traps only between
# commands, and `wait` is interruptible). Its stdin stays ours: background jobs of a
# non-interactive shell would otherwise read /dev/null.
"$@" <&0 &
CHILD=$!
set +e
wait "$CHILD"
STATUS=$?
set -e
exit "$STATUS"
