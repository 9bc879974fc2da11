#!/usr/bin/python3
"""The XMPP-server behaviours the several-instances design relies on (docs/cluster.md), checked
against the real servers the harness started, with raw XEP-0114 connections standing in for
Conclave instances and a real client sending to the component.

  server_facts.py prosody kick_old      a second connection for mls.localhost replaces the first
                                        (component_conflict_resolve = "kick_old" in the harness's
                                        and deploy/'s config), and stanzas then reach the second,
                                        every one of them, also after the first's socket closes
  server_facts.py prosody unavailable   with no connection, a stanza to the component bounces
                                        with a wait-type error (what clients see mid-failover)
  server_facts.py ejabberd several      two connections are both accepted; with the harness's
                                        config (no domain_balancing) stanzas are spread over both
                                        and none is lost; when one closes, the other gets all
"""
import asyncio
import hashlib
import os
import re
import socket
import sys
import time

from conclave_test.muc_client import C, Client, TestFailure, check, scenario_main
from conclave_test.muc_world import HARNESS, PASSWORD, SERVICE, env

import subprocess


class RawComponent:
    """A bare XEP-0114 connection: handshake, then counts the stanzas carrying a marker."""

    def __init__(self, port, secret):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.closed_by_server = False
        self.sock.sendall((
            "<stream:stream xmlns='jabber:component:accept' "
            "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % SERVICE).encode())
        head = self._read_until(rb"<stream:stream[^>]*>")
        sid = re.search(rb"id=['\"]([^'\"]+)['\"]", head).group(1).decode()
        token = hashlib.sha1((sid + secret).encode()).hexdigest()
        self.sock.sendall(("<handshake>%s</handshake>" % token).encode())
        self._read_until(rb"<handshake\s*/>|<handshake></handshake>")
        self.sock.setblocking(False)

    def _read_until(self, pattern):
        deadline = time.time() + 10
        while time.time() < deadline:
            m = re.search(pattern, self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out
            if re.search(rb"<stream:error", self.buf):
                raise TestFailure("stream error during handshake: %r" % self.buf[-300:])
            chunk = self.sock.recv(65536)
            if not chunk:
                raise TestFailure("connection closed during handshake")
            self.buf += chunk
        raise TestFailure("handshake timed out: %r" % self.buf[-300:])

    def pump(self):
        """Reads what is there; returns the received bytes so far."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError:
                self.closed_by_server = True
                break
            if not chunk:
                self.closed_by_server = True
                break
            self.buf += chunk
        return self.buf

    def count(self, marker):
        return self.pump().count(marker.encode())

    def close(self):
        try:
            self.sock.sendall(b"</stream:stream>")
        except OSError:
            pass
        self.sock.close()


class World:
    def __init__(self, server, scenario):
        self.server, self.scenario = server, scenario
        self.rundir = env("CONCLAVE_TEST_RUNDIR")
        self.c2s = int(env("CONCLAVE_TEST_%s_C2S" % server.upper()))
        self.component = int(env("CONCLAVE_TEST_%s_COMPONENT" % server.upper()))
        self.secret = os.environ.get("CONCLAVE_COMPONENT_SECRET", "secret")

    async def client(self, user):
        subprocess.run([os.path.join(HARNESS, self.server + ".sh"), "register", self.rundir, user,
                        PASSWORD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        c = Client("%s@localhost/facts" % user, PASSWORD, self.c2s)
        await c.login()
        return c


async def send_burst(client, tag, n):
    for i in range(n):
        client.raw("<message to='r@%s' type='groupchat' id='%s-%d'><body>%s</body></message>"
                   % (SERVICE, tag, i, tag))
    await asyncio.sleep(0)


async def settle(components, tag, want, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if sum(c.count(">%s<" % tag) for c in components) >= want:
            return
        await asyncio.sleep(0.1)


async def kick_old(w):
    client = await w.client("facts_a")
    first = RawComponent(w.component, w.secret)
    await send_burst(client, "before", 5)
    await settle([first], "before", 5)
    check(first.count(">before<") == 5, "first connection got %d of 5" % first.count(">before<"))
    second = RawComponent(w.component, w.secret)  # replaces the first (kick_old)
    await asyncio.sleep(1.0)
    first.pump()
    check(first.closed_by_server and b"conflict" in first.buf,
          "the first connection was not closed with <conflict/>: %r" % first.buf[-200:])
    # The old session's teardown must not unhook the new one: send in two rounds, the second
    # well after the first socket is gone.
    await send_burst(client, "after", 20)
    await settle([second], "after", 20)
    await asyncio.sleep(2.0)
    await send_burst(client, "later", 20)
    await settle([second], "later", 20)
    check(second.count(">after<") == 20, "second got %d of 20 right after" % second.count(">after<"))
    check(second.count(">later<") == 20, "second got %d of 20 later" % second.count(">later<"))
    errors = [s for s in client.inbox if s.get("type") == "error"]
    check(not errors, "the client got errors: %d" % len(errors))
    second.close()
    await client.quit()


async def unavailable(w):
    client = await w.client("facts_b")
    client.raw("<iq type='get' to='%s' id='probe1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>" % SERVICE)
    reply = await client.wait_for(lambda s: s.get("id") == "probe1", "the bounce", 10)
    check(reply.get("type") == "error", "no error without a component: %s" % reply.get("type"))
    err = reply.find(C + "error")
    check(err is not None and err.get("type") == "wait",
          "error type %s, not wait" % (None if err is None else err.get("type")))
    await client.quit()


async def several(w):
    client = await w.client("facts_c")
    a = RawComponent(w.component, w.secret)
    b = RawComponent(w.component, w.secret)
    await asyncio.sleep(0.5)
    await send_burst(client, "spread", 60)
    await settle([a, b], "spread", 60)
    na, nb = a.count(">spread<"), b.count(">spread<")
    check(na + nb == 60, "%d + %d of 60 delivered" % (na, nb))
    check(na > 0 and nb > 0, "not spread over both connections: %d / %d" % (na, nb))
    check(not a.closed_by_server and not b.closed_by_server, "a connection was refused")
    a.close()
    await asyncio.sleep(1.0)
    await send_burst(client, "alone", 30)
    await settle([b], "alone", 30)
    check(b.count(">alone<") == 30, "after one closed, the other got %d of 30" % b.count(">alone<"))
    b.close()
    await client.quit()


SCENARIOS = {"kick_old": kick_old, "unavailable": unavailable, "several": several}


async def run(w):
    await SCENARIOS[w.scenario](w)


if __name__ == "__main__":
    sys.exit(scenario_main(__doc__, World, SCENARIOS, run, 2,
                           failures=(TestFailure, OSError, AttributeError, asyncio.TimeoutError)))
