# Shared helpers of the test harness scripts (sourced, not run). Bash only.
#
# The servers run from throwaway directories on loopback (docs/environment.md §3): there is no
# systemd, so each script starts its server by hand and stops it by its PID or control tool.

harness_log() { printf '[%s] %s\n' "${HARNESS_NAME:-harness}" "$*" >&2; }
harness_die() {
  harness_log "error: $*"
  exit 1
}

# harness_free_port prints a TCP port that is free on 127.0.0.1 right now. The kernel picks it
# (bind to port 0), so parallel runs do not collide on a fixed number; the window between this
# probe and the server's own bind is small and a failed start is reported, not hidden.
harness_free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# harness_wait_port PORT SECONDS: succeeds once something accepts TCP connections on the port.
harness_wait_port() {
  local port=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# harness_rundir DIR: creates DIR if needed and makes it traversable by the server users
# (postgres, ejabberd, prosody): a directory under a mode-700 home would not be.
harness_rundir() {
  local dir=$1
  [[ -n "$dir" ]] || harness_die "RUNDIR missing"
  mkdir -p "$dir"
  chmod 755 "$dir"
}

# harness_check_port VALUE: refuses anything but a decimal port number (values are put into
# config files and command lines).
harness_check_port() {
  [[ "$1" =~ ^[0-9]{1,5}$ ]] && (($1 > 0 && $1 < 65536)) || harness_die "bad port: '$1'"
}
