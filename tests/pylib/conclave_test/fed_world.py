"""The federation test world (issue 16, docs/federation.md): independent XMPP servers that share
nothing but their s2s links, as FMUC needs them.

Each node is a Prosody or an ejabberd in a network namespace of its own (cnvf-<name>), on a
test bridge (cnvfbr0, 10.77.0.1/24 on the host side, the node at 10.77.0.<index>), serving the
domain <name>.test with the component mls.<name>.test. Beside it, in the host's namespace, run
its own PostgreSQL (tests/harness/postgres.sh, loopback) and its own `conclave`, attached to
the node's component port. Names resolve through /etc/hosts lines the world adds and removes
(Prosody reads them with `unbound = { hoststxt = true }`). `cut(a, b)` drops every packet
between two nodes with an nftables table in a's namespace; `heal(a, b)` removes it. Clients
connect from the host's namespace to a node's address, so cutting a link never cuts a node
from its own users.

Everything started is stopped by close(), and the network, the hosts lines and the nftables
tables are removed, also after a failed setup. Run as root. Only the test's own namespaces and
bridge carry traffic; every wait is bounded.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

from .muc_client import Client, TestFailure, check

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
HARNESS = os.path.join(ROOT, "tests", "harness")
TEMPLATES = os.path.join(ROOT, "tests", "federation")
BRIDGE = "cnvfbr0"
SUBNET = "10.77.0"
NS_PREFIX = "cnvf-"
HOSTS = "/etc/hosts"
HOSTS_MARK = "# conclave-federation-test"
PASSWORD = "pw-federation"
SECRET = "fed-secret"


def run(*args, check_rc=True, quiet=False, timeout=60, **kw):
    out = subprocess.DEVNULL if quiet else None
    r = subprocess.run(list(args), stdout=kw.pop("stdout", out), stderr=kw.pop("stderr", out),
                       timeout=timeout, **kw)
    if check_rc and r.returncode != 0:
        raise TestFailure("%s exited %d" % (" ".join(args), r.returncode))
    return r


def render(template, path, values, mode=0o644):
    with open(os.path.join(TEMPLATES, template)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    left = re.findall(r"@[A-Z][A-Z_]*@", text)
    check(not left, "every placeholder of %s replaced: %s" % (template, left))
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def wait_port(addr, port, seconds):
    import socket
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Node:
    def __init__(self, world, name, index, kind):
        check(kind in ("prosody", "ejabberd"), "a node is prosody or ejabberd: %s" % kind)
        check(re.fullmatch(r"[a-z]", name) is not None, "node names are one letter: %s" % name)
        self.world, self.name, self.index, self.kind = world, name, index, kind
        self.addr = "%s.%d" % (SUBNET, index)
        self.domain = "%s.test" % name
        self.service = "mls." + self.domain
        self.ns = NS_PREFIX + name
        self.veth = "cnvf%s" % name
        self.run_dir = os.path.join(world.tmp, name)
        self.pg_url = None
        self.conclave = None
        self.conclave_log = os.path.join(self.run_dir, "conclave.log")
        self.connects_seen = 0
        os.makedirs(self.run_dir)
        os.chmod(self.run_dir, 0o755)

    def jid(self, user):
        return "%s@%s" % (user, self.domain)

    def in_ns(self, *args):
        return ["ip", "netns", "exec", self.ns] + list(args)

    # --- network ---
    def net_up(self):
        run("ip", "netns", "add", self.ns)
        run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
        run("ip", "link", "set", self.veth, "master", BRIDGE, "up")
        run("ip", "-n", self.ns, "addr", "add", self.addr + "/24", "dev", "eth0")
        run("ip", "-n", self.ns, "link", "set", "eth0", "up")
        run("ip", "-n", self.ns, "link", "set", "lo", "up")

    def set_cuts(self, peers):
        """The node's nftables table drops everything to and from `peers` (addresses)."""
        run(*self.in_ns("nft", "delete", "table", "inet", "cnvfcut"), check_rc=False, quiet=True)
        if not peers:
            return
        rules = ["table inet cnvfcut {",
                 " chain in { type filter hook input priority 0; policy accept;"]
        rules += ["  ip saddr %s drop" % p for p in sorted(peers)]
        rules += [" }", " chain out { type filter hook output priority 0; policy accept;"]
        rules += ["  ip daddr %s drop" % p for p in sorted(peers)]
        rules += [" }", "}"]
        run(*self.in_ns("nft", "-f", "-"), input="\n".join(rules).encode())

    # --- PostgreSQL ---
    def start_db(self):
        r = run(os.path.join(HARNESS, "postgres.sh"), "start", self.run_dir,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.pg_url = r.stdout.decode().strip()
        check(self.pg_url.startswith("postgres"), "PostgreSQL of %s: %r" % (self.name, self.pg_url))

    def stop_db(self):
        run(os.path.join(HARNESS, "postgres.sh"), "stop", self.run_dir, check_rc=False, quiet=True)

    # --- the XMPP server ---
    def start_xmpp(self):
        values = {"RUN": os.path.join(self.run_dir, self.kind), "ADDR": self.addr,
                  "DOMAIN": self.domain, "SECRET": SECRET, "NODE": "ejabberd_fed_%s@localhost" % self.name}
        d = values["RUN"]
        if self.kind == "prosody":
            os.makedirs(os.path.join(d, "data"))
            os.makedirs(os.path.join(d, "certs"))
            self.prosody_cfg = os.path.join(d, "prosody.cfg.lua")
            render("prosody-node.cfg.lua.in", self.prosody_cfg, values)
            run("chown", "-R", "prosody:prosody", d)
            self.console = open(os.path.join(d, "console.log"), "a")
            self.xmpp = subprocess.Popen(
                self.in_ns("runuser", "-u", "prosody", "--", "prosody", "-F", "--config", self.prosody_cfg),
                stdout=self.console, stderr=self.console, stdin=subprocess.DEVNULL, start_new_session=True)
        else:
            for sub in ("spool", "logs"):
                os.makedirs(os.path.join(d, sub))
            self.ejd_cfg = os.path.join(d, "ejabberd.yml")
            self.ejd_ctl = os.path.join(d, "ejabberdctl.cfg")
            render("ejabberd-node.yml.in", self.ejd_cfg, values, 0o600)
            render("ejabberdctl-node.cfg.in", self.ejd_ctl, values)
            run("chown", "-R", "ejabberd:ejabberd", d)
            self.console = open(os.path.join(d, "foreground.log"), "a")
            self.xmpp = subprocess.Popen(self.in_ns(*self.ejabberdctl("foreground")),
                                         stdout=self.console, stderr=self.console,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        if not (wait_port(self.addr, 5347, 60) and wait_port(self.addr, 5222, 10)):
            raise TestFailure("%s on %s did not listen" % (self.kind, self.name))

    def ejabberdctl(self, *args):
        d = os.path.join(self.run_dir, "ejabberd")
        return ["ejabberdctl", "--config", self.ejd_cfg, "--ctl-config", self.ejd_ctl,
                "--logs", os.path.join(d, "logs"), "--spool", os.path.join(d, "spool")] + list(args)

    def stop_xmpp(self):
        p = getattr(self, "xmpp", None)
        if p is None or p.poll() is not None:
            return
        if self.kind == "ejabberd":
            run(*self.in_ns(*self.ejabberdctl("stop")), check_rc=False, quiet=True, timeout=30)
        else:
            p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, 9)  # whatever of its session is left (beam, epmd-less children)
        except ProcessLookupError:
            pass
        p.wait(10)

    def register(self, user):
        if self.kind == "prosody":
            run("runuser", "-u", "prosody", "--", "prosodyctl", "--config", self.prosody_cfg,
                "register", user, self.domain, PASSWORD, quiet=True)
        else:
            run(*self.in_ns(*self.ejabberdctl("register", user, self.domain, PASSWORD)),
                check_rc=False, quiet=True)

    async def client(self, user):
        """A logged-in slixmpp client (muc_client.Client) of user@<node's domain>."""
        self.register(user)
        c = Client(self.jid(user) + "/fed", PASSWORD, 5222, host=self.addr)
        await c.login()
        self.world.clients.append(c)
        return c

    # --- Conclave ---
    def start_conclave(self, extra_conf=""):
        if not getattr(self, "conf", None):
            self.conf = os.path.join(self.run_dir, "conclave.conf")
            with open(self.conf, "w") as f:
                f.write("[component]\ndomain = %s\nsecret = %s\n[server]\nhost = %s\nport = 5347\n"
                        "[database]\nurl = %s\n[log]\nlevel = debug\n"
                        % (self.service, SECRET, self.addr, self.pg_url))
                f.write(extra_conf)
            run(self.world.binary, "migrate", "--config", self.conf, quiet=True)
        log = open(self.conclave_log, "a")
        self.conclave = subprocess.Popen([self.world.binary, "run", "--config", self.conf],
                                         stdout=log, stderr=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.conclave_log) as f:
                text = f.read()
            if text.count("connected to") > self.connects_seen:
                self.connects_seen += 1
                return
            if self.conclave.poll() is not None:
                raise TestFailure("conclave of %s exited: %s" % (self.name, text[-2000:]))
            time.sleep(0.1)
        raise TestFailure("conclave of %s did not connect" % self.name)

    def stop_conclave(self):
        if self.conclave and self.conclave.poll() is None:
            self.conclave.terminate()
            try:
                self.conclave.wait(10)
            except subprocess.TimeoutExpired:
                self.conclave.kill()
                self.conclave.wait(10)
        self.conclave = None


class FedWorld:
    """Nodes given as [(name, kind), ...]: node i gets address 10.77.0.(i + 2)."""

    def __init__(self, binary, nodes, scenario, conclave_conf=None):
        """conclave_conf(node) -> text appended to that node's conclave.conf (or None)."""
        self.binary, self.scenario = binary, scenario
        self.conclave_conf = conclave_conf
        self.tmp = tempfile.mkdtemp(prefix="conclave-fed-")
        os.chmod(self.tmp, 0o755)
        self.nodes = {}
        for i, (name, kind) in enumerate(nodes):
            self.nodes[name] = Node(self, name, i + 2, kind)
        self.clients = []
        self.cuts = set()  # frozenset({a, b})
        self.failed = False

    def __getitem__(self, name):
        return self.nodes[name]

    # --- network and names ---
    @staticmethod
    def remove_leftovers():
        """What an earlier run killed before its close() may have left."""
        r = run("ip", "netns", "list", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check_rc=False)
        for line in r.stdout.decode().splitlines():
            ns = line.split()[0] if line.split() else ""
            if ns.startswith(NS_PREFIX):
                run("ip", "netns", "pids", ns, check_rc=False, quiet=True)
                pids = run("ip", "netns", "pids", ns, stdout=subprocess.PIPE, check_rc=False).stdout.split()
                for pid in pids:
                    try:
                        os.kill(int(pid), 9)
                    except (ProcessLookupError, ValueError):
                        pass
                run("ip", "netns", "del", ns, check_rc=False, quiet=True)
        run("ip", "link", "del", BRIDGE, check_rc=False, quiet=True)
        FedWorld.write_hosts([])

    @staticmethod
    def write_hosts(lines):
        with open(HOSTS) as f:
            kept = [l for l in f.read().splitlines() if not l.endswith(HOSTS_MARK)]
        kept += ["%s %s" % (l, HOSTS_MARK) for l in lines]
        # In place: /etc/hosts may be a bind mount that cannot be replaced by rename.
        with open(HOSTS, "w") as f:
            f.write("\n".join(kept) + "\n")

    def setup(self):
        check(os.geteuid() == 0, "the federation world runs as root")
        check(shutil.which("nft") is not None, "nft is installed (deploy/packages.txt)")
        self.remove_leftovers()
        try:
            run("ip", "link", "add", BRIDGE, "type", "bridge")
            run("ip", "addr", "add", SUBNET + ".1/24", "dev", BRIDGE)
            run("ip", "link", "set", BRIDGE, "up")
            self.write_hosts(["%s %s %s" % (n.addr, n.domain, n.service) for n in self.nodes.values()])
            for n in self.nodes.values():
                n.net_up()
            for n in self.nodes.values():
                n.start_db()
                n.start_xmpp()
            for n in self.nodes.values():
                n.start_conclave(self.conclave_conf(n) if self.conclave_conf else "")
        except BaseException:
            self.failed = True
            self.teardown()
            raise

    def cut(self, a, b):
        self.cuts.add(frozenset((a, b)))
        self._apply_cuts()

    def heal(self, a, b):
        self.cuts.discard(frozenset((a, b)))
        self._apply_cuts()

    def _apply_cuts(self):
        for n in self.nodes.values():
            peers = {self.nodes[p].addr for c in self.cuts if n.name in c for p in c if p != n.name}
            n.set_cuts(peers)

    async def close(self):
        for c in self.clients:
            try:
                await c.quit()
            except Exception:  # a client whose node is cut away cannot say goodbye
                pass
        self.teardown()

    def teardown(self):
        for n in self.nodes.values():
            n.stop_conclave()
        for n in self.nodes.values():
            n.stop_xmpp()
            n.stop_db()
        self.remove_leftovers()
        if not self.failed and not os.environ.get("CONCLAVE_TEST_KEEP_RUNDIR"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("federation world kept in %s" % self.tmp)
