#!/usr/bin/python3
"""Checks that an XMPP server of the test harness accepts a client and a component.

usage: xmpp_probe.py C2S_PORT JID PASSWORD [COMPONENT_PORT COMPONENT_JID SECRET]

The client logs in over plain TCP (no TLS on the loopback test servers) and sends a chat
message to itself; it must come back. With the component arguments, a XEP-0114 component
connects as well, and the client pings it with a message it must receive.
Exit status 0 when every step succeeded; a failure names the step on stderr.
Run with /usr/bin/python3: Debian's slixmpp is not visible to a venv or pyenv python.
"""
import asyncio
import sys

import slixmpp
from slixmpp.componentxmpp import ComponentXMPP

TIMEOUT = 20


class Component(ComponentXMPP):
    def __init__(self, jid, secret, port):
        super().__init__(jid, secret, "127.0.0.1", port)
        self.ready = asyncio.Event()
        self.received = asyncio.Event()
        self.add_event_handler("session_start", lambda _: self.ready.set())
        self.add_event_handler("message", lambda _: self.received.set())


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, component):
        super().__init__(jid, password)
        self.component = component
        self.failures = []
        self.echo = asyncio.Event()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_auth", lambda _: self.fail("authentication"))
        self.add_event_handler("message", self.on_message)

    def fail(self, what):
        self.failures.append(what)
        self.disconnect()

    def on_message(self, msg):
        if msg["body"] == "echo":
            self.echo.set()

    async def start(self, _):
        self.send_presence()
        await self.get_roster()
        self.send_message(mto=self.boundjid.bare, mbody="echo", mtype="chat")
        try:
            await asyncio.wait_for(self.echo.wait(), 5)
        except asyncio.TimeoutError:
            self.failures.append("message to self")
        if self.component is not None:
            try:
                await asyncio.wait_for(self.component.ready.wait(), 5)
                self.send_message(mto="room1@" + self.component.boundjid.bare, mbody="hi")
                await asyncio.wait_for(self.component.received.wait(), 5)
            except asyncio.TimeoutError:
                self.failures.append("component handshake or delivery")
            self.component.disconnect()
        self.disconnect()


def main(argv):
    if len(argv) not in (4, 7):
        print(__doc__, file=sys.stderr)
        return 2
    component = None
    if len(argv) == 7:
        component = Component(argv[5], argv[6], int(argv[4]))
        component.connect()
    client = Client(argv[2], argv[3], component)
    client["feature_mechanisms"].unencrypted_plain = True
    client.connect(address=("127.0.0.1", int(argv[1])), disable_starttls=True,
                   force_starttls=False)
    # process(timeout=...) is broken on Python 3.11 (docs/environment.md): stop with a timer.
    done = {"session": False}
    client.add_event_handler("session_start", lambda _: done.update(session=True))
    client.loop.call_later(TIMEOUT, client.disconnect)
    client.process(forever=False)
    if not done["session"]:
        client.failures.insert(0, "client session")
    for f in client.failures:
        print("xmpp_probe: failed: " + f, file=sys.stderr)
    return 1 if client.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
