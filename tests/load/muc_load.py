#!/usr/bin/python3
"""MUC load benchmark: one room of N occupants, the same generator against the XMPP server's own
MUC (conference.localhost: Prosody's mod_muc with muc_mam, or ejabberd's mod_muc with mod_mam)
and against Conclave (mls.localhost) attached to that same server, in one run; then Conclave's
memory per room and per occupant. A tool, not a test: see docs/benchmarks.md.

usage (from the source root, through the harness, which starts PostgreSQL and the XMPP server;
PYTHONPATH=tests/pylib finds the shared conclave_test package):
  PYTHONPATH=tests/pylib CONCLAVE_TEST_SERVERS=prosody tests/harness/with-servers.sh \\
      /usr/bin/python3 tests/load/muc_load.py build-NAME/component/conclave [--server prosody] \\
      [--occupants 100] [--senders 10] [--window 4] [--seconds 10] [--runs 3] [--rooms 100] \\
      [--perf FILE] [--perf-prosody FILE]
  (--server ejabberd with CONCLAVE_TEST_SERVERS=ejabberd)

The clients are raw asyncio sockets speaking c2s with SASL PLAIN without TLS (loopback only):
slixmpp parses every stanza and would measure itself. Senders run closed-loop: each keeps
`window` messages in flight and sends the next when it sees its own reflection. Every occupant
reads everything; one observer (not a sender) counts the messages it receives (the relay
rate); each sender timestamps the reflection of its own messages (send -> reflected back to
the sender: the latency, which with Conclave includes the archive write). Each run measures
both servers; the medians over --runs runs are printed last, with the CPU time each process
(the XMPP server, Conclave, PostgreSQL, this generator) spent per 1000 relayed messages.
"""
import argparse
import asyncio
import base64
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from conclave_test.muc_world import PASSWORD, World

BODY = re.compile(rb"<body>lt (\d+) (\d+) ([0-9.]+)</body>")
STREAM = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


class Conn:
    def __init__(self, user, port):
        self.user, self.port = user, port
        self.buf = b""
        self.received = 0
        self.reads = 0  # read() calls that returned data, while draining
        self.nbytes = 0  # bytes read while draining
        self.sample = None  # one received message, as the server wrote it

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
        # The whole status element: a bare "110" also turns up inside ids and occupant-ids of
        # other rooms' presences, and waiting for it let joins run ahead of the server.
        await self.until(b"code='110'")
        if create:
            self.send("<iq type='set' to='%s' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                      "<x xmlns='jabber:x:data' type='submit'/></query></iq>" % room)
            await self.until(b"id='cfg'")
            await self.until(b">")

    async def drain(self, on_chunk=None):
        """Reads until cancelled; counts delivered messages. (A plain read: wrapping each in
        wait_for costs a task and a timer per read, which made this generator's CPU per message
        depend on how many pieces the server writes.)"""
        tail = b""
        while True:
            chunk = await self.r.read(1 << 16)
            if not chunk:
                return
            self.reads += 1
            self.nbytes += len(chunk)
            data = tail + chunk
            cut = data.rfind(b"</message>") + len(b"</message>")
            if cut < len(b"</message>"):
                tail = data
                continue
            done, tail = data[:cut], data[cut:]
            self.received += done.count(b"</message>")
            if self.sample is None and b"<body>lt " in done:
                start = done.rfind(b"<message", 0, done.index(b"<body>lt "))
                self.sample = done[start:done.index(b"</message>", start) + len(b"</message>")]
            if on_chunk:
                on_chunk(done)


async def run_room(room, conns, args, cpu_pids):
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

    def own(idx):
        def on_chunk(chunk):
            now = time.monotonic()
            for m in BODY.finditer(chunk):
                if int(m.group(1)) == idx:
                    latencies.append(now - float(m.group(3)))
                    credit[idx].release()
        return on_chunk

    readers = [asyncio.ensure_future(c.drain(own(i) if i < len(senders) else None))
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
    perf = None
    if cpu_pids.get("perf_target"):
        perf = subprocess.Popen(["perf", "record", "-g", "-o", cpu_pids["perf_file"], "-p",
                                 str(cpu_pids["perf_target"]), "--", "sleep", str(args.seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu0 = cpu_seconds(cpu_pids)
    lat_start, rcv_start, t0 = len(latencies), observer.received, time.monotonic()
    reads0 = sum(c.reads for c in conns)
    bytes0, obs0 = observer.nbytes, observer.received
    load0 = os.getloadavg()[0]
    await asyncio.sleep(args.seconds)
    lat = latencies[lat_start:]
    rcv, t1 = observer.received - rcv_start, time.monotonic()
    reads = sum(c.reads for c in conns) - reads0
    obs_bytes, obs_msgs = observer.nbytes - bytes0, observer.received - obs0
    cpu1 = cpu_seconds(cpu_pids)
    if perf:
        perf.wait()
    stop.set()
    for s in credit:
        for _ in range(args.window):
            s.release()
    for t in readers:
        t.cancel()
    await asyncio.gather(*tasks, *readers, return_exceptions=True)
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    cpu_per_k = {k: (cpu1[k] - cpu0[k]) * 1000 / rcv if rcv else float("nan") for k in cpu0}
    return {"rate": rcv / (t1 - t0), "deliveries": rcv * len(conns) / (t1 - t0),
            "p50": pct(0.50), "p99": pct(0.99), "n": len(lat),
            "mean": statistics.mean(lat) * 1000 if lat else float("nan"), "cpu": cpu_per_k,
            # Per message delivered to one client: how many bytes the server wrote, and in how
            # many reads (writes) the clients got them: 1/reads_per_msg = messages per write.
            "bytes_per_msg": obs_bytes / obs_msgs if obs_msgs else float("nan"),
            "msgs_per_read": rcv * len(conns) / reads if reads else float("nan"),
            "load": load0, "sample": observer.sample}


def proc_cpu(pid):
    """utime + stime of one process, in seconds; 0 if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def cpu_seconds(pids):
    """CPU seconds so far of each process group: {name: seconds}."""
    out = {}
    for name, pid in pids.items():
        if name in ("perf_target", "perf_file") or not pid:
            continue
        if name == "postgres":  # the postmaster and its backends
            out[name] = proc_cpu(pid) + sum(proc_cpu(c) for c in children_of(pid))
        elif name == "generator":
            t = os.times()
            out[name] = t.user + t.system
        else:
            out[name] = proc_cpu(pid)
    return out


def pid_file(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return 0


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def connect_all(users, port):
    conns = [Conn(u, port) for u in users]
    # A few at a time: ejabberd's listeners keep a backlog of 5 pending connections by default,
    # and a SYN dropped beyond it is retried only after a second or more.
    gate = asyncio.Semaphore(4)

    async def login(c):
        async with gate:
            await c.login()

    await asyncio.gather(*(login(c) for c in conns))
    return conns


async def close_all(conns):
    for c in conns:
        try:
            c.send("</stream:stream>")
            c.w.close()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
    await asyncio.sleep(0.5)


def fmt_cpu(cpu):
    return ", ".join("%s %.2f" % (k, v) for k, v in sorted(cpu.items()))


async def throughput(args, w, users, run):
    tag = "%d%d" % (int(time.time()), run)
    rundir = w.rundir
    results = {}
    own = args.server + " mod_muc"
    for name, room in ((own, "bench%s@conference.localhost" % tag),
                       ("conclave", "bench%s@mls.localhost" % tag)):
        server = server_pid(args.server, rundir)
        pids = {args.server: server,
                "conclave": w.proc.pid,
                "postgres": pid_file(os.path.join(rundir, "pg", "data", "postmaster.pid")),
                "generator": os.getpid(),
                "perf_target": 0}
        if run == 0 and args.perf and name == "conclave":
            pids.update(perf_target=w.proc.pid, perf_file=args.perf)
        elif run == 0 and args.perf_prosody:  # one profile per phase: FILE.muc, FILE.conclave
            pids.update(perf_target=server,
                        perf_file="%s.%s" % (args.perf_prosody, name.split()[-1].replace("mod_", "")))
        conns = await connect_all(users, w.c2s)
        results[name] = await run_room(room, conns, args, pids)
        await close_all(conns)
        r = results[name]
        print("run %d %-17s %6.0f msg/s relayed %7.0f deliveries/s  p50 %7.1f ms  p99 %7.1f ms"
              "  (%d samples)  CPU s per 1000 msgs: %s; %.0f bytes per copy, %.1f copies per "
              "client read; load %.2f"
              % (run + 1, name, r["rate"], r["deliveries"], r["p50"], r["p99"], r["n"],
                 fmt_cpu(r["cpu"]), r["bytes_per_msg"], r["msgs_per_read"], r["load"]),
              flush=True)
        if run == 0 and r["sample"]:
            print("  a copy as received: %s" % r["sample"].decode(errors="replace"), flush=True)
    results["ratio"] = results["conclave"]["rate"] / results[own]["rate"]
    print("run %d conclave / %s relay rate: %.2f" % (run + 1, own, results["ratio"]), flush=True)
    return results


async def join_room(conns, room, count):
    await conns[0].join(room, "u0", create=True)
    conns[0].buf = b""
    for i, c in enumerate(conns[1:count], 1):
        await c.join(room, "u%d" % i)
        c.buf = b""


async def memory(args, w, users):
    """RSS of a freshly started Conclave: idle, --rooms rooms of 1 occupant, 1 room of N, then
    --rooms - 1 more rooms of N. The small rooms come first: measured after the big ones they
    showed no growth at all (glibc reused what the big rooms' joins had freed)."""
    tag = str(int(time.time()))
    pid = w.proc.pid
    conns = await connect_all(users, w.c2s)
    await asyncio.sleep(1)
    base = rss_kb(pid)
    for k in range(args.rooms):
        await join_room(conns, "solo%d-%s@mls.localhost" % (k, tag), 1)
    await asyncio.sleep(1)
    solo = rss_kb(pid)
    await join_room(conns, "mem0-%s@mls.localhost" % tag, len(conns))
    await asyncio.sleep(1)
    one = rss_kb(pid)
    for k in range(1, args.rooms):
        await join_room(conns, "mem%d-%s@mls.localhost" % (k, tag), len(conns))
    await asyncio.sleep(1)
    many = rss_kb(pid)
    n = args.occupants
    per_full_room = (many - one) / (args.rooms - 1) if args.rooms > 1 else float("nan")
    per_room = (solo - base) / args.rooms
    per_occupant = (per_full_room - per_room) / (n - 1) if n > 1 else float("nan")
    print("conclave RSS: idle %d KiB; %d rooms x 1 occupant %d KiB; + 1 room x %d occupants "
          "%d KiB; + %d more rooms x %d occupants %d KiB"
          % (base, args.rooms, solo, n, one, args.rooms - 1, n, many))
    print("conclave memory: %.1f KiB per room of %d occupants, %.2f KiB per 1-occupant room, "
          "%.2f KiB per further occupant" % (per_full_room, n, per_room, per_occupant),
          flush=True)
    await close_all(conns)


async def main_async(args, w):
    users = ["load%d" % i for i in range(args.occupants)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(w.register, users))
    runs = [await throughput(args, w, users, i) for i in range(args.runs)]
    if runs:
        report_medians(args, runs)
    if args.rooms > 0:
        # A fresh process: RSS deltas after the throughput phase would mostly be allocator reuse.
        w.proc.terminate()
        w.proc.wait(10)
        start_conclave(w)
        await memory(args, w, users)


def report_medians(args, runs):
    def med(f):
        return statistics.median(f(r) for r in runs)

    print("median of %d runs:" % args.runs)
    for name in (args.server + " mod_muc", "conclave"):
        cpu = {k: med(lambda r, k=k: r[name]["cpu"][k]) for k in runs[0][name]["cpu"]}
        print("  %-17s %6.0f msg/s relayed  p50 %7.1f ms  p99 %7.1f ms  CPU s per 1000 msgs: %s"
              % (name, med(lambda r: r[name]["rate"]), med(lambda r: r[name]["p50"]),
                 med(lambda r: r[name]["p99"]), fmt_cpu(cpu)))
    print("  conclave / %s mod_muc relay rate: %.2f (runs: %s)"
          % (args.server, med(lambda r: r["ratio"]), " ".join("%.2f" % r["ratio"] for r in runs)), flush=True)


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        kids = children_of(todo.pop())
        out += kids
        todo += kids
    return out


def server_pid(server, rundir):
    """The process doing the XMPP server's work: Prosody's, or ejabberd's Erlang VM (beam.smp, a
    descendant of the `ejabberdctl foreground` the harness started)."""
    if server == "prosody":
        return pid_file(os.path.join(rundir, "prosody", "prosody.pid"))
    for pid in descendants(pid_file(os.path.join(rundir, "ejabberd", "foreground.pid"))):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip().startswith("beam"):
                    return pid
        except OSError:
            pass
    raise RuntimeError("no ejabberd VM under " + rundir)


def ejabberd_mam(rundir):
    """ejabberd's MUC archives only with mod_mam and a room's `mam` option: turn both on (as
    Prosody's side runs muc_mam and Conclave archives every message) and reload the
    configuration. The harness's template stays as it is for the tests."""
    path = os.path.join(rundir, "ejabberd", "ejabberd.yml")
    with open(path) as f:
        conf = f.read()
    old = "mod_muc: {host: conference.localhost, access_create: muc_create}"
    if old not in conf:
        raise RuntimeError("unexpected mod_muc line in " + path)
    conf = conf.replace(old, "mod_muc: {host: conference.localhost, access_create: muc_create, "
                             "default_room_options: {mam: true}}\n  mod_mam: {}")
    with open(path, "w") as f:
        f.write(conf)
    d = os.path.join(rundir, "ejabberd")
    subprocess.run(["ejabberdctl", "--config", path, "--ctl-config", os.path.join(d, "ejabberdctl.cfg"),
                    "--logs", os.path.join(d, "logs"), "--spool", os.path.join(d, "spool"),
                    "reload_config"], check=True, stdout=subprocess.DEVNULL)


def quiet_prosody(rundir):
    """The harness's Prosody logs every stanza at debug level into a file, which costs it more
    for stanzas routed from a component (each of a room's copies is logged) than for its own
    MUC's fan-out: drop the debug sink and reload (SIGHUP re-reads the logging configuration),
    so both servers run at production log level."""
    path = os.path.join(rundir, "prosody", "prosody.cfg.lua")
    with open(path) as f:
        conf = f.read()
    quiet = re.sub(r'debug = "[^"]*";\s*', "", conf)
    if quiet != conf:
        with open(path, "w") as f:
            f.write(quiet)
        os.kill(pid_file(os.path.join(rundir, "prosody", "prosody.pid")), signal.SIGHUP)
        time.sleep(1)


def start_conclave(w):
    """Starts Conclave and waits until it is attached to the XMPP server."""
    with open(w.log_path, "a") as log:
        w.proc = subprocess.Popen([w.binary, "run", "--config", w.conf], stderr=log, stdout=log)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(w.log_path) as f:
            if f.read().count("connected to") > w.connects_seen:
                w.connects_seen += 1
                return
        if w.proc.poll() is not None:
            raise RuntimeError("conclave exited; log: " + w.log_path)
        time.sleep(0.1)
    raise RuntimeError("conclave did not connect; log: " + w.log_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("conclave")
    ap.add_argument("--server", choices=("prosody", "ejabberd"), default="prosody")
    ap.add_argument("--occupants", type=int, default=100)
    ap.add_argument("--senders", type=int, default=10)
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3, help="throughput runs; 0: memory only")
    ap.add_argument("--rooms", type=int, default=100,
                    help="rooms of N occupants (and of 1) for the memory figures; 0: skip")
    ap.add_argument("--prosody-debug-log", action="store_true",
                    help="keep the harness's Prosody debug log (slows Prosody's routing)")
    ap.add_argument("--perf", help="perf record Conclave during the first run into this file")
    ap.add_argument("--perf-prosody",
                    help="perf record Prosody during the first run's two phases into FILE.muc "
                         "and FILE.conclave")
    args = ap.parse_args()
    w = World(args.conclave, args.server, "load")
    w.db = "bench_load"
    w.setup()
    with open(w.conf) as f:
        conf = f.read().replace("level = debug", "level = info")
    with open(w.conf, "w") as f:
        f.write(conf)
    if args.server == "ejabberd":
        ejabberd_mam(w.rundir)
    elif not args.prosody_debug_log:
        quiet_prosody(w.rundir)
    start_conclave(w)
    try:
        asyncio.get_event_loop().run_until_complete(main_async(args, w))
    finally:
        w.proc.terminate()
        w.proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
