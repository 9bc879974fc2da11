#!/usr/bin/env bash
# Integration test of the harness itself: start a throwaway ejabberd, register a user, log in
# with a slixmpp client, connect a XEP-0114 component as mls.localhost and deliver a message to
# it, then stop the server. Any failing step fails the test; the server is stopped regardless.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=$(mktemp -d)
chmod 755 "$RUN"
cleanup() {
  "$HERE/ejabberd.sh" stop "$RUN" || true
  rm -rf "$RUN"
}
trap cleanup EXIT
export CONCLAVE_COMPONENT_SECRET=smoke-secret
eval "$("$HERE/ejabberd.sh" start "$RUN")"
"$HERE/ejabberd.sh" register "$RUN" alice password
/usr/bin/python3 "$HERE/xmpp_probe.py" "$CONCLAVE_TEST_EJABBERD_C2S" alice@localhost password \
  "$CONCLAVE_TEST_EJABBERD_COMPONENT" mls.localhost "$CONCLAVE_COMPONENT_SECRET"
# A wrong password must fail: proves the probe really checks something.
if /usr/bin/python3 "$HERE/xmpp_probe.py" "$CONCLAVE_TEST_EJABBERD_C2S" alice@localhost wrong \
  2>/dev/null; then
  echo "ejabberd_smoke_test: login with a wrong password succeeded" >&2
  exit 1
fi
echo "ejabberd_smoke_test: ok"
