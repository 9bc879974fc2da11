#!/usr/bin/python3
"""Fault scenarios (ctest label `fault`): the real `conclave` binary attached to a real Prosody or
ejabberd with a real PostgreSQL, driven by slixmpp clients, while something breaks under it.

usage: fault_integration.py CONCLAVE_BINARY SERVER SCENARIO
  SERVER: prosody | ejabberd;  SCENARIO: one of SCENARIOS below.
Run through tests/harness/with-servers.sh; without its environment the test FAILS.
Imports conclave_test (tests/pylib): ctest sets PYTHONPATH; by hand, PYTHONPATH=tests/pylib.
"""
import asyncio
import hashlib
import os
import subprocess
import sys
import time

from conclave_test.muc_client import (C, Client, TestFailure, check, codes, error_condition,
                                      new_id, scenario_main)
from conclave_test.muc_world import (PASSWORD, SERVICE, World, create_instant, env,
                                     expect_groupchat, fetch_mam, say)

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "..", "harness")
RSS_LIMIT_KB = 200 * 1024


class FaultWorld(World):
    def __init__(self, binary, server, scenario):
        super().__init__(binary, server, scenario)
        self.db = "fault_%s_%s" % (server, scenario)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log_count(self, needle, count, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.log_text().count(needle) >= count:
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise TestFailure("conclave exited (%s) while waiting for %s" % (self.proc.returncode, what))
            time.sleep(0.1)
        raise TestFailure("timed out waiting for " + what)

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise TestFailure("no VmRSS for conclave")

    def kill9_conclave(self):
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def restart_xmpp_server(self, crash=False):
        script = os.path.join(HARNESS, self.server + ".sh")
        subprocess.run([script, "kill" if crash else "stop", self.rundir], check=True,
                       stdout=subprocess.DEVNULL)
        # Same ports again: clients and conclave find the server where it was.
        subprocess.run([script, "start", self.rundir, str(self.c2s), str(self.component)],
                       check=True, stdout=subprocess.DEVNULL)


async def paced_client(w, user):
    """A client registered and logged in, with a retry: right after a server restart the c2s port
    may accept before the virtual host is ready."""
    for attempt in range(10):
        try:
            c = Client("%s@localhost/fault" % user, PASSWORD, w.c2s)
            await c.login()
            w.clients.append(c)
            return c
        except (asyncio.TimeoutError, OSError):
            await asyncio.sleep(1)
    raise TestFailure("%s could not log in after the restart" % user)


async def persistent_room(w, alice, name):
    room = w.room(name)
    await create_instant(alice, room, "Alice", {"muc#roomconfig_persistentroom": "1",
                                                "muc#roomconfig_membersonly": "1"})
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item jid='bob@localhost' affiliation='member'/></query>")
    check(r.get("type") == "result", "member added")
    return room


async def all_mam(client, room):
    got, after = [], ""
    for _ in range(100):
        bodies, _, last, complete = await fetch_mam(client, room, "<max>50</max>%s" % after)
        got += bodies
        if complete or last is None:
            return got
        after = "<after>%s</after>" % last
    raise TestFailure("archive paging did not complete")


async def check_room_after(w, room, expected_bodies):
    """Members rejoin, affiliations still hold (a stranger is refused), a message goes through
    and MAM has every earlier message in order."""
    alice, bob = await paced_client(w, "alice"), await paced_client(w, "bob")
    info = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(info.get("type") == "result", "room exists: %s" % error_condition(info))
    feats = {f.get("var") for f in info.iter("{http://jabber.org/protocol/disco#info}feature")}
    check("muc_persistent" in feats and "muc_membersonly" in feats, "configuration intact")
    seq = await alice.join_sequence(room + "/Alice")
    me = [s for s in seq if 110 in codes(s)]
    check(len(me) == 1, "owner rejoins")
    check(me[0].find("{http://jabber.org/protocol/muc#user}x/{http://jabber.org/protocol/muc#user}item")
          .get("affiliation") == "owner", "owner affiliation intact")
    seq = await bob.join_sequence(room + "/Bob")
    check(any(110 in codes(s) for s in seq), "member rejoins a members-only room")
    w.register("mallory")
    mallory = await paced_client(w, "mallory")
    seq = await mallory.join_sequence(room + "/Mallory")
    check(error_condition(seq[-1]) == "registration-required", "non-member still refused: %s"
          % error_condition(seq[-1]))
    mid = await say(bob, room, "after the fault")
    await expect_groupchat(alice, room, "Bob", "after the fault", mid)
    got = await all_mam(alice, room)
    check(got == expected_bodies + ["after the fault"], "archive intact: %s" % got)


# ---------------------------------------------------------------------------------------------
# a. The XMPP server restarts under conclave.

async def scenario_xmpp_restart(w, crash=False):
    alice, bob = await w.client("alice"), await w.client("bob")
    room = await persistent_room(w, alice, "survivor")
    await bob.join_sequence(room + "/Bob")
    bodies = ["before restart %d" % i for i in range(5)]
    for b in bodies:
        await say(alice, room, b)
        await expect_groupchat(bob, room, "Alice", b)
    for c in w.clients:
        await c.quit()
    w.clients = []
    w.restart_xmpp_server(crash)
    w.wait_log_count("connection down", 1, "conclave to notice the lost connection")
    w.wait_log_count("connected to", 2, "conclave to reconnect", timeout=60)
    check(w.proc.poll() is None, "conclave still running")
    await check_room_after(w, room, bodies)


async def scenario_xmpp_kill(w):
    """As xmpp_restart, but the server is SIGKILLed (no stream close): conclave must notice the
    dead TCP connection by itself."""
    await scenario_xmpp_restart(w, crash=True)


# b. conclave is killed with SIGKILL and restarted.

async def scenario_conclave_kill9(w):
    alice, bob = await w.client("alice"), await w.client("bob")
    room = await persistent_room(w, alice, "phoenix")
    await bob.join_sequence(room + "/Bob")
    bodies = []
    for i in range(20):
        b = "before kill %d" % i
        await say(bob if i % 2 else alice, room, b)
        await expect_groupchat(alice, room, "Bob" if i % 2 else "Alice", b)
        bodies.append(b)  # reflected: must be archived
    w.kill9_conclave()
    for c in w.clients:
        await c.quit()
    w.clients = []
    # The server may still hold the dead component's session for a moment: retry the start.
    w.start_conclave()
    await check_room_after(w, room, bodies)


# c. PostgreSQL restarts while a client sends continuously.

async def scenario_pg_restart(w):
    alice, bob = await w.client("alice"), await w.client("bob")
    room = await persistent_room(w, alice, "ledger")
    await bob.join_sequence(room + "/Bob")
    sent = {}
    stop = asyncio.Event()

    async def sender():
        i = 0
        while not stop.is_set():
            mid = new_id("pg")
            body = "load %d" % i
            sent[mid] = body
            alice.raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>" % (room, mid, body))
            i += 1
            await asyncio.sleep(0.02)

    task = asyncio.ensure_future(sender())
    await asyncio.sleep(1.0)
    loop = asyncio.get_event_loop()
    await loop.run_in_executor(None, lambda: subprocess.run(
        [os.path.join(HARNESS, "postgres.sh"), "restart", env("CONCLAVE_TEST_PG_RUNDIR")],
        check=True, stdout=subprocess.DEVNULL))
    await asyncio.sleep(3.0)
    stop.set()
    await task
    # Every message gets an answer: its reflection or a stanza error.
    reflected, errored = [], []
    deadline = time.time() + 30
    pending = dict(sent)
    while pending and time.time() < deadline:
        for s in alice.drain():
            mid = s.get("id")
            if s.tag != C + "message" or mid not in pending:
                continue
            if s.get("type") == "error":
                errored.append((mid, error_condition(s)))
                del pending[mid]
            elif s.get("type") == "groupchat" and s.get("from") == room + "/Alice":
                reflected.append(mid)
                del pending[mid]
        await asyncio.sleep(0.1)
    check(not pending, "%d of %d messages got neither a reflection nor an error" % (len(pending), len(sent)))
    check(reflected, "some messages were reflected")
    check(all(cond for _, cond in errored), "errors carry a defined condition: %s" % errored[:5])
    check(w.proc.poll() is None, "conclave survived the database restart")
    print("pg_restart: sent %d, reflected %d, errors %d %s" % (
        len(sent), len(reflected), len(errored), sorted({c for _, c in errored})))
    got = await all_mam(alice, room)
    missing = [sent[m] for m in reflected if sent[m] not in got]
    check(not missing, "reflected but not archived: %s" % missing[:10])
    # The room still works once the database is back.
    mid = await say(bob, room, "after the outage")
    await expect_groupchat(alice, room, "Bob", "after the outage", mid)


# d. Hostile XML from the XEP-0114 peer.

LAUGHS = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>" +
          "".join("<!ENTITY lol%d '%s'>" % (i, ("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10)
                  for i in range(1, 10)) + "]>")


class HostilePeer:
    """Accepts conclave's component connections; on each, after the handshake (XEP-0114:
    SHA-1(stream id + secret)), sends the next payload and records what conclave answered."""

    def __init__(self, secret, payloads):
        self.secret, self.payloads = secret, payloads
        self.answers = []
        self.done = asyncio.Event()
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def read_until(self, reader, buf, needle, timeout=10):
        deadline = time.time() + timeout
        while needle not in buf:
            chunk = await asyncio.wait_for(reader.read(65536), max(0.1, deadline - time.time()))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    async def handle(self, reader, writer):
        n = len(self.answers)
        if n >= len(self.payloads):
            self.done.set()
            writer.close()
            return
        name, before_header, payload = self.payloads[n]
        sid = "hostile%d" % n
        header = ("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                  "xmlns='jabber:component:accept' from='%s' id='%s'>" % (SERVICE, sid)).encode()
        answer = bytearray()
        collector = None

        async def collect():
            # Reads concurrently with the payload: conclave answers (and closes) before a huge
            # payload is fully written, and a reset would discard unread data.
            try:
                while True:
                    chunk = await asyncio.wait_for(reader.read(65536), 15)
                    if not chunk:
                        return
                    answer.extend(chunk)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                # StreamReader raises a reset before returning what it had buffered.
                answer.extend(getattr(reader, "_buffer", b""))
                return

        try:
            got = await self.read_until(reader, b"", b">")
            if before_header:
                collector = asyncio.ensure_future(collect())
                writer.write(payload + header)
            else:
                writer.write(header)
                got = await self.read_until(reader, got, b"</handshake>")
                digest = got.split(b"<handshake>")[1].split(b"</handshake>")[0].decode()
                want = hashlib.sha1((sid + self.secret).encode()).hexdigest()
                if digest != want:
                    raise TestFailure("bad handshake digest from conclave")
                writer.write(b"<handshake/>")
                await writer.drain()
                collector = asyncio.ensure_future(collect())
                if callable(payload):
                    await payload(writer, answer)
                else:
                    writer.write(payload)
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        if collector is not None:
            await collector
        writer.close()
        self.answers.append((name, bytes(answer)))


async def huge_stanza(writer, answer):
    writer.write(b"<message from='a@localhost' to='x@" + SERVICE.encode() + b"'><body>")
    chunk = b"A" * (1 << 16)
    for _ in range(1024):  # up to 64 MiB, far beyond any stanza limit; stop once answered
        if answer:
            return
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0.002)
    writer.write(b"</body></message>")


async def scenario_hostile(w):
    payloads = [
        ("billion laughs in the prolog", True, LAUGHS.encode()),
        ("entity reference in a stanza", False,
         b"<message from='a@localhost' to='r@" + SERVICE.encode() + b"'><body>&lol9;</body></message>"),
        ("huge stanza", False, huge_stanza),
        ("invalid UTF-8", False,
         b"<message from='a@localhost' to='r@" + SERVICE.encode() + b"'><body>\xff\xfe\xc3\x28</body></message>"),
        ("deep nesting", False, b"<message>" + b"<a>" * 200000),
    ]
    peer = HostilePeer(w.secret, payloads)
    port = await peer.start()
    with open(w.conf) as f:
        conf = f.read().replace("port = %d" % w.component, "port = %d" % port)
    with open(w.conf, "w") as f:
        f.write(conf)
    log = open(w.log_path, "a")
    w.proc = subprocess.Popen([w.binary, "run", "--config", w.conf], stderr=log, stdout=log)
    peak = 0
    deadline = time.time() + 120
    while len(peer.answers) < len(payloads) and time.time() < deadline:
        check(w.proc.poll() is None, "conclave exited (%s)" % w.proc.returncode)
        peak = max(peak, w.rss_kb())
        await asyncio.sleep(0.05)
    check(len(peer.answers) == len(payloads), "conclave reconnected for every payload: %d of %d"
          % (len(peer.answers), len(payloads)))
    for name, got in peer.answers:
        check(b"<stream:error>" in got and b"</stream:stream>" in got, "%s: stream error sent, got %r" % (name, got[:300]))
    # One more reconnect proves it is still alive after the last payload.
    await asyncio.wait_for(peer.done.wait(), 60)
    check(w.proc.poll() is None, "conclave still running")
    check(peak < RSS_LIMIT_KB, "RSS stayed under %d KiB: peak %d" % (RSS_LIMIT_KB, peak))
    print("hostile: peak RSS %d KiB; answers: %s" % (peak, [(n, g[:120]) for n, g in peer.answers]))
    peer.server.close()


SCENARIOS = {
    "xmpp_restart": scenario_xmpp_restart,
    "xmpp_kill": scenario_xmpp_kill,
    "conclave_kill9": scenario_conclave_kill9,
    "pg_restart": scenario_pg_restart,
    "hostile": scenario_hostile,
}


async def run(w):
    w.setup()
    if w.scenario != "hostile":
        w.start_conclave()
    try:
        await asyncio.wait_for(SCENARIOS[w.scenario](w), 180)
    finally:
        await w.close()
        if w.proc is not None and w.proc.poll() is None:
            w.proc.terminate()
            try:
                w.proc.wait(10)
            except subprocess.TimeoutExpired:
                w.proc.kill()


def main():
    return scenario_main(__doc__, FaultWorld, SCENARIOS, run, nargs=3,
                         failures=(TestFailure, subprocess.CalledProcessError,
                                   asyncio.TimeoutError))


if __name__ == "__main__":
    sys.exit(main())
