"""Scripted XMPP clients for the room service's integration tests (slixmpp 1.8, Debian 12).

A Client logs in over plain c2s on loopback, sends raw stanzas and records every stanza it
receives, so a scenario can assert exact XEP-0045 behaviour ("Alice sends / Alice receives")
without slixmpp's MUC plugin guessing on its behalf.
"""
import asyncio
import itertools
import os
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

C = "{jabber:client}"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = "{http://jabber.org/protocol/muc#user}"
_ids = itertools.count(1)


def new_id(prefix="t"):
    return "%s%d" % (prefix, next(_ids))


def codes(stanza):
    """Status codes of a MUC presence or message, as a set of ints."""
    x = stanza.find(MUC_USER + "x")
    if x is None:
        return set()
    return {int(s.get("code")) for s in x.findall(MUC_USER + "status")}


def error_condition(stanza):
    err = stanza.find(C + "error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith("{urn:ietf:params:xml:ns:xmpp-stanzas}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None


class TestFailure(Exception):
    pass


def scenario_main(doc, make_world, scenarios, run, nargs, failures=(TestFailure,)):
    """The command line of every scenario script: `nargs` arguments, the second-to-last naming
    the server and the last the scenario. Builds the world, runs the scenario, prints `ok` or
    `FAIL` with the tail of Conclave's log (and the scenario's files, if they are kept), and
    returns the exit status."""
    args = sys.argv[1:]
    if len(args) != nargs or args[-1] not in scenarios:
        print(doc, file=sys.stderr)
        return 2
    server, scenario = args[-2], args[-1]
    w = None
    try:
        w = make_world(*args)
        asyncio.get_event_loop().run_until_complete(run(w))
    except failures as e:
        print("FAIL %s/%s: %s" % (server, scenario, e if isinstance(e, TestFailure) else repr(e)),
              file=sys.stderr)
        log = getattr(w, "log_path", None)
        if log is not None and os.path.exists(log):
            print("--- conclave log (tail) ---\n" + open(log).read()[-4000:], file=sys.stderr)
        if getattr(w, "tmp", None) is not None and os.path.isdir(w.tmp):
            print("--- scenario files: %s" % w.tmp, file=sys.stderr)
        return 1
    print("ok %s/%s" % (server, scenario))
    return 0


def check(cond, what):
    if not cond:
        raise TestFailure(what)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, port, host="127.0.0.1"):
        super().__init__(jid, password)
        self.port = port
        self.host = host
        self.inbox = []
        self.received = []
        self.cond = asyncio.Condition()
        self.ready = asyncio.Event()
        self["feature_mechanisms"].unencrypted_plain = True
        self.add_event_handler("session_start", self._on_start)
        for kind in ("message", "presence", "iq"):
            self.register_handler(Callback("rec-" + kind, MatchXPath("{jabber:client}%s" % kind), self._record))

    async def _on_start(self, _):
        self.send_presence()
        self.ready.set()

    def _record(self, stanza):
        self.inbox.append(stanza.xml)
        self.received.append(stanza.xml)  # everything, for counts at the end of a scenario
        asyncio.ensure_future(self._notify())

    async def _notify(self):
        async with self.cond:
            self.cond.notify_all()

    async def login(self, timeout=15):
        self.connect(address=(self.host, self.port), disable_starttls=True, force_starttls=False)
        await asyncio.wait_for(self.ready.wait(), timeout)

    def raw(self, xml):
        self.send_raw(xml)

    async def wait_for(self, pred, what, timeout=10):
        """Removes and returns the first received stanza (oldest first) matching pred."""
        async def find():
            while True:
                for i, s in enumerate(self.inbox):
                    if pred(s):
                        return self.inbox.pop(i)
                async with self.cond:
                    await self.cond.wait()
        try:
            return await asyncio.wait_for(find(), timeout)
        except asyncio.TimeoutError:
            raise TestFailure("%s: timed out waiting for %s; inbox: %s" % (
                self.boundjid, what, [ET.tostring(s, encoding="unicode")[:300] for s in self.inbox]))

    async def iq(self, to, type_, payload, timeout=10):
        i = new_id("iq")
        self.raw("<iq type='%s' to='%s' id='%s'>%s</iq>" % (type_, to, i, payload))
        return await self.wait_for(lambda s: s.tag == C + "iq" and s.get("id") == i, "iq " + i, timeout)

    async def join(self, room_nick, extra="", history="<history maxstanzas='20'/>"):
        """Joins and returns (presences before self-presence, self-presence, messages up to and including the subject)."""
        self.raw("<presence to='%s'><x xmlns='%s'>%s%s</x></presence>" % (room_nick, MUC, history, extra))
        room = room_nick.split("/")[0]
        me = await self.wait_for(
            lambda s: (s.tag == C + "presence" and s.get("from") == room_nick and
                       (110 in codes(s) or s.get("type") == "error")), "self-presence in " + room_nick)
        return me

    async def join_sequence(self, room_nick, extra="", history="<history maxstanzas='20'/>"):
        """Joins and returns, in arrival order, every stanza from the room up to and including
        the subject (or the error presence)."""
        room = room_nick.split("/")[0]
        self.raw("<presence to='%s'><x xmlns='%s'>%s%s</x></presence>" % (room_nick, MUC, history, extra))

        def from_room(s):
            return (s.get("from") or "").split("/")[0] == room

        def end(s):
            return from_room(s) and (
                (s.tag == C + "message" and s.find(C + "subject") is not None) or
                (s.tag == C + "presence" and s.get("type") == "error"))
        last = await self.wait_for(lambda s: end(s), "end of join to " + room_nick)
        seq = [s for s in self.inbox if from_room(s)] + [last]
        self.inbox = [s for s in self.inbox if not from_room(s)]
        return seq

    def drain(self):
        out, self.inbox = self.inbox, []
        return out

    def take_all(self, pred):
        out = [s for s in self.inbox if pred(s)]
        self.inbox = [s for s in self.inbox if not pred(s)]
        return out

    async def quit(self):
        self.disconnect()
        await asyncio.sleep(0.2)
