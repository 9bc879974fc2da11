#!/usr/bin/python3
"""MUC load benchmark: one room of N occupants, the same generator against Prosody's own MUC
(conference.localhost, mod_muc) and against Conclave (mls.localhost), in one run; then
Conclave's memory per room and per occupant. A tool, not a test: see docs/benchmarks.md.

usage (through the harness, which starts PostgreSQL and Prosody):
  CONCLAVE_TEST_SERVERS=prosody tests/harness/with-servers.sh \\
      /usr/bin/python3 tests/load/muc_load.py build-NAME/component/conclave [--occupants 100] \\
      [--senders 10] [--window 4] [--seconds 10] [--extra-rooms 20]

The clients are raw asyncio sockets speaking c2s with SASL PLAIN without TLS (loopback only):
slixmpp parses every stanza and would measure itself. Senders run closed-loop: each keeps
`window` messages in flight and sends the next when it sees its own reflection. Every occupant
reads everything; one observer (not a sender) timestamps each message it receives, which
gives the relay rate and the send-to-delivery latency.
"""
import argparse
import asyncio
import base64
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "component"))
from muc_integration import PASSWORD, World  # noqa: E402

BODY = re.compile(rb"<body>lt (\d+) (\d+) ([0-9.]+)</body>")
STREAM = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


class Conn:
    def __init__(self, user, port):
        self.user, self.port = user, port
        self.buf = b""
        self.received = 0

    async def until(self, needle, timeout=20):
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            chunk = await asyncio.wait_for(self.r.read(65536), max(0.1, deadline - time.monotonic()))
            if not chunk:
                raise ConnectionError("%s: closed while waiting for %r" % (self.user, needle))
            self.buf += chunk
        i = self.buf.index(needle) + len(needle)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def send(self, s):
        self.w.write(s.encode())

    async def login(self):
        self.r, self.w = await asyncio.open_connection("127.0.0.1", self.port)
        self.send(STREAM)
        await self.until(b"</stream:features>")
        token = base64.b64encode(("\0%s\0%s" % (self.user, PASSWORD)).encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % token)
        got = await self.until(b"/>")
        if b"success" not in got:
            got += await self.until(b">")
            if b"success" not in got:
                raise ConnectionError("%s: SASL failed: %r" % (self.user, got))
        self.send(STREAM)
        await self.until(b"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>load</resource></bind></iq>")
        await self.until(b"</iq>")

    async def join(self, room, nick, create=False):
        self.send("<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'>"
                  "<history maxstanzas='0'/></x></presence>" % (room, nick))
        await self.until(b"code='110'" if b"code='110'" in self.buf else b"110")
        if create:
            self.send("<iq type='set' to='%s' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                      "<x xmlns='jabber:x:data' type='submit'/></query></iq>" % room)
            await self.until(b"id='cfg'")
            await self.until(b">")

    async def drain(self, stop, on_chunk=None):
        """Reads until stop is set; counts delivered messages."""
        tail = b""
        while not stop.is_set():
            try:
                chunk = await asyncio.wait_for(self.r.read(1 << 16), 0.5)
            except asyncio.TimeoutError:
                continue
            if not chunk:
                return
            data = tail + chunk
            cut = data.rfind(b"</message>") + len(b"</message>")
            if cut < len(b"</message>"):
                tail = data
                continue
            done, tail = data[:cut], data[cut:]
            self.received += done.count(b"</message>")
            if on_chunk:
                on_chunk(done)


async def run_room(room, conns, args):
    """Occupants join `room`; senders run closed-loop for args.seconds. Returns figures."""
    await conns[0].join(room, "u0", create=True)
    for i, c in enumerate(conns[1:], 1):
        await c.join(room, "u%d" % i)
        c.buf = b""
    conns[0].buf = b""
    await asyncio.sleep(0.5)
    for c in conns:
        c.received = 0
    stop = asyncio.Event()
    latencies = []
    observer = conns[-1]
    senders = conns[:args.senders]
    credit = [asyncio.Semaphore(args.window) for _ in senders]
    sent = [0]

    def observe(chunk):
        now = time.monotonic()
        for m in BODY.finditer(chunk):
            latencies.append(now - float(m.group(3)))

    def own(idx):
        def on_chunk(chunk):
            for m in BODY.finditer(chunk):
                if int(m.group(1)) == idx:
                    credit[idx].release()
        return on_chunk

    readers = [asyncio.ensure_future(c.drain(stop, observe if c is observer else
                                             own(i) if i < len(senders) else None))
               for i, c in enumerate(conns)]

    async def sender(idx, c):
        seq = 0
        while not stop.is_set():
            await credit[idx].acquire()
            c.send("<message type='groupchat' to='%s'><body>lt %d %d %.6f</body></message>"
                   % (room, idx, seq, time.monotonic()))
            seq += 1
            sent[0] += 1
            if seq % 16 == 0:
                await c.w.drain()

    tasks = [asyncio.ensure_future(sender(i, c)) for i, c in enumerate(senders)]
    await asyncio.sleep(1.0)  # warm-up
    lat_start, rcv_start, t0 = len(latencies), observer.received, time.monotonic()
    await asyncio.sleep(args.seconds)
    lat = latencies[lat_start:]
    rcv, t1 = observer.received - rcv_start, time.monotonic()
    stop.set()
    for s in credit:
        for _ in range(args.window):
            s.release()
    await asyncio.gather(*tasks, *readers, return_exceptions=True)
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {"rate": rcv / (t1 - t0), "deliveries": rcv * len(conns) / (t1 - t0),
            "p50": pct(0.50), "p99": pct(0.99), "n": len(lat),
            "mean": statistics.mean(lat) * 1000 if lat else float("nan")}


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def connect_all(users, port):
    conns = [Conn(u, port) for u in users]
    await asyncio.gather(*(c.login() for c in conns))
    return conns


async def close_all(conns):
    for c in conns:
        try:
            c.send("</stream:stream>")
            c.w.close()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
    await asyncio.sleep(0.5)


async def main_async(args, w):
    users = ["load%d" % i for i in range(args.occupants)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(w.register, users))
    tag = str(int(time.time()))
    results = {}
    for name, room in (("prosody mod_muc", "bench%s@conference.localhost" % tag),
                       ("conclave", "bench%s@mls.localhost" % tag)):
        conns = await connect_all(users, w.c2s)
        results[name] = await run_room(room, conns, args)
        await close_all(conns)
        r = results[name]
        print("%-16s %8.0f msg/s relayed  %9.0f deliveries/s  p50 %7.1f ms  p99 %7.1f ms  (%d samples)"
              % (name, r["rate"], r["deliveries"], r["p50"], r["p99"], r["n"]), flush=True)
    ratio = results["conclave"]["rate"] / results["prosody mod_muc"]["rate"]
    print("conclave / prosody relay rate: %.2f" % ratio)

    # Memory: idle, 1 room x N occupants, then extra rooms of N occupants, then 1-occupant rooms.
    pid = w.proc.pid
    conns = await connect_all(users, w.c2s)
    await asyncio.sleep(1)
    base = rss_kb(pid)
    await conns[0].join("mem0-%s@mls.localhost" % tag, "u0", create=True)
    for i, c in enumerate(conns[1:], 1):
        await c.join("mem0-%s@mls.localhost" % tag, "u%d" % i)
    await asyncio.sleep(1)
    one = rss_kb(pid)
    for k in range(1, args.extra_rooms + 1):
        room = "mem%d-%s@mls.localhost" % (k, tag)
        await conns[0].join(room, "u0", create=True)
        for i, c in enumerate(conns[1:], 1):
            await c.join(room, "u%d" % i)
            c.buf = b""
    await asyncio.sleep(1)
    many = rss_kb(pid)
    for k in range(args.extra_rooms * 10):
        await conns[0].join("solo%d-%s@mls.localhost" % (k, tag), "u0", create=True)
        conns[0].buf = b""
    await asyncio.sleep(1)
    solo = rss_kb(pid)
    per_room = (solo - many) / (args.extra_rooms * 10)
    per_full_room = (many - one) / args.extra_rooms
    per_occupant = (per_full_room - per_room) / args.occupants
    print("conclave RSS: idle %d KiB, 1 room x %d occupants %d KiB (+%d), %d rooms x %d %d KiB"
          % (base, args.occupants, one, one - base, args.extra_rooms + 1, args.occupants, many))
    print("conclave memory: %.1f KiB per room of %d occupants, %.1f KiB per 1-occupant room "
          "(%d of them), %.2f KiB per occupant" % (per_full_room, args.occupants, per_room,
                                                 args.extra_rooms * 10, per_occupant))
    await close_all(conns)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("conclave")
    ap.add_argument("--occupants", type=int, default=100)
    ap.add_argument("--senders", type=int, default=10)
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--extra-rooms", type=int, default=20)
    args = ap.parse_args()
    w = World(args.conclave, "prosody", "load")
    w.db = "bench_load"
    w.setup()
    with open(w.conf) as f:
        conf = f.read().replace("level = debug", "level = warn")
    with open(w.conf, "w") as f:
        f.write(conf)
    log = open(w.log_path, "a")
    w.proc = subprocess.Popen([w.binary, "run", "--config", w.conf], stderr=log, stdout=log)
    time.sleep(2)
    try:
        asyncio.get_event_loop().run_until_complete(main_async(args, w))
    finally:
        w.proc.terminate()
        w.proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
