#!/usr/bin/python3
"""Several Conclave instances sharing one PostgreSQL behind a real Prosody or ejabberd, while the
test breaks the active one on purpose (docs/cluster.md), Jepsen-style: three scripted
`conclave-client` processes keep committing and sending in one encrypted room, faults are
injected one after another, and an invariant checker reads every client's log and the database.

  cluster_fault.py CONCLAVE CLIENT SERVER failover   the CI run: 2 instances, one fault of each
                                                     kind (kill -9, SIGSTOP past the lease,
                                                     SIGTERM, PostgreSQL restart, database link
                                                     cut, and a link cut with a commit in
                                                     flight, which the fence must refuse)
  cluster_fault.py CONCLAVE CLIENT SERVER three      3 instances: kill -9 twice in a row
  cluster_fault.py CONCLAVE CLIENT SERVER resend     the active instance dies between storing a
                                                     commit and sending it (fault injection);
                                                     the next one re-sends the fan-out
  cluster_fault.py CONCLAVE CLIENT SERVER bench      the failover benchmark (a tool, not in CI):
                                                     CONCLAVE_FAILOVER_ROUNDS (default 20) of
                                                     each of CONCLAVE_FAILOVER_FAULTS (default
                                                     kill,pause,graceful); prints
                                                     p50/p99 from fault to the first commit the
                                                     new active instance accepts

Invariants checked at the end: (1) every (room, epoch) of the commit log has one commit, the
epochs run 0..E-1 with the room's epoch at E, and the room's archive holds each once, in order; (2) every commit a client saw acknowledged is in
the log at its epoch, from that client; (3) every message a client saw acknowledged reached every
other member (live or from the archive); (4) all clients end at the same epoch with the same
epoch_authenticator (RFC 9420 §8.7), which would differ after any fork; (5) every client ends on
the room's commit chain hash, every chain value a client reported is the log's at that epoch, and
no client saw a chain mismatch (docs/protocol.md §6.7); (6) in `failover`, the commit in flight
across the cut was refused by the fence (> 0 rejections) and (1)-(2) show nothing of it was
written.
Environment: CONCLAVE_CLUSTER_LEASE_MS (default 3000; the deployment default is 10000).
"""
import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

from conclave_test.e2e_lib import E2EWorld
from conclave_test.muc_client import TestFailure, check, scenario_main
from conclave_test.muc_world import HARNESS, SERVICE, env


LEASE_MS = int(os.environ.get("CONCLAVE_CLUSTER_LEASE_MS", "3000"))
RENEW_MS = max(100, LEASE_MS // 6)
MARGIN_MS = max(100, LEASE_MS // 6)


def now():
    return time.monotonic()


class Link:
    """One instance's road to PostgreSQL: a TCP relay on loopback that the test can cut (a
    partition: bytes are swallowed and new connections hang, nothing is refused or reset, as
    when a network path dies) and heal (the swallowed connections are closed). Runs on threads
    of its own, so the test's event loop (and its blocking psql calls) never stalls it."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.cut_off = False
        self.socks = []
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = False

    async def start(self):
        threading.Thread(target=self._accept, daemon=True).start()

    def _keep(self, sock):
        with self.lock:
            self.socks.append(sock)

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._keep(client)
            if self.cut_off:
                continue  # held open, never answered, until heal()
            try:
                up = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                up.settimeout(None)
            except OSError:
                client.close()
                continue
            self._keep(up)
            for a, b in ((client, up), (up, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not self.cut_off:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s_ in (src, dst):
                try:
                    s_.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.cut_off = True

    def heal(self):
        self.cut_off = False
        with self.lock:
            socks, self.socks = self.socks, []
        for s_ in socks:
            try:
                s_.shutdown(socket.SHUT_RDWR)
                s_.close()
            except OSError:
                pass

    def close(self):
        self.closed = True
        self.listener.close()
        self.heal()


class ClusterWorld(E2EWorld):
    def __init__(self, binary, client_binary, server, scenario):
        super().__init__(binary, client_binary, server, scenario)
        self.db = "cluster_%s_%s" % (server, scenario)
        self.procs = {}
        self.links = {}
        self.fault_times = []
        self.confs = {}
        self.logs = {}
        self._log_counts = {}
        self.stats = {"faults": {}, "failover_s": {}, "fence_rejections": 0,
                      "handed_off": 0, "acked_commits": 0, "acked_messages": 0,
                      "failed_ops": 0}

    # ---- instances ----

    def setup(self):
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db)
        self.psql("CREATE DATABASE %s" % self.db)
        sep = "&" if "?" in self.pg else "?"
        self.db_url = self.pg + sep + "dbname=" + self.db

    async def add_instance(self, name):
        conf = os.path.join(self.tmp, "conclave-%s.conf" % name)
        # Through the instance's own relay (Link), so the test can cut its database link alone;
        # application_name lets the test find its database sessions.
        m = re.match(r"postgresql://([^@/]+@)?127\.0\.0\.1:(\d+)(/.*)", self.db_url)
        check(m is not None, "the harness's PostgreSQL URL has the expected form: " + self.db_url)
        link = Link(int(m.group(2)))
        await link.start()
        self.links[name] = link
        url = "postgresql://%s127.0.0.1:%d%s&application_name=%s" % (
            m.group(1) or "", link.port, m.group(3), name)
        with open(conf, "w") as f:
            f.write("[component]\ndomain = %s\nsecret = %s\n[server]\nhost = 127.0.0.1\n"
                    "port = %d\n[database]\nurl = %s\n[log]\nlevel = debug\n"
                    "[service]\nadmins = %s\n"
                    "[cluster]\nenabled = true\ninstance = %s\nlease_ms = %d\nrenew_ms = %d\n"
                    "margin_ms = %d\npoll_ms = 200\n"
                    % (SERVICE, self.secret, self.component, url, self.user("admin") + "@localhost",
                       name, LEASE_MS, RENEW_MS, MARGIN_MS))
        self.confs[name] = conf
        self.logs[name] = os.path.join(self.tmp, "conclave-%s.log" % name)
        if len(self.confs) == 1:
            # Straight to the server: the relays run on this (blocked) event loop.
            direct = conf + ".migrate"
            with open(conf) as f, open(direct, "w") as g:
                g.write(f.read().replace(url, self.db_url))
            subprocess.run([self.binary, "migrate", "--config", direct], check=True,
                           stdout=subprocess.DEVNULL)
        self.log_path = self.logs[name]  # the log scenario_main prints on failure

    def start_instance(self, name, env=None):
        log = open(self.logs[name], "a")
        self.procs[name] = subprocess.Popen([self.binary, "run", "--config", self.confs[name]],
                                            stdout=log, stderr=log,
                                            env=dict(os.environ, **(env or {})))

    def signal(self, name, sig):
        self.procs[name].send_signal(sig)

    async def reap(self, name, timeout=15):
        """The exit status of `name`, waited for without blocking the event loop: the members'
        requests and the failover clock run on it (a blocking wait here once added the old
        instance's whole shutdown to every graceful hand-over measured)."""
        p = self.procs[name]
        deadline = now() + timeout
        while p.poll() is None and now() < deadline:
            await asyncio.sleep(0.01)
        if p.poll() is None:
            p.kill()
            p.wait(5)
            raise TestFailure("%s did not exit" % name)
        return p.returncode

    def query(self, sql):
        return subprocess.run(["psql", self.db_url, "-At", "-c", sql], check=True,
                              capture_output=True, text=True).stdout.strip()

    async def active(self):
        """The instance holding a live leader lease, or None (psql run without blocking the
        event loop the members' requests run on)."""
        p = await asyncio.create_subprocess_exec(
            "psql", self.db_url, "-At", "-c",
            "SELECT holder FROM shard_lease WHERE shard = 0 AND expires_at > clock_timestamp()",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        out, _ = await p.communicate()
        h = out.decode().strip() if p.returncode == 0 else ""
        return h.split("#")[0] if h else None

    def log_count(self, name, needle):
        """Lines of `name`'s log holding `needle`, read incrementally: the logs grow to many
        megabytes in a long series, and re-reading them whole on every poll would stall this
        event loop, and with it the members' requests and the timings."""
        key = (name, needle)
        offset, count = self._log_counts.get(key, (0, 0))
        with open(self.logs[name], "rb") as f:
            f.seek(offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # whole lines only; the rest is read next time
        count += chunk[:end].count(needle.encode())
        self._log_counts[key] = (offset + end, count)
        return count

    async def wait_active(self, not_name=None, timeout=60):
        deadline = now() + timeout
        while now() < deadline:
            a = await self.active()
            if a is not None and a != not_name and self.log_count(a, "cluster: active") > 0:
                # Serving: connected after its takeover.
                if self.log_count(a, "connected to") >= self.log_count(a, "cluster: active"):
                    return a
            await asyncio.sleep(0.1)
        raise TestFailure("no active instance other than %s within %ss" % (not_name, timeout))

    def backend_pids(self, name):
        out = self.query("SELECT pid FROM pg_stat_activity WHERE application_name = '%s'" % name)
        return [int(p) for p in out.split()] if out else []

    def stop_all(self):
        for name, p in self.procs.items():
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()


# ---------------------------------------------------------------------------------------------
# The workload: three members commit and send, retrying through failovers.

class Workload:
    def __init__(self, w, room, clients):
        self.w, self.room, self.clients = w, room, clients
        self.acks = []  # (kind, client, value, t)
        self.stop = asyncio.Event()
        self.tasks = []
        self.last_commit_ok = 0.0
        self.counter = 0
        self.t_start = now()
        self.epoch_at_fault = 0

    async def member(self, c):
        rnd = random.Random(c.user)
        failures = 0
        while not self.stop.is_set():
            if rnd.random() < 0.4:
                a = await c.request("update", room=self.room)
                if a.get("ok"):
                    # Timed by arrival: an answer read before a fault must not count after it.
                    self.acks.append(("commit", c, a["epoch"], a.get("_read_at", now())))
                    self.last_commit_ok = now()
                    failures = 0
                else:
                    failures += 1
            else:
                self.counter += 1
                m = self.w.marker("%s%d" % (c.user[:1], self.counter))
                a = await c.request("send", room=self.room, text=m)
                if a.get("ok"):
                    self.acks.append(("message", c, m, now()))
                    failures = 0
                else:
                    failures += 1
            if failures:
                self.w.stats["failed_ops"] += 1
                if failures % 4 == 0:
                    # Behind (a commit of ours was accepted but its answer lost, say): catch up.
                    await c.request("catchup", room=self.room)
                await asyncio.sleep(0.3)
            else:
                await asyncio.sleep(rnd.uniform(0.05, 0.3))

    def start(self):
        self.tasks = [asyncio.ensure_future(self.member(c)) for c in self.clients]

    async def finish(self):
        self.stop.set()
        for t in self.tasks:
            await t

    async def first_commit_after(self, t0, timeout=60):
        """Seconds from t0 to the first commit the next holder accepted: later than t0, and to
        an epoch past every epoch the database had at t0 (an answer the old holder sent just
        before the fault can arrive just after it)."""
        floor = self.epoch_at_fault
        deadline = now() + timeout
        while now() < deadline:
            for kind, _, e, t in self.acks:
                if kind == "commit" and t > t0 and e > floor:
                    return t - t0
            await asyncio.sleep(0.05)
        raise TestFailure("no commit accepted within %ss of the fault" % timeout)


async def retry_ok(c, op, timeout=30, **fields):
    """`op` until it succeeds: mid-failover the component may be unavailable for a moment."""
    deadline = now() + timeout
    while True:
        a = await c.request(op, **fields)
        if a.get("ok"):
            return a
        if now() > deadline:
            raise TestFailure("%s: %s kept failing: %s" % (c.user, op, a))
        await asyncio.sleep(0.3)


# ---------------------------------------------------------------------------------------------
# Faults. Each returns the instance that was active when it struck.

def mark(w, load):
    """The fault's start: the time, and the room's epoch then (commits to later epochs are the
    next holder's)."""
    load.epoch_at_fault = int(w.query("SELECT COALESCE(max(mls_epoch), 0) FROM rooms") or 0)
    return now()

async def fault_kill(w, load):
    victim = await w.wait_active()
    t0 = mark(w, load)
    w.signal(victim, signal.SIGKILL)
    await w.reap(victim)
    await w.wait_active(not_name=victim)
    took = await load.first_commit_after(t0)
    w.start_instance(victim)  # back as a standby
    return victim, took


async def fault_pause(w, load):
    """SIGSTOP longer than the lease, then SIGCONT: the paused instance must find itself
    demoted and hand over what it received meanwhile, never act on it."""
    victim = await w.wait_active()
    t0 = mark(w, load)
    w.signal(victim, signal.SIGSTOP)
    await w.wait_active(not_name=victim)
    took = await load.first_commit_after(t0)
    await asyncio.sleep(LEASE_MS / 1000.0)
    w.signal(victim, signal.SIGCONT)
    await asyncio.sleep(1.0)
    check(w.procs[victim].poll() is None, "the paused instance survives its demotion")
    return victim, took


async def fault_graceful(w, load):
    victim = await w.wait_active()
    t0 = mark(w, load)
    w.signal(victim, signal.SIGTERM)
    check(await w.reap(victim) == 0, "%s exits 0 after SIGTERM" % victim)
    await w.wait_active(not_name=victim)
    took = await load.first_commit_after(t0)
    w.start_instance(victim)
    return victim, took


async def fault_pg_restart(w, load):
    victim = await w.wait_active()
    t0 = mark(w, load)
    await asyncio.get_event_loop().run_in_executor(None, lambda: subprocess.run(
        [os.path.join(HARNESS, "postgres.sh"), "restart", env("CONCLAVE_TEST_PG_RUNDIR")],
        check=True, stdout=subprocess.DEVNULL))
    await w.wait_active()
    took = await load.first_commit_after(t0)
    return victim, took


async def fault_db_cut(w, load):
    """The active instance's database link is cut (a partition, not a refusal) for longer than
    the lease: it must stop acting on its own clock; a standby takes over; then the link heals
    and the former active instance stays a standby."""
    victim = await w.wait_active()
    t0 = mark(w, load)
    w.links[victim].cut()
    try:
        await w.wait_active(not_name=victim)
        took = await load.first_commit_after(t0)
    finally:
        w.links[victim].heal()
    await asyncio.sleep(1.0)
    check(w.procs[victim].poll() is None, "the cut-off instance survives")
    check(await w.active() != victim, "the healed instance does not take the lease back")
    return victim, took


async def fault_db_stall(w, load, clients):
    """Fencing: the active instance's database link is cut just before a commit reaches it, so
    the commit, checked against a lease the instance still holds, waits in its store call; then
    the instance is paused (SIGSTOP) past its lease; a standby takes over; then the link heals,
    the instance resumes (SIGCONT) and the waiting call reaches the database under the old
    lease. The fence must refuse it and nothing of it be written; then the new holder commits.

    The stale call reaches the database before anyone commits the next epoch, so nothing but
    the fence (holder and term) can refuse it: the epoch compare-and-set would let it through.
    Resuming before the new holder's first commit also matters on ejabberd, which keeps a
    paused instance's connection and routes about half the stanzas to it (docs/cluster.md §8):
    a commit needs several IQs, and while the instance stays paused most attempts stall."""
    victim = await w.wait_active()
    before = w.log_count(victim, "was fenced")
    await load.finish()  # a quiet moment: the one stale commit is ours
    # Cut right after a renewal, so the commit reaches an instance with most of its lease ahead
    # (L - margin) even on a loaded machine: it must pass the instance's own check and hang in
    # the store call, not be refused as "not sequencing".
    last = w.query("SELECT expires_at FROM shard_lease WHERE shard = 0")
    deadline = now() + 10
    while w.query("SELECT expires_at FROM shard_lease WHERE shard = 0") == last:
        check(now() < deadline, "%s renews its lease" % victim)
        await asyncio.sleep(0.01)
    t0 = mark(w, load)
    w.links[victim].cut()
    paused = False
    try:
        stale = clients[0].send_line("update", room=load.room)  # waits in the cut-off store call
        await asyncio.sleep(0.5)  # it reaches the instance and its store call
        w.signal(victim, signal.SIGSTOP)
        paused = True
        await w.wait_active(not_name=victim)
    finally:
        w.links[victim].heal()
        if paused:
            w.signal(victim, signal.SIGCONT)
    deadline = now() + 20
    while w.log_count(victim, "was fenced") == before and now() < deadline:
        await asyncio.sleep(0.1)
    fenced = w.log_count(victim, "was fenced") - before
    check(fenced > 0, "the stale commit was fenced (log of %s)" % victim)
    a = await retry_ok(clients[1], "update", room=load.room)  # the new active commits
    load.acks.append(("commit", clients[1], a["epoch"], now()))
    took = now() - t0
    answer = await clients[0].answer(stale, "the stale commit's answer", 60)
    w.stats["fence_rejections"] += fenced
    if answer.get("ok"):  # retried by the client to the new active instance
        load.acks.append(("commit", clients[0], answer["epoch"], now()))
    load.stop = asyncio.Event()
    load.start()
    return victim, took


# ---------------------------------------------------------------------------------------------

async def setup_room(w, names):
    room = w.room("ledger")
    clients = [await w.script(n, timeout_s=4) for n in names]
    owner = clients[0]
    a = await owner.ok("create", room=room)
    epoch = a["epoch"]
    for c in clients[1:]:
        a = await owner.ok("invite", room=room, jid=c.jid)
        epoch = a["epoch"]
        await c.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                      "%s joined" % c.user, 30)
    return room, clients


async def check_invariants(w, room, clients, load):
    # Quiesce, then everybody catches up from the log and the archive.
    for c in clients:
        await c.request("catchup", room=room)
    rows = w.query("SELECT epoch, encode(commit_hash, 'hex'), sender_jid FROM mls_commits "
                   "WHERE room = '%s' ORDER BY epoch" % room).splitlines()
    log = [r.split("|") for r in rows]
    epochs = [int(r[0]) for r in log]
    room_epoch = int(w.query("SELECT mls_epoch FROM rooms WHERE jid = '%s'" % room))
    check(epochs == list(range(room_epoch)),
          "(1) the commit log holds epochs 0..%d once each: %s" % (room_epoch - 1, epochs[:50]))
    # Every logged commit is in the room's MAM archive once, in epoch order (the accept
    # transaction writes both; docs/cluster.md section 6).
    archived = [int(x) for x in w.query(
        "SELECT substring(stanza from '<commit[^>]* epoch=''([0-9]+)''') FROM room_archive "
        "WHERE room = '%s' AND stanza LIKE '%%<commit %%' ORDER BY id" % room).split()]
    check(archived == epochs, "(1) the archive holds each logged commit once, in epoch order: "
          "%d archived, %d logged, first difference at %s" % (
              len(archived), len(epochs),
              next((i for i, (a, b) in enumerate(zip(archived, epochs)) if a != b), None)))
    by_epoch = {int(r[0]): r for r in log}
    commits = [(c, e) for kind, c, e, _ in load.acks if kind == "commit"]
    for c, e in commits:
        row = by_epoch.get(e - 1)
        check(row is not None and row[2] == c.jid,
              "(2) %s's acknowledged commit to epoch %d is in the log from it: %s" % (c.user, e, row))
    messages = [(c, m, t) for kind, c, m, t in load.acks if kind == "message"]
    missing = []
    for sender, m, t in messages:
        for r in clients:
            if r is sender:
                continue
            got = r.seen(lambda e: e.get("event") == "message" and e.get("text") == m)
            if not got:
                missing.append("%s lacks %s's %s (acknowledged at +%.1fs)" % (
                    r.user, sender.user, m[-6:], t - load.t_start))
    if missing:
        errors = {c.user: [e for e in c.events if e.get("event") == "error"][-5:] for c in clients}
        raise TestFailure("(3) acknowledged messages missing: %s; faults at %s; client errors %s"
                          % (missing[:10], w.fault_times, errors))
    auths, ends = set(), set()
    for c in clients:
        f = await c.ok("fingerprints", room=room)
        ends.add(f["epoch"])
        auths.add(f["epoch_authenticator"])
    check(ends == {room_epoch} and len(auths) == 1,
          "(4) every client at epoch %d with one authenticator: %s %s" % (room_epoch, ends, auths))
    # (5) The commit chain (docs/protocol.md §6.7): every client computed, from the commits it
    # applied, the chain hash the database holds, at every epoch it reported one, and none saw
    # the service name another.
    chains = {int(r[0]) + 1: r[1] for r in (x.split("|") for x in w.query(
        "SELECT epoch, encode(chain_hash, 'hex') FROM mls_commits WHERE room = '%s'" % room
    ).splitlines())}
    room_chain = w.query("SELECT encode(mls_chain_hash, 'hex') FROM rooms WHERE jid = '%s'" % room)
    checked = 0
    for c in clients:
        e = await c.ok("epoch", room=room)
        check(e.get("chain") == room_chain,
              "(5) %s ends on the room's chain hash: %s vs %s" % (c.user, e.get("chain"), room_chain))
        check(not c.seen(lambda ev: ev.get("event") == "chain-mismatch"),
              "(5) %s saw no chain mismatch: %s" % (
                  c.user, [ev for ev in c.events if ev.get("event") == "chain-mismatch"][:3]))
        for ev in c.events:
            if ev.get("chain") and ev.get("epoch") in chains:
                check(ev["chain"] == chains[ev["epoch"]],
                      "(5) %s's chain at epoch %d is the log's" % (c.user, ev["epoch"]))
                checked += 1
    w.stats["chain_checks"] = checked
    w.stats["acked_commits"] = len(commits)
    w.stats["acked_messages"] = len(messages)
    w.stats["epochs"] = room_epoch
    w.stats["handed_off"] = sum(w.log_count(n, "stanza(s) to the active instance")
                                for n in w.logs)


async def run_faults(w, names, instances, schedule, rounds=1):
    for n in instances:
        await w.add_instance(n)
        w.start_instance(n)
    first = await w.wait_active(timeout=30)
    room, clients = await setup_room(w, names)
    load = Workload(w, room, clients)
    load.start()
    await asyncio.sleep(2.0)
    for _ in range(rounds):
        for kind in schedule:
            if kind == "db_stall":
                victim, took = await fault_db_stall(w, load, clients)
            else:
                victim, took = await FAULTS[kind](w, load)
            w.stats["faults"][kind] = w.stats["faults"].get(kind, 0) + 1
            w.fault_times.append("%s@+%.1fs" % (kind, now() - load.t_start - took))
            w.stats["failover_s"].setdefault(kind, []).append(round(took, 3))
            print("fault %s on %s: first commit after %.2fs" % (kind, victim, took), flush=True)
            await asyncio.sleep(1.5)  # some traffic under the new active instance
    await load.finish()
    await check_invariants(w, room, clients, load)
    w.stats["first_active"] = first


FAULTS = {"kill": fault_kill, "pause": fault_pause, "graceful": fault_graceful,
          "pg_restart": fault_pg_restart, "db_cut": fault_db_cut}


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


CMDS = "http://jabber.org/protocol/commands"
XDATA = "{jabber:x:data}"


async def admin_view(w, room):
    """The admin commands through the real server show the active instance's leases."""
    admin = await w.raw("admin")
    active = await w.active()
    term = w.query("SELECT term FROM shard_lease WHERE shard = 0")
    r = await admin.iq(SERVICE, "set", "<command xmlns='%s' node='urn:conclave:admin:stats'/>"
                       % CMDS)
    x = r.find("{%s}command/%sx" % (CMDS, XDATA))
    check(x is not None, "stats answers with a form: %s" % r.get("type"))
    v = {f.get("var"): [e.text or "" for e in f.findall(XDATA + "value")]
         for f in x.findall(XDATA + "field")}
    check(v.get("cluster-active") == ["1"] and v["cluster-instance"][0].startswith(active + "#"),
          "stats names the active instance %s: %s" % (active, v))
    check(v["cluster-terms"] == [term], "stats shows the lease term %s: %s" % (term, v))
    r = await admin.iq(SERVICE, "set",
                       "<command xmlns='%s' node='urn:conclave:admin:list-rooms'/>" % CMDS)
    details = [e.text for e in r.iter(XDATA + "value") if e.text and " shard=" in e.text]
    check(details and ("term=%s" % term) in details[0] and "holder=" + active in details[0],
          "the room list shows the room's holder and term: %s" % details)


async def scenario_failover(w):
    await run_faults(w, ["alice", "bob", "carol"], ["n1", "n2"],
                     ["kill", "pause", "graceful", "pg_restart", "db_cut", "db_stall"])
    check(w.stats["fence_rejections"] > 0, "(6) fence rejections > 0")
    await admin_view(w, w.room("ledger"))


async def scenario_three(w):
    await run_faults(w, ["alice", "bob", "carol"], ["n1", "n2", "n3"], ["kill", "kill"])


async def scenario_bench(w):
    rounds = int(os.environ.get("CONCLAVE_FAILOVER_ROUNDS", "20"))
    kinds = os.environ.get("CONCLAVE_FAILOVER_FAULTS", "kill,pause,graceful").split(",")
    await run_faults(w, ["alice", "bob", "carol"], ["n1", "n2"], kinds, rounds)
    for kind, xs in w.stats["failover_s"].items():
        print("failover %-9s n=%d p50=%.2fs p99=%.2fs max=%.2fs" % (
            kind, len(xs), percentile(xs, 0.5), percentile(xs, 0.99), max(xs)))


async def scenario_resend(w):
    """docs/cluster.md §6: the active instance dies right after storing a commit, before its
    fan-out, its answer and its Welcomes leave (fault injection); the next active instance
    re-sends the fan-out from the outbox to every member, and the invariants hold."""
    for n in ["n1", "n2"]:
        await w.add_instance(n)
    w.start_instance("n1", {"CONCLAVE_FAULT_EXIT_AFTER_COMMITS": "12"})
    first = await w.wait_active(timeout=30)
    w.start_instance("n2")
    room, clients = await setup_room(w, ["alice", "bob", "carol"])
    load = Workload(w, room, clients)
    load.start()
    deadline = now() + 60
    while w.procs["n1"].poll() is None and now() < deadline:
        await asyncio.sleep(0.05)
    check(w.procs["n1"].poll() == 137, "n1 died after its 12th stored commit: %s"
          % w.procs["n1"].poll())
    t0 = mark(w, load)
    w.fault_times.append("exit@+%.1fs" % (t0 - load.t_start))
    await w.wait_active(not_name="n1")
    took = await load.first_commit_after(t0)
    w.stats["failover_s"]["exit_after_commit"] = [round(took, 3)]
    await asyncio.sleep(3.0)
    await load.finish()
    await check_invariants(w, room, clients, load)
    resent = w.log_count("n2", "commit fan-out(s) no instance had confirmed")
    check(resent >= 1, "n2 re-sent the fan-out n1 had not sent (log lines: %d)" % resent)
    left = w.query("SELECT count(*) FROM mls_fanout_outbox")
    check(left == "0", "no fan-out left unconfirmed at the end: %s" % left)
    w.stats["resent_fanouts"] = resent
    w.stats["first_active"] = first


SCENARIOS = {"failover": scenario_failover, "three": scenario_three, "bench": scenario_bench,
             "resend": scenario_resend}


async def run(w):
    w.setup()
    try:
        await SCENARIOS[w.scenario](w)
        print("stats " + json.dumps(w.stats, sort_keys=True), flush=True)
    finally:
        await w.close()
        w.stop_all()


if __name__ == "__main__":
    sys.exit(scenario_main(__doc__, ClusterWorld, SCENARIOS, run, 4))
