#!/usr/bin/env python3
"""Federation scenarios (issue 16, docs/federation.md), each in a world of its own
(tests/pylib/conclave_test/fed_world.py): independent Prosody and ejabberd nodes in network
namespaces, each with its own PostgreSQL and Conclave, linked only by their s2s connections.

    fed_scenarios.py CONCLAVE CONCLAVE_CLIENT SCENARIO

Run as root; `ctest -L federation` runs them all.
"""
import asyncio
import os
import sys
import time
import xml.etree.ElementTree as ET

from conclave_test.fed_world import FedWorld
from conclave_test.muc_client import C, TestFailure, check, new_id

DISCO_INFO = "http://jabber.org/protocol/disco#info"


def body_of(stanza):
    b = stanza.find(C + "body")
    return None if b is None else b.text


async def chat(sender, receiver, text, timeout=30):
    """sender says `text` to receiver's full JID; returns the time it took to arrive."""
    start = time.monotonic()
    sender.raw("<message type='chat' to='%s' id='%s'><body>%s</body></message>"
               % (receiver.boundjid.full, new_id("m"), text))
    await receiver.wait_for(lambda s: s.tag == C + "message" and body_of(s) == text,
                            "%s from %s" % (text, sender.boundjid.bare), timeout)
    return time.monotonic() - start


async def service_identity(client, service, timeout=30):
    """disco#info of a Conclave service over whatever links lie between; its identity names."""
    r = await client.iq(service, "get", "<query xmlns='%s'/>" % DISCO_INFO, timeout)
    check(r.get("type") == "result", "disco#info of %s answered: %s" % (service, r.attrib))
    q = r.find("{%s}query" % DISCO_INFO)
    return [(i.get("category"), i.get("type")) for i in q.iter("{%s}identity" % DISCO_INFO)]


async def scenario_links(w):
    """The test world itself: a Prosody node and an ejabberd node federate over s2s (dialback,
    names from /etc/hosts); users of each reach the other's users and the other's Conclave;
    a cut link stops both, and healing it delivers what was held back (TCP retransmits it)."""
    a, b = w["a"], w["b"]
    alice, bob = await a.client("alice"), await b.client("bob")
    await chat(alice, bob, "a-to-b")
    await chat(bob, alice, "b-to-a")
    for c, service in ((alice, b.service), (bob, a.service)):
        ids = await service_identity(c, service)
        check(("conference", "text") in ids, "the remote Conclave %s answers: %s" % (service, ids))

    w.cut("a", "b")
    alice.raw("<message type='chat' to='%s' id='%s'><body>held</body></message>"
              % (bob.boundjid.full, new_id("m")))
    try:
        await bob.wait_for(lambda s: body_of(s) == "held", "nothing while cut", 3)
        raise AssertionError("a message crossed a cut link")
    except TestFailure:
        pass
    # Each node still serves its own users and its own Conclave while cut off from the other.
    ids = await service_identity(alice, a.service, 10)
    check(("conference", "text") in ids, "a's own Conclave answers during the cut: %s" % ids)

    healed = time.monotonic()
    w.heal("a", "b")
    await bob.wait_for(lambda s: body_of(s) == "held", "the held message after healing", 90)
    held = time.monotonic() - healed
    after = await chat(bob, alice, "after-heal", 60)
    print("figures: held message delivered %.2f s after healing; a new one took %.2f s"
          % (held, after))


MLS = "urn:xmpp:mls:0"


def mirror_set_conf(node):
    """The [federation] section of every node of `election`: room@ on each, the home on a."""
    names = [n for n in "abc"]
    return ("[federation]\nhome = room@mls.a.test\nmirrors = %s\ntick_ms = 100\n"
            % ", ".join("room@mls.%s.test" % n for n in names))


async def scenario_election(w):
    """The commit agreement of a private group chat's mirrors over real s2s (docs/federation.md
    §3): three deployments (Prosody, ejabberd, Prosody) hold one room's mirror set, the home on
    a. Twice, the current sequencer is cut away from both others: they elect one of themselves
    with a higher term while the cut-off one steps down (it knows it is in a minority); healed,
    it follows the new sequencer. Then one mirror's Conclave is killed (-9) and restarted: it
    resumes from the term it saved. Every status read from every node is checked: never two
    sequencers in one term."""
    nodes = "abc"
    room = {n: "room@" + w[n].service for n in nodes}
    users = {n: await w[n].client("u" + n) for n in nodes}
    sequencer_of_term = {}
    reads = 0

    async def status():
        nonlocal reads
        out = {}
        for n in nodes:
            r = await users[n].iq(room[n], "get", "<consensus xmlns='%s'/>" % MLS, 10)
            check(r.get("type") == "result", "status of %s: %s" % (room[n], r.attrib))
            c = r.find("{%s}consensus" % MLS)
            term, role, leader = int(c.get("term")), c.get("role"), c.get("leader")
            reads += 1
            if role == "sequencer":
                prev = sequencer_of_term.setdefault(term, room[n])
                check(prev == room[n], "two sequencers in term %d: %s and %s" % (term, prev, room[n]))
            out[n] = (term, role, leader)
        return out

    async def until(pred, what, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = await status()
            if pred(s):
                return s
            await asyncio.sleep(0.2)
        raise TestFailure("timed out waiting until %s: %s" % (what, await status()))

    s = await until(lambda s: all(s[n][2] == room["a"] for n in nodes), "all follow the home", 20)
    await asyncio.sleep(3)  # thirty ticks: heartbeats cross s2s, or the mirrors would elect
    s = await status()
    check(all(s[n][0] == 1 and s[n][2] == room["a"] for n in nodes),
          "the home keeps term 1 while the links are whole: %s" % s)
    leader, figures = "a", []
    for cycle in range(2):
        term = s[leader][0]
        others = [n for n in nodes if n != leader]
        cut_at = time.monotonic()
        for o in others:
            w.cut(leader, o)
        s = await until(lambda s: any(s[o][1] == "sequencer" and s[o][0] > term for o in others)
                        and s[leader][2] is None,
                        "a new sequencer among %s and %s stepping down" % (others, leader), 60)
        elected = time.monotonic() - cut_at
        new = next(o for o in others if s[o][1] == "sequencer")
        check(s[leader][1] != "sequencer", "the cut-off node does not sequence: %s" % s)
        healed_at = time.monotonic()
        for o in others:
            w.heal(leader, o)
        s = await until(lambda s: all(s[n][2] == room[new] for n in nodes),
                        "everyone follows %s after healing" % room[new], 60)
        figures.append((leader, new, s[new][0], elected, time.monotonic() - healed_at))
        leader = new
    # kill -9 of a mirror's Conclave: it comes back with the term and vote it saved
    # (docs/federation.md §3.2), never behind them, and follows the sequencer again.
    s = await status()
    victim = next(n for n in nodes if n != leader)
    term_before = s[victim][0]
    w[victim].conclave.kill()
    w[victim].conclave.wait(10)
    w[victim].start_conclave()
    s = await until(lambda s: s[victim][2] == room[leader], "%s follows again after kill -9" % victim, 30)
    check(s[victim][0] >= term_before, "%s restarted in term %d, had %d" % (victim, s[victim][0], term_before))
    print("figures: %s killed in term %d came back in term %d" % (victim, term_before, s[victim][0]))
    for old, new, term, elected, followed in figures:
        print("figures: %s cut away -> %s sequences term %d after %.2f s; %s follows it %.2f s "
              "after healing" % (old, new, term, elected, old, followed))
    print("figures: %d status reads, terms with a sequencer: %s" % (reads, sorted(sequencer_of_term)))


MUC_OWNER = "http://jabber.org/protocol/muc#owner"
MUC_USER = "http://jabber.org/protocol/muc#user"


async def configure(client, room, fields):
    """The owner's configuration submit (XEP-0045 §10.2) of `fields`, a list of (var, value);
    a list value gives a field of several values."""
    f = "".join("<field var='%s'>%s</field>" % (
        var, "".join("<value>%s</value>" % v for v in (val if isinstance(val, list) else [val])))
        for var, val in fields)
    r = await client.iq(room, "set",
                        "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                        "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
                        "</value></field>%s</x></query>" % (MUC_OWNER, f), 30)
    check(r.get("type") == "result", "configuring %s: %s" % (room, ET.tostring(r)[:300]))


def status_codes(s):
    x = s.find("{%s}x" % MUC_USER)
    return set() if x is None else {int(c.get("code")) for c in x.findall("{%s}status" % MUC_USER)}


def presence_from(jid, available=True):
    def pred(s):
        return (s.tag == C + "presence" and s.get("from") == jid and
                (s.get("type") == "unavailable") != available)
    return pred


def groupchat(frm, text):
    return lambda s: s.tag == C + "message" and s.get("from") == frm and body_of(s) == text


async def scenario_mirror(w):
    """A chat room mirrored across two deployments (XEP-0289, docs/federation.md §2): its home
    room@mls.a.test on Prosody, a mirror room@mls.b.test on ejabberd, each configured by its own
    owner. Users of each node see the other node's users and read each other's messages, exactly
    once; a cut link leaves each side talking locally and healing brings both sides' messages
    across; the mirror's Conclave is killed (-9) while the home talks on, and when its users
    rejoin after its restart the link forms again and they get what they missed."""
    a, b = w["a"], w["b"]
    home, mirror = "room@" + a.service, "room@" + b.service
    alice, dave = await a.client("alice"), await a.client("dave")
    bob, carol = await b.client("bob"), await b.client("carol")
    no_history = "<history maxstanzas='0'/>"
    await alice.join(home + "/Alice", history=no_history)
    await configure(alice, home, [("muc#roomconfig_persistentroom", "1"),
                                  ("{%s}fmuc_mirrors" % MLS, mirror)])
    await bob.join(mirror + "/Bob", history=no_history)
    start = time.monotonic()
    await configure(bob, mirror, [("muc#roomconfig_persistentroom", "1"),
                                  ("{%s}fmuc_home" % MLS, home)])
    await alice.wait_for(presence_from(home + "/Bob"), "Bob at the home", 60)
    await bob.wait_for(presence_from(mirror + "/Alice"), "Alice at the mirror", 60)
    linked = time.monotonic() - start
    info = await bob.iq(mirror, "get", "<query xmlns='%s'/>" % DISCO_INFO, 10)
    check(("{%s}fmuc_home" % MLS) in ET.tostring(info, encoding="unicode") and
          home in ET.tostring(info, encoding="unicode"),
          "the mirror's disco#info names its home")

    await dave.join(home + "/Dave", history=no_history)
    await carol.join(mirror + "/Carol", history=no_history)
    await carol.wait_for(presence_from(mirror + "/Dave"), "Dave seen at the mirror", 30)
    await dave.wait_for(presence_from(home + "/Carol"), "Carol seen at the home", 30)

    sent = []  # every message said: (sender client, room, nick, text)

    def say(client, room, nick, text):
        client.raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>"
                   % (room, new_id("g"), text))
        sent.append((client, room, nick, text))
        return time.monotonic()

    async def arrives(text, nick, timeout=30):
        """Every user gets `text` from `nick`, each from the room it joined; returns the time
        the slowest took from now."""
        t0 = time.monotonic()
        for c, room in ((alice, home), (dave, home), (bob, mirror), (carol, mirror)):
            await c.wait_for(groupchat(room + "/" + nick, text), "%s from %s" % (text, nick), timeout)
        return time.monotonic() - t0

    lat = []
    for i in range(5):
        say(alice, home, "Alice", "home-%d" % i)
        lat.append(await arrives("home-%d" % i, "Alice"))
        say(carol, mirror, "Carol", "mirror-%d" % i)
        lat.append(await arrives("mirror-%d" % i, "Carol"))

    # Cuts: each side goes on talking locally (primary-primary); the probes end the link on
    # both sides (the other node's users leave with 333); healing links again, and the catch-up
    # brings both sides' messages across, each once.
    cuts = []
    for i in range(2):
        for c in (alice, dave, bob, carol):
            c.take_all(lambda s: s.tag == C + "presence")
        cut_at = time.monotonic()
        w.cut("a", "b")
        say(alice, home, "Alice", "home-during-cut-%d" % i)
        say(carol, mirror, "Carol", "mirror-during-cut-%d" % i)
        await dave.wait_for(groupchat(home + "/Alice", "home-during-cut-%d" % i), "local at a", 10)
        await bob.wait_for(groupchat(mirror + "/Carol", "mirror-during-cut-%d" % i), "local at b", 10)
        left_home = await alice.wait_for(presence_from(home + "/Carol", available=False),
                                         "Carol leaves the home when the link is lost", 60)
        detect_home = time.monotonic() - cut_at
        left_mirror = await bob.wait_for(presence_from(mirror + "/Alice", available=False),
                                         "Alice leaves the mirror when the link is lost", 60)
        detect_mirror = time.monotonic() - cut_at
        check(333 in status_codes(left_home) and 333 in status_codes(left_mirror),
              "a lost link's occupants leave with 333")
        check(not bob.take_all(groupchat(mirror + "/Alice", "home-during-cut-%d" % i)),
              "a message crossed a cut link")
        healed = time.monotonic()
        w.heal("a", "b")
        await carol.wait_for(groupchat(mirror + "/Alice", "home-during-cut-%d" % i), "across", 90)
        await bob.wait_for(groupchat(mirror + "/Alice", "home-during-cut-%d" % i), "across", 90)
        await alice.wait_for(groupchat(home + "/Carol", "mirror-during-cut-%d" % i), "across", 90)
        await dave.wait_for(groupchat(home + "/Carol", "mirror-during-cut-%d" % i), "across", 90)
        await alice.wait_for(presence_from(home + "/Carol"), "Carol back at the home", 60)
        await bob.wait_for(presence_from(mirror + "/Alice"), "Alice back at the mirror", 60)
        cuts.append((detect_home, detect_mirror, time.monotonic() - healed))

    # The mirror's Conclave dies (-9) while the home talks on; the home's probes find it gone.
    for c in (alice, dave, bob, carol):
        c.take_all(lambda s: s.tag == C + "presence")
    killed = time.monotonic()
    b.conclave.kill()
    b.conclave.wait(10)
    say(alice, home, "Alice", "home-while-mirror-down")
    await dave.wait_for(groupchat(home + "/Alice", "home-while-mirror-down"), "local", 10)
    gone = await alice.wait_for(presence_from(home + "/Bob", available=False),
                                "Bob leaves the home with the link", 60)
    check(333 in status_codes(gone), "the lost link's occupants leave with 333: %s"
          % status_codes(gone))
    detect_kill = time.monotonic() - killed
    b.start_conclave()
    restarted = time.monotonic()
    # Its users rejoin (a client learns of a restart by XEP-0410 self-ping; these just rejoin).
    for c, nick in ((bob, "Bob"), (carol, "Carol")):
        c.drain()
        await c.join(mirror + "/" + nick, history=no_history)
    for c in (bob, carol):
        await c.wait_for(groupchat(mirror + "/Alice", "home-while-mirror-down"),
                         "what was said while the mirror was down", 60)
    caught_up = time.monotonic() - restarted
    await alice.wait_for(presence_from(home + "/Bob"), "Bob back at the home", 30)
    say(bob, mirror, "Bob", "mirror-after-restart")
    await alice.wait_for(groupchat(home + "/Bob", "mirror-after-restart"), "after restart", 30)
    await dave.wait_for(groupchat(home + "/Bob", "mirror-after-restart"), "after restart", 30)

    # Exactly once: every message said reached every user once, none twice (every join asked
    # for no history; a little time for strays).
    await asyncio.sleep(2)
    wrong = []
    for c, room in ((alice, home), (dave, home), (bob, mirror), (carol, mirror)):
        for (_s, _r, nick, text) in sent:
            n = len([s for s in c.received if groupchat(room + "/" + nick, text)(s)])
            if n != 1:
                wrong.append((str(c.boundjid), text, n))
    check(not wrong, "messages not delivered exactly once (user, text, copies): %s" % wrong)
    lat.sort()
    print("figures: link formed %.2f s after the mirror's configuration; %d messages across, "
          "median %.3f s, max %.3f s to reach all four users" % (linked, len(lat),
                                                                   lat[len(lat) // 2], lat[-1]))
    for n, (dh, dm, conv) in enumerate(cuts):
        print("figures: cut %d: link loss seen at the home after %.2f s and at the mirror after "
              "%.2f s; after healing, linked again with both sides' messages across in %.2f s"
              % (n + 1, dh, dm, conv))
    print("figures: the mirror's kill -9 seen at the home after %.2f s; after its restart, its "
          "users had the missed message %.2f s after it was back" % (detect_kill, caught_up))
    print("figures: %d messages said, each delivered exactly once to each of the four users"
          % len(sent))


class View:
    """What one member has received so far, read incrementally from its client: messages by
    (sender nick, text) with their counts, the room's netsplit/healed notices, and the
    occupants it currently sees."""

    def __init__(self, client, room):
        self.client, self.room, self.seen = client, room, 0
        self.counts, self.notices, self.occupants = {}, [], set()

    def update(self):
        rec = self.client.received
        while self.seen < len(rec):
            s = rec[self.seen]
            self.seen += 1
            frm = s.get("from") or ""
            if frm.split("/")[0] != self.room:
                continue
            nick = frm[len(self.room) + 1:] if "/" in frm else ""
            if s.tag == C + "presence" and nick:
                if s.get("type") == "unavailable":
                    self.occupants.discard(nick)
                elif s.get("type") is None:
                    self.occupants.add(nick)
            elif s.tag == C + "message" and s.get("type") == "groupchat":
                if not nick:
                    for kind in ("netsplit", "healed"):
                        n = s.find("{%s}%s" % (MLS, kind))
                        if n is not None:
                            self.notices.append((time.monotonic(), kind, n.get("node")))
                elif body_of(s) is not None:
                    key = (nick, body_of(s))
                    self.counts[key] = self.counts.get(key, 0) + 1


async def scenario_chat_split(w):
    """A chat room mirrored on three deployments (home on Prosody a, mirrors on ejabberd b and
    Prosody c) with scripted members on all three, split and healed at random: each round cuts
    one or both of the home's links, members on every side talk before and after the split is
    noticed, then the links heal. Measured per round: time to detect (the netsplit notice on
    both sides of each cut link), time to converge after healing (every member has every
    message said so far, and sees every member again), messages lost; checked every round over
    every member: no message twice, none lost. CONCLAVE_FED_MEMBERS (default 12),
    CONCLAVE_FED_ROUNDS (default 3) and CONCLAVE_FED_SEED size it; the full run (100 members,
    10 rounds) is a tool outside CI (docs/federation.md §6.2)."""
    import random
    members_n = int(os.environ.get("CONCLAVE_FED_MEMBERS", "12"))
    rounds = int(os.environ.get("CONCLAVE_FED_ROUNDS", "3"))
    seed = int(os.environ.get("CONCLAVE_FED_SEED", "1"))
    rng = random.Random(seed)
    nodes = "abc"
    room = {n: "room@" + w[n].service for n in nodes}
    # Spread: two fifths on each Prosody node, one fifth on ejabberd (its registration is slow).
    placement = [("a", "c", "b", "a", "c")[i % 5] for i in range(members_n)]
    members = []  # (client, node, nick)
    t0 = time.monotonic()
    for i, n in enumerate(placement):
        c = await w[n].client("m%d" % i)
        members.append((c, n, "m%d" % i))
    logins = time.monotonic() - t0
    no_history = "<history maxstanzas='0'/>"
    owners = {}
    for c, n, nick in members:
        if n not in owners:
            owners[n] = c
            await c.join(room[n] + "/" + nick, history=no_history)
    await configure(owners["a"], room["a"], [("muc#roomconfig_persistentroom", "1"),
                                             ("{%s}fmuc_mirrors" % MLS, [room["b"], room["c"]])])
    for n in "bc":
        await configure(owners[n], room[n], [("muc#roomconfig_persistentroom", "1"),
                                             ("{%s}fmuc_home" % MLS, room["a"])])
    for c, n, nick in members:
        if owners[n] is not c:
            c.raw("<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'>%s</x>"
                  "</presence>" % (room[n], nick, no_history))
    views = [View(c, room[n]) for c, n, _ in members]
    everyone = {nick for _, _, nick in members}
    said = []  # (sender nick, text)

    async def until(pred, what, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for v in views:
                v.update()
            if pred():
                return time.monotonic()
            if time.monotonic() > deadline:
                sizes = sorted(len(v.occupants) for v in views)
                worst = min(views, key=lambda v: len(v.occupants))
                missing_msgs = sum(1 for v in views for nk, t in said if (nk, t) not in v.counts)
                raise TestFailure("timed out after %d s waiting until %s: occupants seen per "
                                  "member from %d to %d of %d (%s at %s misses %s); %d deliveries "
                                  "missing" % (timeout, what, sizes[0], sizes[-1], len(everyone),
                                               worst.client.boundjid, worst.room,
                                               sorted(everyone - worst.occupants)[:10],
                                               missing_msgs))
            await asyncio.sleep(0.1)

    def all_have_all():
        return all(v.occupants == everyone and all((nk, t) in v.counts for nk, t in said)
                   for v in views)

    await until(all_have_all, "every member sees every member", 120)
    rows = []
    for r in range(rounds):
        cut = rng.choice([("b",), ("c",), ("b", "c")])
        for v in views:
            v.update()
        marks = [len(v.notices) for v in views]
        cut_at = time.monotonic()
        for x in cut:
            w.cut("a", x)

        def talk(tag):
            for c, n, nick in rng.sample(members, max(2, members_n // 5)):
                text = "r%d-%s-%s" % (r, tag, nick)
                c.raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>"
                      % (room[n], new_id("g"), text))
                said.append((nick, text))
        talk("early")  # before anyone knows of the split

        def noticed():
            for x in cut:
                sides = {"a": False, x: False}
                for (c, n, _), v, m in zip(members, views, marks):
                    for (_t, kind, node) in v.notices[m:]:
                        if kind == "netsplit" and n in sides and \
                                node == room["a" if n == x else x]:
                            sides[n] = True
                if not all(sides.values()):
                    return False
            return True
        detected = await until(noticed, "the split noticed on both sides", 60) - cut_at
        talk("split")  # known split: each side talks on locally
        await asyncio.sleep(rng.uniform(0, 2))
        healed_at = time.monotonic()
        for x in cut:
            w.heal("a", x)
        try:
            converged = await until(all_have_all, "convergence after healing", 60) - healed_at
        except TestFailure:
            for v in views:
                v.update()
            lost = sorted({t for v in views for nk, t in said if (nk, t) not in v.counts})
            raise TestFailure("round %d: not converged 60 s after healing; messages missing "
                              "somewhere: %s" % (r + 1, lost[:20]))
        twice = [(str(v.client.boundjid), k, n) for v in views for k, n in v.counts.items() if n > 1]
        check(not twice, "messages delivered twice: %s" % twice[:10])
        rows.append((r + 1, "+".join("a-" + x for x in cut), detected, converged))
    for v in views:
        v.update()
    delivered = sum(len(v.counts) for v in views)
    print("figures: %d members (a %d, b %d, c %d), logins %.1f s, %d rounds, seed %d"
          % (members_n, placement.count("a"), placement.count("b"), placement.count("c"),
             logins, rounds, seed))
    for r, cut, det, conv in rows:
        print("figures: round %d: cut %s; split noticed on both sides after %.2f s; converged "
              "%.2f s after healing" % (r, cut, det, conv))
    conv = sorted(x[3] for x in rows)
    print("figures: converged after healing: median %.2f s, max %.2f s; %d messages said, %d "
          "deliveries, none lost, none twice; client rejoins: 0 (the links re-form by themselves)"
          % (conv[len(conv) // 2], conv[-1], len(said), delivered))


SCENARIOS = {
    "chat_split": (scenario_chat_split, [("a", "prosody"), ("b", "ejabberd"), ("c", "prosody")],
                   lambda node: "[federation]\nlink_probe_ms = %s\n"
                   % os.environ.get("CONCLAVE_FED_PROBE_MS", "2000")),
    "mirror": (scenario_mirror, [("a", "prosody"), ("b", "ejabberd")],
               lambda node: "[federation]\nlink_probe_ms = 2000\n"),
    "links": (scenario_links, [("a", "prosody"), ("b", "ejabberd")], None),
    "election": (scenario_election, [("a", "prosody"), ("b", "ejabberd"), ("c", "prosody")],
                 mirror_set_conf),
}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        return 2
    binary, _client, name = sys.argv[1:]
    scenario, nodes, conf = SCENARIOS[name]
    w = FedWorld(binary, nodes, name, conf)
    loop = asyncio.new_event_loop()
    try:
        w.setup()
        loop.run_until_complete(scenario(w))
    except (TestFailure, AssertionError) as e:
        print("FAIL federation/%s: %s" % (name, e), file=sys.stderr)
        for n in w.nodes.values():
            if os.path.exists(n.conclave_log):
                print("--- conclave of %s (tail) ---\n%s" % (n.name, open(n.conclave_log).read()[-3000:]),
                      file=sys.stderr)
        w.failed = True
        loop.run_until_complete(w.close())
        return 1
    except BaseException:
        w.failed = True
        loop.run_until_complete(w.close())
        raise
    loop.run_until_complete(w.close())
    print("ok federation/%s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
