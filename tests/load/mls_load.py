#!/usr/bin/python3
"""Runs the MLS load generator (tests/load/mls_load.cpp, `conclave-mls-load`) against a fresh
conclave attached to the harness's Prosody or ejabberd (docs/benchmarks.md, MLS section).

  PYTHONPATH=tests/pylib CONCLAVE_TEST_SERVERS=prosody tests/harness/with-servers.sh \\
      /usr/bin/python3 tests/load/mls_load.py --conclave build-rel/component/conclave \\
      --tool build-rel/tests/e2e/conclave-mls-load [--server prosody] \\
      [--rooms 100 --members 100 --rate 100 --seconds 30] [--big 1000] [--fill 0|1]

Prints the generator's JSON lines: the commit run, then the add-one-member run (--big 0 skips
it). --fill 0 keeps the rooms' parent nodes blank (every measured UpdatePath then encrypts to
every other leaf: the generator's cost before the copath filling). The conclave it starts has
mls.room_requests_per_minute = 0 (no limit; --room-requests-per-minute N sets it, "default"
omits it for binaries older than the key). Not a test: nothing is asserted beyond the tool's own exit status.
Run from the source root; PYTHONPATH=tests/pylib finds the shared conclave_test package.
"""
import argparse
import shutil
import subprocess
import sys

from conclave_test.e2e_lib import PASSWORD, E2EWorld, TestFailure


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--conclave", required=True)
    p.add_argument("--tool", required=True)
    p.add_argument("--server", default="prosody", choices=["prosody", "ejabberd"])
    p.add_argument("--rooms", type=int, default=100)
    p.add_argument("--members", type=int, default=100)
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--big", type=int, default=1000)
    p.add_argument("--fill", choices=["0", "1"], default="1")
    # The generator commits from one JID (100/s over all rooms), above the default per-JID limit
    # on room IQs (mls.room_requests_per_minute = 600, docs/configuration.md). "default" leaves
    # the key out, for conclave binaries older than the key.
    p.add_argument("--room-requests-per-minute", default="0")
    p.add_argument("--keep-log", help="copy conclave's log here before the harness removes it")
    a = p.parse_args()
    w = E2EWorld(a.conclave, a.tool, a.server, "load")
    w.setup()
    if a.room_requests_per_minute != "default":
        with open(w.conf, "a") as f:
            f.write("[mls]\nroom_requests_per_minute = %d\n" % int(a.room_requests_per_minute))
    w.start_conclave()
    rc = 0
    try:
        for u in ("loadgen", "joiner"):
            w.register(u)
        common = ["--jid", "loadgen@localhost", "--password", PASSWORD,
                  "--server", "127.0.0.1:%d" % w.c2s, "--fill", a.fill]
        if a.rooms > 0:
            rc |= subprocess.run([a.tool, "commits", *common, "--rooms", str(a.rooms),
                                  "--members", str(a.members), "--rate", str(a.rate),
                                  "--seconds", str(a.seconds)]).returncode
        if a.big > 0:
            rc |= subprocess.run([a.tool, "add", *common, "--members", str(a.big),
                                  "--joiner", "joiner@localhost",
                                  "--joiner-password", PASSWORD]).returncode
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        w.stop_conclave()
        if a.keep_log:
            shutil.copyfile(w.log_path, a.keep_log)
    print("conclave log: %s" % (a.keep_log or w.log_path), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
