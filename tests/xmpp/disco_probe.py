#!/usr/bin/python3
"""Sends disco#info from a real client to an address and checks the answer.

usage: disco_probe.py C2S_PORT JID PASSWORD TARGET FEATURE

Logs in over plain TCP (loopback test server, no TLS), sends a disco#info query to TARGET and
exits 0 when the result lists FEATURE. Failures name the step on stderr.
Run with /usr/bin/python3: Debian's slixmpp is not visible to a venv or pyenv python.
"""
import asyncio
import sys

import slixmpp

TIMEOUT = 20


class Probe(slixmpp.ClientXMPP):
    def __init__(self, jid, password, target, feature):
        super().__init__(jid, password)
        self.target, self.feature, self.ok = target, feature, False
        self.register_plugin("xep_0030")
        self.add_event_handler("session_start", self.start)

    async def start(self, _):
        try:
            info = await self["xep_0030"].get_info(jid=self.target, timeout=10)
            features = info["disco_info"]["features"]
            self.ok = self.feature in features
            if not self.ok:
                print(f"feature {self.feature} missing in {features}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - any failure is a failed probe
            print(f"disco#info failed: {e!r}", file=sys.stderr)
        self.disconnect()


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    port, jid, password, target, feature = sys.argv[1:]
    x = Probe(jid, password, target, feature)
    x["feature_mechanisms"].unencrypted_plain = True
    x.connect(address=("127.0.0.1", int(port)), disable_starttls=True, force_starttls=False)
    x.loop.call_later(TIMEOUT, x.disconnect)
    x.process(forever=False)
    return 0 if x.ok else 1


if __name__ == "__main__":
    sys.exit(main())
