#!/usr/bin/env bash
# Conclave local stack on a Debian 12 machine, run as root.
#
#   deploy/local-stack.sh [up]      install packages, build build/ (Ninja, Release), start servers
#   deploy/local-stack.sh stop      stop whatever `up` started (reverse order)
#   deploy/local-stack.sh status    show the run directory and which servers are running
#   deploy/local-stack.sh packages  only install the Debian packages of deploy/packages.txt
#   deploy/local-stack.sh build     only configure and build build/
#
# Environment: CONCLAVE_BUILD_DIR (default <repo>/build), CONCLAVE_RUN_DIR (default
# /var/tmp/conclave-stack: server data, logs and PID files; it must be traversable by the
# postgres/prosody/ejabberd users, so it is not under a mode-700 home).
#
# There is no systemd (docs/environment.md): every server is started by hand on loopback and
# stopped by its PID or its own control tool.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${CONCLAVE_BUILD_DIR:-$ROOT/build}
RUN_DIR=${CONCLAVE_RUN_DIR:-/var/tmp/conclave-stack}
PACKAGES_FILE=$ROOT/deploy/packages.txt

log() { printf '[local-stack] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# --- packages -------------------------------------------------------------------------------
# read_packages prints the package names of deploy/packages.txt (comments and blanks dropped).
read_packages() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$'; }

# install_packages installs the missing packages only; `apt-get update` runs only when something
# is missing, so a second run is fast and needs no network.
install_packages() {
  local missing=() pkg
  while read -r pkg; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done < <(read_packages)
  if ((${#missing[@]} == 0)); then
    log "packages: all $(read_packages | wc -l) installed"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "missing packages (${missing[*]}); run as root: sudo $0 packages"
  log "packages: installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

# --- build ----------------------------------------------------------------------------------
build() {
  log "build: configuring $BUILD_DIR (Ninja, Release)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR"
}

# --- servers --------------------------------------------------------------------------------
# Each server NAME provides start_NAME and stop_NAME and is listed in SERVERS in start order;
# `stop` walks the list backwards. start_NAME writes its PID (or control data) under
# $RUN_DIR/NAME/ and must return only once the server accepts connections on loopback.
# Planned (later issues): postgres (PostgreSQL 15), prosody, conclave (the component).
# The local stack: PostgreSQL, Prosody with the component `mls.localhost` attached, and Conclave,
# all on loopback, data in $RUN_DIR. The server scripts of tests/harness/ do the work, with fixed
# ports so clients know where to connect: c2s 5222, component 5347, PostgreSQL 55432.
SERVERS=(postgres prosody conclave)
HARNESS=$ROOT/tests/harness
PG_PORT=${CONCLAVE_PG_PORT:-55432}
C2S_PORT=${CONCLAVE_C2S_PORT:-5222}
COMPONENT_PORT=${CONCLAVE_COMPONENT_PORT:-5347}
export CONCLAVE_COMPONENT_SECRET=${CONCLAVE_COMPONENT_SECRET:-$(cat "$RUN_DIR/secret" 2>/dev/null || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}

start_postgres() { "$HARNESS/postgres.sh" start "$RUN_DIR" "$PG_PORT" >/dev/null; }
stop_postgres() { "$HARNESS/postgres.sh" stop "$RUN_DIR"; }
running_postgres() { "$HARNESS/postgres.sh" status "$RUN_DIR" >/dev/null 2>&1; }

start_prosody() {
  "$HARNESS/prosody.sh" start "$RUN_DIR" "$C2S_PORT" "$COMPONENT_PORT" >/dev/null
  # Two demo accounts, so a client can log in right away (password = user name).
  local user
  for user in alice bob; do "$HARNESS/prosody.sh" register "$RUN_DIR" "$user" "$user" || true; done
}
stop_prosody() { "$HARNESS/prosody.sh" stop "$RUN_DIR"; }
running_prosody() { [[ -f $RUN_DIR/prosody/prosody.pid ]] && kill -0 "$(cat "$RUN_DIR/prosody/prosody.pid")" 2>/dev/null; }

start_conclave() {
  local conf=$RUN_DIR/conclave.conf
  printf '%s' "$CONCLAVE_COMPONENT_SECRET" >"$RUN_DIR/secret"
  chmod 600 "$RUN_DIR/secret"
  sed -e "s|^secret = .*|secret = $CONCLAVE_COMPONENT_SECRET|" \
    -e "s|^port = 5347|port = $COMPONENT_PORT|" \
    -e "s|^url = .*|url = $(cat "$RUN_DIR/pg/conninfo")|" "$ROOT/deploy/conclave.conf" >"$conf"
  chmod 600 "$conf"
  "$BUILD_DIR/component/conclave" migrate --config "$conf"
  setsid "$BUILD_DIR/component/conclave" run --config "$conf" >>"$RUN_DIR/conclave.log" 2>&1 &
  echo $! >"$RUN_DIR/conclave.pid"
  local i
  for i in $(seq 50); do
    grep -q "connected\|handshake" "$RUN_DIR/conclave.log" 2>/dev/null && break
    running_conclave || die "conclave exited; see $RUN_DIR/conclave.log"
    sleep 0.2
  done
  log "conclave: log in $RUN_DIR/conclave.log; rooms are ROOM@mls.localhost"
}
stop_conclave() {
  running_conclave || return 0
  kill "$(cat "$RUN_DIR/conclave.pid")"
  local i
  for i in $(seq 50); do running_conclave || return 0; sleep 0.2; done
  kill -9 "$(cat "$RUN_DIR/conclave.pid")" 2>/dev/null || true
}
running_conclave() { [[ -f $RUN_DIR/conclave.pid ]] && kill -0 "$(cat "$RUN_DIR/conclave.pid")" 2>/dev/null; }

# running_NAME, if defined, reports whether NAME is up (used by `status`).
server_running() {
  local name=$1
  if declare -F "running_$name" >/dev/null; then "running_$name"; else return 1; fi
}

start_servers() {
  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR"
  local name
  for name in "${SERVERS[@]}"; do
    log "start: $name"
    "start_$name"
  done
}

stop_servers() {
  local i status=0
  for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do
    log "stop: ${SERVERS[i]}"
    "stop_${SERVERS[i]}" || status=1 # keep stopping the others
  done
  return $status
}

print_status() {
  echo "run directory: $RUN_DIR"
  echo "XMPP: 127.0.0.1:$C2S_PORT (users alice/alice, bob/bob on localhost; no TLS, loopback only)"
  local name
  for name in "${SERVERS[@]}"; do
    if server_running "$name"; then echo "$name: running"; else echo "$name: stopped"; fi
  done
}

print_binaries() {
  echo "binaries in $BUILD_DIR:"
  local f
  while read -r f; do
    echo "  ${f#"$BUILD_DIR"/}"
  done < <(find "$BUILD_DIR" -path "$BUILD_DIR/CMakeFiles" -prune -o -type f -perm -u+x \
    ! -name '*.so*' ! -name '*.sh' ! -path '*/CMakeFiles/*' -print | sort)
}

main() {
  local cmd=${1:-up}
  case $cmd in
    up)
      install_packages
      build
      start_servers
      print_binaries
      print_status
      ;;
    packages) install_packages ;;
    build) build && print_binaries ;;
    start) start_servers && print_status ;;
    stop) stop_servers ;;
    status) print_status ;;
    -h | --help | help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (up|stop|status|packages|build|start)" ;;
  esac
}

main "$@"
