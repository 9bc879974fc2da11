#!/usr/bin/env bash
# integration.client.<server>.login: conclave-client over libstrophe against a real Prosody or
# ejabberd (run under tests/harness/with-servers.sh): SASL login without TLS on loopback, an IQ
# to the MLS service answered with a stanza error (no component attached: the error path of the
# script mode), a stock MUC room entered as a new instant room, and a second client on the same
# account state reusing its identity key. Fails, never skips, without the servers.
#
#   strophe_login.sh CONCLAVE_CLIENT prosody|ejabberd
set -euo pipefail
CLIENT=$1
SERVER=$2
: "${CONCLAVE_TEST_RUNDIR:?run under tests/harness/with-servers.sh}"
: "${CONCLAVE_TEST_HARNESS:?run under tests/harness/with-servers.sh}"
case "$SERVER" in
  prosody) PORT=${CONCLAVE_TEST_PROSODY_C2S:?prosody not started} ;;
  ejabberd) PORT=${CONCLAVE_TEST_EJABBERD_C2S:?ejabberd not started} ;;
  *) echo "unknown server $SERVER" >&2; exit 2 ;;
esac
USER=clientlogin$$
"$CONCLAVE_TEST_HARNESS/$SERVER.sh" register "$CONCLAVE_TEST_RUNDIR" "$USER" pw >/dev/null
STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT
run() {
  CONCLAVE_PASSWORD=pw timeout 60 "$CLIENT" script --jid "$USER@localhost" --state "$STATE/acct" \
    --server "127.0.0.1:$PORT" --tls off --timeout 5
}
fail() { echo "FAIL: $*" >&2; echo "$OUT" >&2; exit 1; }

OUT=$(printf '%s\n' '{"op":"whoami"}' '{"op":"count","id":1}' \
  '{"op":"enter","room":"clienttest'$$'@conference.localhost"}' '{"op":"quit"}' | run)
grep -q '"event":"ready"' <<<"$OUT" || fail "no ready event"
grep -q "\"jid\":\"$USER@localhost\"" <<<"$OUT" || fail "whoami"
# No component is attached: the service's domain answers with a stanza error.
grep -q '"id":1,.*"ok":false' <<<"$OUT" || grep -q '"ok":false.*"op":"count"' <<<"$OUT" ||
  fail "count did not fail"
grep -q '"condition":"' <<<"$OUT" || fail "no stanza condition in the error answer"
grep -q '"ok":true,"op":"enter"' <<<"$OUT" || fail "MUC enter"
FP1=$(grep -o '"fingerprint":"[0-9A-F ]*"' <<<"$OUT" | head -1)
[[ $(stat -c %a "$STATE/acct/identity.key") == 600 ]] || fail "identity.key mode"

OUT=$(printf '%s\n' '{"op":"quit"}' | run)
FP2=$(grep -o '"fingerprint":"[0-9A-F ]*"' <<<"$OUT" | head -1)
[[ -n "$FP1" && "$FP1" == "$FP2" ]] || fail "identity not kept across runs ($FP1 / $FP2)"

# A wrong password fails the login cleanly.
OUT=$(printf '%s\n' '{"op":"quit"}' | CONCLAVE_PASSWORD=wrong timeout 60 "$CLIENT" script \
  --jid "$USER@localhost" --state "$STATE/acct" --server "127.0.0.1:$PORT" --tls off \
  --timeout 5 || true)
grep -q '"event":"login_failed"' <<<"$OUT" || fail "wrong password not reported"
echo "ok: $SERVER"
