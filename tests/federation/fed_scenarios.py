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


SCENARIOS = {
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
