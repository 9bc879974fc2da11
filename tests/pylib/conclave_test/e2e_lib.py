"""Building blocks of the end-to-end scenarios (tests/e2e/e2e_scenarios.py), also used by
tests/load/mls_load.py.

- StanzaProxy: a loopback TCP proxy between one conclave-client and the XMPP server's c2s port
  (the client runs with --tls off). It records every top-level stanza in both directions and can
  hold back ("hold") or drop ("swallow") stanzas the client sends, so a scenario can release two
  commits at the same moment or keep a valid, never-submitted commit for the bad-input checks.
- ScriptClient: one `conclave-client script` process (client/script.h: one JSON request per line
  in, one JSON answer or event per line out), behind its own StanzaProxy.
- MLS byte surgery on base64 payloads (epoch fields, signature bytes), for the bad-input checks.
- Marker strings: unique random plaintexts, recorded per server in
  $CONCLAVE_TEST_RUNDIR/e2e/markers-SERVER.txt so the no_plaintext check can look for them in
  the database, the logs and on the wire.
"""
import asyncio
import base64
import codecs
import itertools
import json
import re
import os
import secrets
import shutil
import signal
import struct
import subprocess
import time
import xml.etree.ElementTree as ET

from .muc_client import C, TestFailure, check
from .muc_world import PASSWORD, SERVICE, World

MLS = "urn:xmpp:mls:0"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
FALLBACK_BODY = "[This message is end-to-end encrypted with MLS; your client cannot display it.]"
_ids = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Stanza splitting and the proxy.

class StanzaSplitter:
    """Cuts an XMPP stream (text) into top-level units: stream headers, stanzas, whitespace.

    A unit is returned only once complete. Attribute values are skipped with their quotes, so a
    '>' inside one does not end a tag.
    """

    def __init__(self):
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.buf = ""

    def feed(self, data):
        self.buf += self.decoder.decode(data)
        units = []
        while self.buf:
            n, kind = self._unit(self.buf)
            if n == 0:
                break
            units.append((kind, self.buf[:n]))
            self.buf = self.buf[n:]
        return units

    @staticmethod
    def _tag_end(s, i):
        """Index just past the '>' of the tag starting at s[i] == '<', or -1 if incomplete."""
        q = None
        j = i + 1
        while j < len(s):
            ch = s[j]
            if q:
                if ch == q:
                    q = None
            elif ch in "'\"":
                q = ch
            elif ch == ">":
                return j + 1
            j += 1
        return -1

    def _unit(self, s):
        if s[0] != "<":
            j = s.find("<")
            return (len(s) if j < 0 else j), "text"
        if s.startswith("<?"):
            j = s.find("?>")
            return (0 if j < 0 else j + 2), "header"
        end = self._tag_end(s, 0)
        if end < 0:
            return 0, None
        name = s[1:end].split()[0].rstrip("/>") if len(s) > 1 else ""
        if name in ("stream:stream", "/stream:stream"):
            return end, "header"
        if s[end - 2] == "/":
            return end, "stanza"
        depth, i = 1, end
        while depth > 0:
            j = s.find("<", i)
            if j < 0:
                return 0, None
            e = self._tag_end(s, j)
            if e < 0:
                return 0, None
            if s[j + 1] == "/":
                depth -= 1
            elif s[j + 1] not in "?!" and s[e - 2] != "/":
                depth += 1
            i = e
        return i, "stanza"


class StanzaProxy:
    def __init__(self, target_port, record_path):
        self.target_port = target_port
        self.record = open(record_path, "a", encoding="utf-8")
        self.sent, self.received = [], []   # stanzas client->server, server->client
        self.hold = None      # predicate(stanza text): keep back until release()
        self.swallow = None   # predicate(stanza text): drop for good (kept in .swallowed)
        self.held, self.swallowed = [], []
        self.server_writer = None
        self.cond = asyncio.Condition()
        self.port = None
        self._server = None

    async def start(self):
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _notify(self):
        async with self.cond:
            self.cond.notify_all()

    def _log(self, direction, text):
        self.record.write("%s %s\n" % (direction, text.replace("\n", " ")))
        self.record.flush()

    async def _accept(self, creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            cwriter.close()
            return
        self.server_writer = swriter

        async def up():
            split = StanzaSplitter()
            while True:
                data = await creader.read(65536)
                if not data:
                    break
                for kind, text in split.feed(data):
                    if kind == "stanza":
                        self.sent.append(text)
                        self._log(">>", text)
                        if self.swallow and self.swallow(text):
                            self.swallowed.append(text)
                            await self._notify()
                            continue
                        if self.hold and self.hold(text):
                            self.held.append(text)
                            await self._notify()
                            continue
                    swriter.write(text.encode("utf-8"))
                await swriter.drain()
                await self._notify()
            swriter.close()

        async def down():
            split = StanzaSplitter()
            while True:
                data = await sreader.read(65536)
                if not data:
                    break
                cwriter.write(data)
                await cwriter.drain()
                for kind, text in split.feed(data):
                    if kind == "stanza":
                        self.received.append(text)
                        self._log("<<", text)
                await self._notify()
            cwriter.close()

        await asyncio.gather(up(), down(), return_exceptions=True)

    async def wait_until(self, pred, what, timeout=15):
        async def poll():
            while not pred():
                async with self.cond:
                    await self.cond.wait()
        try:
            await asyncio.wait_for(poll(), timeout)
        except asyncio.TimeoutError:
            raise TestFailure("proxy: timed out waiting for " + what)

    async def release(self):
        """Sends the held stanzas to the server now, in order, and stops holding."""
        self.hold = None
        held, self.held = self.held, []
        for text in held:
            self.server_writer.write(text.encode("utf-8"))
        await self.server_writer.drain()
        return held

    def close(self):
        if self._server is not None:
            self._server.close()
        self.record.close()


def is_commit_iq(text):
    """A <commit/> IQ (docs/protocol.md §6.7), not the <commits since=…/> catch-up query."""
    return text.startswith("<iq") and re.search(r"<commit[\s/>]", text) is not None and MLS in text


# ---------------------------------------------------------------------------------------------
# The scripted reference client.

class ScriptClient:
    def __init__(self, w, user, timeout_s=15, state_dir=None, device=None):
        self.w, self.user = w, user
        self.jid = "%s@localhost" % user
        self.timeout_s = timeout_s
        self.device = device  # --device (docs/protocol.md §6.1); None: the client's default
        tag = user if device is None else "%s.%s" % (user, device)
        self.tag = tag
        self.state = state_dir or os.path.join(w.tmp, "state-" + tag)
        self.proc = None
        self.proxy = None
        self.events, self.answers, self.other = [], [], []
        self.cond = asyncio.Condition()
        self.ready = None
        self.runs = 0

    async def start(self):
        if self.proxy is None:
            self.proxy = StanzaProxy(self.w.c2s, os.path.join(self.w.tmp, "wire-%s.log" % self.tag))
            await self.proxy.start()
        self.runs += 1
        self.events, self.answers, self.other, self.ready = [], [], [], None
        err = open(os.path.join(self.w.tmp, "client-%s.%d.err" % (self.tag, self.runs)), "w")
        device = [] if self.device is None else ["--device", self.device]
        self.proc = await asyncio.create_subprocess_exec(
            self.w.client_binary, "script", "--jid", self.jid, "--state", self.state,
            "--server", "127.0.0.1:%d" % self.proxy.port, "--tls", "off", "--service", SERVICE,
            "--timeout", str(self.timeout_s), *device,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
            env=dict(os.environ, CONCLAVE_PASSWORD=PASSWORD), limit=16 * 1024 * 1024)
        self.reader = asyncio.ensure_future(self._read(self.proc.stdout))
        ev = await self.event(lambda e: e.get("event") in ("ready", "login_failed"), "ready", 30)
        check(ev["event"] == "ready", "%s logged in: %s" % (self.user, ev))
        self.ready = ev
        return self

    async def _read(self, stdout):
        while True:
            line = await stdout.readline()
            if not line:
                break
            try:
                j = json.loads(line)
            except ValueError:
                self.other.append(line)
                continue
            if "event" in j:
                self.events.append(j)
            elif "ok" in j:
                j["_read_at"] = time.monotonic()  # when it arrived, not when a waiter woke
                self.answers.append(j)
            else:
                self.other.append(j)
            async with self.cond:
                self.cond.notify_all()
        async with self.cond:
            self.cond.notify_all()

    async def _wait(self, find, what, timeout):
        async def poll():
            while True:
                r = find()
                if r is not None:
                    return r
                if self.reader.done():
                    raise TestFailure("%s: client exited (%s) while waiting for %s; events %s" % (
                        self.user, self.proc.returncode, what, self.events[-10:]))
                async with self.cond:
                    await self.cond.wait()
        try:
            return await asyncio.wait_for(poll(), timeout)
        except asyncio.TimeoutError:
            raise TestFailure("%s: timed out (%ss) waiting for %s; events: %s" % (
                self.user, timeout, what, self.events[-10:]))

    def send_line(self, op, **fields):
        rid = "r%d" % next(_ids)
        req = dict(fields, op=op, id=rid)
        self.proc.stdin.write((json.dumps(req) + "\n").encode())
        return rid

    async def answer(self, rid, what="answer", timeout=None):
        def find():
            for i, a in enumerate(self.answers):
                if a.get("id") == rid:
                    return self.answers.pop(i)
            return None
        return await self._wait(find, what, timeout or self.timeout_s * 3 + 10)

    async def request(self, op, timeout=None, **fields):
        rid = self.send_line(op, **fields)
        return await self.answer(rid, "answer to %s %s" % (op, fields), timeout)

    async def ok(self, op, timeout=None, **fields):
        a = await self.request(op, timeout, **fields)
        check(a.get("ok") is True, "%s: %s %s succeeds: %s" % (self.user, op, fields, a))
        return a

    async def event(self, pred, what, timeout=20):
        def find():
            for i, e in enumerate(self.events):
                if pred(e):
                    return self.events.pop(i)
            return None
        return await self._wait(find, what, timeout)

    async def message(self, room, text, sender=None, timeout=20):
        e = await self.event(lambda e: e.get("event") == "message" and e.get("room") == room
                             and e.get("text") == text, "message '%s' in %s" % (text, room), timeout)
        if sender is not None:
            check(e.get("from") == sender, "%s: message from %s, got %s" % (self.user, sender, e))
        return e

    def seen(self, pred):
        return [e for e in self.events if pred(e)]

    async def stop(self):
        """Asks the client to quit and waits for the process."""
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            self.send_line("quit")
            await self.proc.stdin.drain()
            self.proc.stdin.close()
            await asyncio.wait_for(self.proc.wait(), 15)
        except (asyncio.TimeoutError, ConnectionError):
            self.kill()
        await asyncio.sleep(0)

    def kill(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    def wipe_state(self):
        shutil.rmtree(self.state, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# MLS byte surgery (RFC 9420 §2.1.2 varints; §6 message framing).

def b64d(s):
    return base64.b64decode(s.strip())


def b64e(b):
    return base64.b64encode(bytes(b)).decode()


def read_varint(b, i):
    first = b[i] >> 6
    n = 1 << first
    v = b[i] & 0x3F
    for k in range(1, n):
        v = (v << 8) | b[i + k]
    return v, i + n


def epoch_offset(msg):
    """Offset of the u64 epoch in an MLSMessage carrying a PublicMessage or PrivateMessage:
    version u16, wire_format u16, then group_id<V>, epoch (RFC 9420 §6.1, §6.2, §6.3)."""
    n, i = read_varint(msg, 4)
    return i + n


def message_epoch(msg):
    return struct.unpack(">Q", bytes(msg[epoch_offset(msg):epoch_offset(msg) + 8]))[0]


def with_epoch(msg, epoch):
    b = bytearray(msg)
    o = epoch_offset(b)
    b[o:o + 8] = struct.pack(">Q", epoch)
    return bytes(b)


def flip_signature_byte(msg):
    """A commit PublicMessage from a member ends with signature<V> (Ed25519: 64 bytes),
    confirmation_tag<V> and membership_tag<V> (32 bytes each, SHA-256 suite; RFC 9420 §6.2).
    Flips one byte inside the signature."""
    b = bytearray(msg)
    check(len(b) > 140 and b[-33] == 0x20 and b[-66] == 0x20 and b[-131] == 0x40,
          "commit layout: signature(64), confirmation_tag(32), membership_tag(32) at the end")
    b[-100] ^= 0x01
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# Stanza helpers on the slixmpp side.

def mls_error(stanza):
    """(defined condition, {mls app element: attrs}) of an error stanza, or (None, {})."""
    err = stanza.find(C + "error")
    if err is None:
        return None, {}
    cond, app = None, {}
    for child in err:
        ns, _, name = child.tag[1:].partition("}")
        if ns == STANZAS and name != "text":
            cond = name
        elif ns == MLS:
            app[name] = dict(child.attrib, text=(child.text or ""))
    return cond, app


def commit_payload(message_b64, welcome_b64=None, group_info_b64=None):
    x = "<commit xmlns='%s'><message>%s</message>" % (MLS, message_b64)
    if welcome_b64:
        x += "<welcome>%s</welcome>" % welcome_b64
    if group_info_b64:
        x += "<group-info>%s</group-info>" % group_info_b64
    return x + "</commit>"


def parse_commit_iq(text):
    """message/welcome/group-info base64 texts of a commit IQ the client sent."""
    el = ET.fromstring(text)
    c = el.find("{%s}commit" % MLS)
    check(c is not None, "commit IQ: " + text[:200])
    get = lambda n: (c.findtext("{%s}%s" % (MLS, n)) or "").strip() or None  # noqa: E731
    return {"message": get("message"), "welcome": get("welcome"), "group_info": get("group-info")}


async def group_epoch(raw, room):
    r = await raw.iq(room, "get", "<group-info xmlns='%s'/>" % MLS)
    check(r.get("type") == "result", "group-info of %s: %s" % (room, mls_error(r)))
    gi = r.find("{%s}group-info" % MLS)
    return int(gi.get("epoch"))


# ---------------------------------------------------------------------------------------------
# The world of one scenario.

class E2EWorld(World):
    def __init__(self, binary, client_binary, server, scenario):
        super().__init__(binary, server, scenario)
        self.client_binary = client_binary
        self.db = "e2e_%s_%s" % (server, scenario)
        self.base = os.path.join(self.rundir, "e2e")
        os.makedirs(self.base, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = os.path.join(self.base, "%s-%s" % (server, scenario))
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        self.log_path = os.path.join(self.tmp, "conclave.log")
        self.script_clients = []
        self.markers = []

    def user(self, name):
        return "%s_%s" % (name, self.scenario)

    async def script(self, name, timeout_s=15, device=None):
        """A scripted client of user `name`; `device` names one of its devices (several devices
        of one user each get their own state directory)."""
        user = self.user(name)
        if not any(c.user == user for c in self.script_clients):
            self.register(user)
        c = ScriptClient(self, user, timeout_s, device=device)
        self.script_clients.append(c)
        return await c.start()

    async def raw(self, name):
        """A plain slixmpp client (muc_client.Client) of the scenario's user."""
        return await self.client(self.user(name))

    def marker(self, label):
        m = "MARK%s%s" % (secrets.token_hex(10), label)
        self.markers.append(m)
        with open(os.path.join(self.base, "markers-%s.txt" % self.server), "a") as f:
            f.write(m + "\n")
        return m

    async def close(self):
        for c in self.script_clients:
            await c.stop()
            if c.proxy:
                c.proxy.close()
        await super().close()


# ---------------------------------------------------------------------------------------------
# Where plaintext must never appear (scenario no_plaintext and the end of every scenario).

def dump_databases(pg, prefix):
    out = subprocess.run(["psql", pg, "-At", "-c",
                          "SELECT datname FROM pg_database WHERE datname LIKE '%s%%'" % prefix],
                         check=True, capture_output=True, text=True).stdout.split()
    dumps = {}
    for db in out:
        sep = "&" if "?" in pg else "?"
        r = subprocess.run(["pg_dump", "--data-only", "--inserts", pg + sep + "dbname=" + db],
                           capture_output=True)
        check(r.returncode == 0, "pg_dump %s: %s" % (db, r.stderr[-500:]))
        dumps["database " + db] = r.stdout
    return dumps


def files_under(paths):
    found = {}
    for p in paths:
        if os.path.isfile(p):
            found[p] = None
        for root, _, names in os.walk(p) if os.path.isdir(p) else []:
            for n in names:
                found[os.path.join(root, n)] = None
    out = {}
    for f in found:
        with open(f, "rb") as fh:
            out[f] = fh.read()
    return out


def leaks(markers, blobs):
    """[(marker, where)] for every marker found in any blob (bytes, also base64-free text)."""
    hits = []
    for m in markers:
        mb = m.encode()
        for where, data in blobs.items():
            if mb in data:
                hits.append((m, where))
    return hits


def now():
    return time.monotonic()
