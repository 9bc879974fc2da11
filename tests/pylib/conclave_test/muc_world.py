"""The world of one integration scenario and the MUC helpers the suites share.

World: the real `conclave` binary with its own PostgreSQL database, attached to the Prosody or
ejabberd that tests/harness/with-servers.sh started (its CONCLAVE_TEST_* environment), plus
logged-in slixmpp clients (muc_client.Client). Used by tests/component/muc_integration.py,
tests/fault/fault_integration.py, tests/load/muc_load.py and, through e2e_lib.E2EWorld, by the
e2e scenarios and tests/load/mls_load.py. A scenario's conclave.conf additions go in
World.extra_conf before setup().
"""
import os
import subprocess
import tempfile
import time

from .muc_client import C, Client, TestFailure, check, codes, error_condition, new_id


SERVICE = "mls.localhost"
HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "..", "..", "harness")  # tests/harness
PASSWORD = "pw-integration"


def env(name):
    v = os.environ.get(name)
    if not v:
        raise TestFailure("%s is not set: run through tests/harness/with-servers.sh with "
                          "CONCLAVE_TEST_SERVERS=prosody,ejabberd" % name)
    return v


class World:
    def __init__(self, binary, server, scenario):
        self.binary, self.server, self.scenario = binary, server, scenario
        self.pg = env("CONCLAVE_TEST_PG")
        self.rundir = env("CONCLAVE_TEST_RUNDIR")
        self.c2s = int(env("CONCLAVE_TEST_%s_C2S" % server.upper()))
        self.component = int(env("CONCLAVE_TEST_%s_COMPONENT" % server.upper()))
        self.secret = os.environ.get("CONCLAVE_COMPONENT_SECRET", "secret")
        self.proc = None
        self.clients = []
        self.tmp = tempfile.mkdtemp(prefix="conclave-it-")
        self.log_path = os.path.join(self.tmp, "conclave.log")
        self.db = "it_%s_%s" % (server, scenario)
        self.extra_conf = ""  # appended to conclave.conf; a scenario sets it before setup()

    def psql(self, sql):
        subprocess.run(["psql", self.pg, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)

    def setup(self):
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db)
        self.psql("CREATE DATABASE %s" % self.db)
        sep = "&" if "?" in self.pg else "?"
        url = self.pg + sep + "dbname=" + self.db
        self.conf = os.path.join(self.tmp, "conclave.conf")
        with open(self.conf, "w") as f:
            f.write("[component]\ndomain = %s\nsecret = %s\n[server]\nhost = 127.0.0.1\nport = %d\n"
                    "[database]\nurl = %s\n[log]\nlevel = debug\n" % (SERVICE, self.secret, self.component, url))
            f.write(self.extra_conf)
        subprocess.run([self.binary, "migrate", "--config", self.conf], check=True)

    def register(self, user):
        # The harness scripts use the servers' own tools (in-band registration is rate-limited by
        # ejabberd). A user left from an earlier scenario is fine: the password is the same.
        script = os.path.join(HARNESS, self.server + ".sh")
        subprocess.run([script, "register", self.rundir, user, PASSWORD],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_conclave(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.binary, "run", "--config", self.conf], stderr=log, stdout=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path) as f:
                text = f.read()
            if text.count("connected to") > self.connects_seen:
                self.connects_seen += 1
                return
            if self.proc.poll() is not None:
                raise TestFailure("conclave exited: " + text[-2000:])
            time.sleep(0.1)
        raise TestFailure("conclave did not connect: " + open(self.log_path).read()[-2000:])

    connects_seen = 0

    def stop_conclave(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise TestFailure("conclave ignored SIGTERM")
            check(rc == 0, "conclave exit status %s after SIGTERM" % rc)
        self.proc = None

    async def client(self, user):
        self.register(user)
        c = Client("%s@localhost/it" % user, PASSWORD, self.c2s)
        await c.login()
        self.clients.append(c)
        return c

    async def close(self):
        for c in self.clients:
            await c.quit()

    def room(self, name):
        return "%s-%s@%s" % (name, self.server, SERVICE)


# ---------------------------------------------------------------------------------------------
# Helpers shared by the scenarios.

def is_presence_from(room_nick):
    return lambda s: s.tag == C + "presence" and s.get("from") == room_nick


async def create_instant(owner, room, nick, config=None):
    """Creates a room (201), accepts the default configuration or submits `config` fields."""
    seq = await owner.join_sequence("%s/%s" % (room, nick))
    me = [s for s in seq if s.tag == C + "presence" and 110 in codes(s)]
    check(len(me) == 1, "one self-presence on creation, got %d" % len(me))
    check(201 in codes(me[0]), "status 201 on creation: %s" % codes(me[0]))
    fields = "".join("<field var='%s'><value>%s</value></field>" % kv for kv in (config or {}).items())
    r = await owner.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                       "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
                       "http://jabber.org/protocol/muc#roomconfig</value></field>%s</x></query>" % fields)
    check(r.get("type") == "result", "configuration accepted: %s" % error_condition(r))


async def say(client, room, body):
    i = new_id("m")
    client.raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>" % (room, i, body))
    return i


async def expect_groupchat(client, room, nick, body, msg_id=None):
    m = await client.wait_for(lambda s: s.tag == C + "message" and s.get("from") == "%s/%s" % (room, nick)
                              and s.findtext(C + "body") == body, "groupchat '%s'" % body)
    if msg_id is not None:
        check(m.get("id") == msg_id, "reflection keeps the client's id (muc#stable_id)")
    sid = m.find("{urn:xmpp:sid:0}stanza-id")
    check(sid is not None and sid.get("by") == room, "stanza-id by the room")
    check(m.find("{urn:xmpp:occupant-id:0}occupant-id") is not None, "occupant-id")
    return m


async def fetch_mam(client, room, rsm):
    qid = new_id("q")
    r = await client.iq(room, "set", "<query xmlns='urn:xmpp:mam:2' queryid='%s'>"
                        "<set xmlns='http://jabber.org/protocol/rsm'>%s</set></query>" % (qid, rsm))
    check(r.get("type") == "result", "MAM query result: %s" % error_condition(r))
    results = client.take_all(lambda s: s.tag == C + "message" and
                              s.find("{urn:xmpp:mam:2}result") is not None and
                              s.find("{urn:xmpp:mam:2}result").get("queryid") == qid)
    bodies = [s.find("{urn:xmpp:mam:2}result").find("{urn:xmpp:forward:0}forwarded").find(C + "message").findtext(C + "body")
              for s in results]
    fin = r.find("{urn:xmpp:mam:2}fin")
    last = fin.findtext("{http://jabber.org/protocol/rsm}set/{http://jabber.org/protocol/rsm}last")
    first = fin.findtext("{http://jabber.org/protocol/rsm}set/{http://jabber.org/protocol/rsm}first")
    return bodies, first, last, fin.get("complete") == "true"
