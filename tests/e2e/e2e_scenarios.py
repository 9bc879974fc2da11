#!/usr/bin/python3
"""End-to-end scenarios (ctest label `e2e`): the real `conclave` binary (with its MLS delivery
service) attached to a real Prosody or ejabberd with a real PostgreSQL, driven by several
`conclave-client script` processes (the reference client) and plain slixmpp clients.

usage: e2e_scenarios.py CONCLAVE_BINARY CLIENT_BINARY SERVER SCENARIO
  SERVER: prosody | ejabberd;  SCENARIO: one of SCENARIOS below.
Run through tests/harness/with-servers.sh; without its environment the test FAILS.
Imports conclave_test (tests/pylib): ctest sets PYTHONPATH; by hand, PYTHONPATH=tests/pylib.
Every scenario writes the plaintext markers it sent to $CONCLAVE_TEST_RUNDIR/e2e/markers-SERVER.txt
and ends by checking that none of them is in its database, its conclave log or on the wire;
`no_plaintext` (run by ctest after all scenarios of a server) checks all of them again, together
with the XMPP server's logs.
"""
import asyncio
import os
import sys
import xml.etree.ElementTree as ET

from conclave_test.e2e_lib import (C, FALLBACK_BODY, MLS, E2EWorld, ScriptClient, b64d, b64e,
                                   check, commit_payload, dump_databases, files_under,
                                   flip_signature_byte, group_epoch, is_commit_iq, leaks,
                                   message_epoch, mls_error, parse_commit_iq, with_epoch)
from conclave_test.muc_client import error_condition, new_id, scenario_main

SCENARIO_TIMEOUT = 240


async def group_of(w, room, names, open_room=False):
    """Creates `room`'s group with the first client and invites the others one by one; every
    invitee reports `joined`. The room is a private group chat (persistent, members-only: the
    invitations make the invitees members), or with `open_room` an open room. Returns the
    clients and the epoch."""
    clients = [await w.script(n) for n in names]
    owner = clients[0]
    a = await owner.ok("create", room=room, open=open_room)
    check(a.get("epoch") == 0, "create answers epoch 0: %s" % a)
    epoch = 0
    for c in clients[1:]:
        a = await owner.ok("invite", room=room, jid=c.jid)
        epoch += 1
        check(a.get("epoch") == epoch, "invite of %s answers epoch %d: %s" % (c.user, epoch, a))
        await c.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                      "%s joined %s by Welcome" % (c.user, room))
    for c in clients[1:-1]:
        await c.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                      "%s at epoch %d" % (c.user, epoch))
    return clients, epoch


async def same_epoch(clients, room, epoch):
    """All clients are at `epoch` with the same epoch_authenticator (RFC 9420 §8.7)."""
    auths = set()
    for c in clients:
        f = await c.ok("fingerprints", room=room)
        check(f["epoch"] == epoch, "%s at epoch %d, is at %s" % (c.user, epoch, f["epoch"]))
        auths.add(f["epoch_authenticator"])
    check(len(auths) == 1, "one epoch_authenticator at epoch %d: %s" % (epoch, auths))


async def say(sender, room, receivers, label):
    m = sender.w.marker(label)
    await sender.ok("send", room=room, text=m)
    for r in receivers:
        await r.message(room, m, sender.jid)
    return m


# ---------------------------------------------------------------------------------------------

async def scenario_talk_remove(w):
    """Three members create, add, talk; a removed member cannot read what follows."""
    room = w.room("talk")
    (alice, bob, carol), epoch = await group_of(w, room, ["alice", "bob", "carol"])
    await same_epoch([alice, bob, carol], room, epoch)
    await say(alice, room, [bob, carol], "a1")
    await say(bob, room, [alice, carol], "b1")
    await say(carol, room, [alice, bob], "c1")

    a = await alice.ok("remove", room=room, jid=carol.jid)
    check(a["epoch"] == epoch + 1, "remove answers epoch %d: %s" % (epoch + 1, a))
    epoch += 1
    await carol.event(lambda e: e.get("event") == "removed" and e.get("room") == room, "carol removed")
    await bob.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch, "bob applies the remove")
    f = await alice.ok("fingerprints", room=room)
    check(carol.jid not in [m["jid"] for m in f["members"]], "carol's leaf is gone: %s" % f["members"])
    await same_epoch([alice, bob], room, epoch)

    after = [await say(alice, room, [bob], "a2"), await say(bob, room, [alice], "b2")]
    await asyncio.sleep(2)  # carol had as long as bob to see them
    got = carol.seen(lambda e: e.get("event") == "message" and e.get("text") in after)
    check(not got, "the removed member decrypted later messages: %s" % got)
    e = await carol.request("epoch", room=room)
    check(e.get("ok") is False, "the removed member has no group any more: %s" % e)


async def scenario_offline_catchup(w):
    """A member whose client is stopped catches up in order from the archive after restart."""
    room = w.room("offline")
    (alice, bob), epoch = await group_of(w, room, ["alice", "bob"])
    await say(bob, room, [alice], "online")
    await bob.stop()
    sent = [await say(alice, room, [], "off%d" % i) for i in range(3)]
    carol = await w.script("carol")
    a = await alice.ok("invite", room=room, jid=carol.jid)
    epoch += 1
    check(a["epoch"] == epoch, "invite while bob is away: %s" % a)
    await carol.event(lambda e: e.get("event") == "joined", "carol joined")
    sent.append(await say(alice, room, [carol], "off3"))

    await bob.start()
    a = await bob.ok("catchup", room=room)
    check(a.get("archived", 0) >= 5, "bob read the archive (3 messages, 1 commit, 1 message): %s" % a)
    check(a.get("epoch") == epoch, "bob caught up to epoch %d: %s" % (epoch, a))
    order = [e.get("text") if e["event"] == "message" else "commit@%s" % e.get("epoch")
             for e in bob.events if e.get("event") in ("message", "commit")]
    want = sent[:3] + ["commit@%d" % epoch, sent[3]]
    check([x for x in order if x in want] == want, "bob's catch-up order: %s, want %s" % (order, want))
    errors = bob.seen(lambda e: e.get("event") == "error")
    check(not errors, "catch-up without errors: %s" % errors)
    await bob.ok("enter", room=room)
    await same_epoch([alice, bob, carol], room, epoch)
    await say(bob, room, [alice, carol], "back")


DISCO_INFO = "http://jabber.org/protocol/disco#info"


def self_item(seq):
    """The <item/> and status codes of the self-presence (110) in a join sequence."""
    for s in seq:
        x = s.find("{http://jabber.org/protocol/muc#user}x")
        if x is None:
            continue
        codes = {int(c.get("code")) for c in x.findall("{http://jabber.org/protocol/muc#user}status")}
        if 110 in codes:
            return x.find("{http://jabber.org/protocol/muc#user}item"), codes
    return None, set()


async def scenario_room_outlives(w):
    """docs/protocol.md BR-12, as a new user meets it: alice creates a private group chat,
    invites bob while his client is offline, says something and quits. The room stays (it held
    a group, so it became persistent; it is members-only). Bob comes online, opens the Welcome
    from offline storage, enters the room as a member (not a new room with himself as owner),
    reads alice's message after catch-up and answers; alice, back later, reads his answer."""
    room = w.room("secret")
    alice, bob = await w.script("alice"), await w.script("bob")
    await bob.stop()  # bob's packages are published; now he is offline
    a = await alice.ok("create", room=room)
    check(a.get("epoch") == 0, "create answers epoch 0: %s" % a)
    a = await alice.ok("invite", room=room, jid=bob.jid)
    check(a.get("epoch") == 1, "invite answers epoch 1: %s" % a)
    said = w.marker("a-secret")
    await alice.ok("send", room=room, text=said)
    await alice.stop()
    await asyncio.sleep(0.5)  # alice's unavailable presence has reached the room

    carol = await w.raw("carol")  # a stranger looks at the room
    info = await carol.iq(room, "get", "<query xmlns='%s'/>" % DISCO_INFO)
    check(info.get("type") == "result", "the room is still there: %s" % error_condition(info))
    feats = {f.get("var") for f in info.iter("{%s}feature" % DISCO_INFO)}
    check({"muc_persistent", "muc_membersonly"} <= feats,
          "a private group chat: persistent and members-only: %s" % sorted(feats))
    seq = await carol.join_sequence(room + "/Carol")
    item, codes = self_item(seq)
    check(item is None and any(s.get("type") == "error" for s in seq),
          "a stranger cannot enter the members-only room: %s" % codes)
    with open(w.log_path) as f:
        log = f.read()
    check("temporary room ended" not in log, "the room never ended")

    await bob.start()
    await bob.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                    "bob opens the Welcome from offline storage")
    probe = await w.raw("bob")  # bob's second session looks before his client enters
    seq = await probe.join_sequence(room + "/BobProbe")
    item, codes = self_item(seq)
    check(item is not None and 201 not in codes, "bob enters the existing room: %s" % codes)
    check(item.get("affiliation") == "member",
          "bob is a member (the invitation), not the owner of a new room: %s" % item.attrib)
    await probe.quit()
    a = await bob.ok("catchup", room=room)
    check(a.get("epoch") == 1, "bob caught up at epoch 1: %s" % a)
    await bob.message(room, said, alice.jid)
    answer = w.marker("b-secret")
    await bob.ok("send", room=room, text=answer)
    await bob.stop()

    await alice.start()
    a = await alice.ok("catchup", room=room)
    check(a.get("epoch") == 1, "alice caught up at epoch 1: %s" % a)
    await alice.message(room, answer, bob.jid)
    errors = alice.seen(lambda e: e.get("event") == "error") + bob.seen(
        lambda e: e.get("event") == "error")
    check(not errors, "no errors: %s" % errors)


async def scenario_commit_race(w):
    """Two members commit in the same epoch at the same moment: one is accepted, the other gets
    <wrong-epoch current=E+1/>, catches up and succeeds."""
    room = w.room("race")
    (alice, bob, carol), epoch = await group_of(w, room, ["alice", "bob", "carol"])
    racers = [bob, carol]
    for c in racers:  # the proxies hold both commit IQs until both were built
        c.proxy.hold = is_commit_iq
    rids = [c.send_line("update", room=room) for c in racers]
    for c in racers:
        await c.proxy.wait_until(lambda c=c: len(c.proxy.held) == 1, "%s's commit" % c.user)
    for c in racers:
        c.proxy.hold = None
    received_before = [len(c.proxy.received) for c in racers]
    await asyncio.gather(*(c.proxy.release() for c in racers))
    answers = [await c.answer(r, "update answer") for c, r in zip(racers, rids)]
    for c, a in zip(racers, answers):
        check(a.get("ok") is True, "%s's update eventually succeeds: %s" % (c.user, a))
    check(sorted(a["epoch"] for a in answers) == [epoch + 1, epoch + 2],
          "the racers end at epochs %d and %d: %s" % (epoch + 1, epoch + 2, answers))
    losers = []
    for c, n in zip(racers, received_before):
        wrong = [s for s in c.proxy.received[n:] if "wrong-epoch" in s]
        if wrong:
            losers.append((c, wrong))
    check(len(losers) == 1, "exactly one racer got <wrong-epoch/>: %s" % [(c.user, s) for c, s in losers])
    loser, wrong = losers[0]
    check(len(wrong) == 1 and "current='%d'" % (epoch + 1) in wrong[0].replace('"', "'"),
          "wrong-epoch names the current epoch %d: %s" % (epoch + 1, wrong))
    check("<conflict" in wrong[0], "wrong-epoch comes with <conflict/>: %s" % wrong[0])
    commits = [s for s in loser.proxy.sent if is_commit_iq(s)]
    check(len(commits) == 2, "the loser sent exactly two commits (lost, retried): %d" % len(commits))
    epoch += 2
    await alice.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                      "alice at epoch %d" % epoch)
    winner = bob if loser is carol else carol
    await winner.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                       "the winner applies the loser's retried commit")
    await same_epoch([alice, bob, carol], room, epoch)
    await say(loser, room, [alice, winner], "after-race")


async def scenario_external_join(w):
    """A new member joins by external commit (RFC 9420 §12.4.3.2) and talks with the others."""
    room = w.room("extjoin")
    # An open room: dave, never invited, may join (BR-1; a members-only room refuses him).
    (alice, bob), epoch = await group_of(w, room, ["alice", "bob"], open_room=True)
    dave = await w.script("dave")
    a = await dave.ok("join", room=room)
    epoch += 1
    check(a["epoch"] == epoch, "external join answers epoch %d: %s" % (epoch, a))
    for c in (alice, bob):
        await c.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                      "%s applies the external commit" % c.user)
    await same_epoch([alice, bob, dave], room, epoch)
    f = await alice.ok("fingerprints", room=room)
    check(sorted(m["jid"] for m in f["members"]) == sorted([alice.jid, bob.jid, dave.jid]),
          "members after the join: %s" % f["members"])
    await say(dave, room, [alice, bob], "d1")
    await say(alice, room, [bob, dave], "a1")


def group_info_queries(c):
    """The <group-info/> queries (docs/protocol.md §6.6) client `c` sent, from its wire record."""
    return [s for s in c.proxy.sent
            if s.lstrip().startswith("<iq") and ("type='get'" in s or 'type="get"' in s)
            and "<group-info" in s]


async def scenario_welcome_no_tree(w):
    """An invite whose Welcome leaves the ratchet tree out (welcome_tree "never", what the
    reference client does for large rooms): the joiner fetches the tree with <group-info/> and
    talks. A second invite with the tree in the Welcome is the control: no query."""
    room = w.room("notree")
    alice, bob, carol = [await w.script(n) for n in ("alice", "bob", "carol")]
    await alice.ok("create", room=room)
    a = await alice.ok("invite", room=room, jid=bob.jid, welcome_tree="never")
    check(a["epoch"] == 1, "invite without tree answers epoch 1: %s" % a)
    await bob.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                    "bob joined from a Welcome without tree")
    check(len(group_info_queries(bob)) == 1,
          "bob fetched the tree once: %s" % group_info_queries(bob))
    a = await alice.ok("invite", room=room, jid=carol.jid, welcome_tree="always")
    check(a["epoch"] == 2, "invite with tree answers epoch 2: %s" % a)
    await carol.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                      "carol joined from a Welcome with the tree")
    check(not group_info_queries(carol), "carol needed no <group-info/>: %s" % group_info_queries(carol))
    await bob.event(lambda e: e.get("event") == "commit" and e.get("epoch") == 2, "bob at epoch 2")
    await same_epoch([alice, bob, carol], room, 2)
    await say(alice, room, [bob, carol], "a1")
    await say(bob, room, [alice, carol], "b1")


async def scenario_resync(w):
    """A member that lost its state (state directory wiped) resyncs by external commit that
    removes its old leaf."""
    room = w.room("resync")
    (alice, bob, carol), epoch = await group_of(w, room, ["alice", "bob", "carol"])
    await say(bob, room, [alice, carol], "before")
    await bob.stop()
    bob.wipe_state()
    await bob.start()
    # A fresh state directory under the same device name: the client finds its old leaf through
    # <rooms/> and replaces it by itself (docs/protocol.md §6.13).
    ev = await bob.event(lambda e: e.get("event") == "resynced" and e.get("room") == room,
                         "bob resyncs by himself on start")
    epoch += 1
    check(ev["epoch"] == epoch, "the resync reaches epoch %d: %s" % (epoch, ev))
    a = await bob.ok("resync", room=room)  # asked again: another external commit, still one leaf
    epoch += 1
    check(a["epoch"] == epoch, "resync answers epoch %d: %s" % (epoch, a))
    for c in (alice, carol):
        await c.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                      "%s applies the resync" % c.user)
    await same_epoch([alice, bob, carol], room, epoch)
    f = await alice.ok("fingerprints", room=room)
    jids = [m["jid"] for m in f["members"]]
    check(jids.count(bob.jid) == 1 and len(jids) == 3, "one leaf per member after resync: %s" % jids)
    await say(bob, room, [alice, carol], "after")
    await say(alice, room, [bob, carol], "reply")


def leaves_of(fingerprints):
    """jid -> number of leaves, from a `fingerprints` answer."""
    out = {}
    for m in fingerprints["members"]:
        out[m["jid"]] = out.get(m["jid"], 0) + 1
    return out


async def scenario_devices(w):
    """Several devices per user (docs/protocol.md §6.1, §6.4, §6.13): an invite adds every
    device of the invitee in one commit; a new device of a member joins the member's rooms by
    itself on its first start; every device reads every other; removing a user removes all of
    its devices' leaves, and none of them reads what follows."""
    room = w.room("devices")
    alice = await w.script("alice", device="phone")
    bob = await w.script("bob", device="phone")
    bob2 = await w.script("bob", device="desktop")
    carol = await w.script("carol", device="phone")
    carol2 = await w.script("carol", device="desktop")
    await alice.ok("create", room=room)
    epoch = 0
    for user, devices in ((bob, [bob, bob2]), (carol, [carol, carol2])):
        a = await alice.ok("invite", room=room, jid=user.jid)
        epoch += 1
        check(a["epoch"] == epoch, "one commit adds both devices of %s: %s" % (user.user, a))
        for d in devices:
            await d.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                          "%s/%s joined by Welcome" % (d.user, d.device))
    f = await alice.ok("fingerprints", room=room)
    check(leaves_of(f) == {alice.jid: 1, bob.jid: 2, carol.jid: 2}, "leaves: %s" % leaves_of(f))
    d = await bob2.ok("devices")
    check(sorted(x["device"] for x in d["devices"]) == ["desktop", "phone"],
          "bob's devices: %s" % d)

    # alice's second device: nobody else does anything, it joins her rooms on its first start.
    alice2 = await w.script("alice", device="desktop")
    ev = await alice2.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                            "alice's new device joins her room by itself")
    epoch += 1
    check(ev["epoch"] == epoch, "the new device's external commit reaches epoch %d: %s" % (epoch, ev))
    everyone = [alice, alice2, bob, bob2, carol, carol2]
    for c in everyone:
        if c is not alice2:
            await c.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                          "%s/%s applies the new device's join" % (c.user, c.device))
    await same_epoch(everyone, room, epoch)
    for c in (alice2, bob2, carol):
        await say(c, room, [x for x in everyone if x is not c], "%s-%s" % (c.user, c.device))

    a = await alice.ok("remove", room=room, jid=carol.jid)
    epoch += 1
    check(a["epoch"] == epoch, "remove answers epoch %d: %s" % (epoch, a))
    for c in (carol, carol2):
        await c.event(lambda e: e.get("event") == "removed" and e.get("room") == room,
                      "carol/%s removed" % c.device)
    rest = [alice, alice2, bob, bob2]
    for c in rest[1:]:
        await c.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                      "%s/%s applies the remove" % (c.user, c.device))
    f = await alice.ok("fingerprints", room=room)
    check(leaves_of(f) == {alice.jid: 2, bob.jid: 2}, "every leaf of carol is gone: %s" % leaves_of(f))
    await same_epoch(rest, room, epoch)
    after = [await say(bob, room, [alice, alice2, bob2], "after-remove")]
    await asyncio.sleep(2)
    for c in (carol, carol2):
        got = c.seen(lambda e: e.get("event") == "message" and e.get("text") in after)
        check(not got, "carol/%s, removed, decrypted later messages: %s" % (c.device, got))


async def scenario_devices_offline(w):
    """Issue 15: both of bob's devices are offline when alice invites him, and alice speaks
    before either is back. The one Welcome, sent to bob's bare JID, goes from offline storage
    to the device that comes back first; the other finds at its start that the group holds a
    leaf of its own that it has no group for, fetches the Welcome from the room
    (docs/protocol.md §6.10) and joins with it: no commit, and both devices read what alice
    said before they were back."""
    room = w.room("devoff")
    alice = await w.script("alice")
    phone = await w.script("bob", device="phone")
    desktop = await w.script("bob", device="desktop")
    await phone.stop()
    await desktop.stop()
    await alice.ok("create", room=room)
    a = await alice.ok("invite", room=room, jid=phone.jid)
    check(a["epoch"] == 1, "one commit adds both offline devices: %s" % a)
    said = w.marker("a-devoff")
    await alice.ok("send", room=room, text=said)

    await phone.start()
    ev = await phone.event(lambda e: e.get("event") == "joined" and e.get("room") == room,
                           "the phone opens the Welcome from offline storage")
    check(ev["epoch"] == 1, "the phone joined epoch 1: %s" % ev)
    await desktop.start()
    ev = await desktop.event(
        lambda e: e.get("event") in ("joined", "resynced") and e.get("room") == room,
        "the desktop, whose Welcome the phone took, joins at its start")
    check(ev["event"] == "joined" and ev["epoch"] == 1,
          "the desktop joined with the room's copy of its Welcome, no resync: %s" % ev)
    f = await alice.ok("fingerprints", room=room)
    check(f["epoch"] == 1 and leaves_of(f) == {alice.jid: 1, phone.jid: 2},
          "still epoch 1, a leaf for each device: %s" % f)
    for d in (phone, desktop):
        a = await d.ok("catchup", room=room)
        check(a.get("epoch") == 1, "%s caught up at epoch 1: %s" % (d.device, a))
        await d.message(room, said, alice.jid)
        await d.ok("enter", room=room)
    await same_epoch([alice, phone, desktop], room, 1)
    await say(desktop, room, [alice, phone], "b-desktop")
    await say(phone, room, [alice, desktop], "b-phone")
    await say(alice, room, [phone, desktop], "a-both")
    # A later start of the desktop changes nothing: it holds the group now.
    await desktop.stop()
    await desktop.start()
    await say(alice, room, [phone], "a-again")
    f = await alice.ok("fingerprints", room=room)
    check(f["epoch"] == 1, "no commit from restarts: %s" % f)
    errors = [e for c in (alice, phone, desktop) for e in c.seen(lambda e: e.get("event") == "error")]
    check(not errors, "no errors: %s" % errors)


async def scenario_retire_device(w):
    """A user retires a lost device from another one (docs/protocol.md §6.13, BR-14): its key
    packages are deleted, the service proposes the Removes of its leaves in every room, the
    retiring device commits them; the retired device reads nothing after, and a later invite
    no longer adds it."""
    rooms = [w.room("retire1"), w.room("retire2")]
    alice = await w.script("alice")
    bob = await w.script("bob", device="phone")
    bob2 = await w.script("bob", device="tablet")
    for room in rooms:
        await alice.ok("create", room=room)
        await alice.ok("invite", room=room, jid=bob.jid)
        for d in (bob, bob2):
            await d.event(lambda e, room=room: e.get("event") == "joined" and e.get("room") == room,
                          "%s joined %s" % (d.device, room))
    a = await bob.ok("retire_device", device="tablet")
    check(a["rooms"] == 2, "the tablet is removed from both rooms: %s" % a)
    for room in rooms:
        await bob2.event(lambda e, room=room: e.get("event") == "removed" and e.get("room") == room,
                         "the tablet sees its removal from %s" % room)
        await alice.event(lambda e, room=room: e.get("event") == "commit" and e.get("room") == room
                          and e.get("epoch") == 2, "alice applies the removal in %s" % room)
        f = await alice.ok("fingerprints", room=room)
        check(leaves_of(f) == {alice.jid: 1, bob.jid: 1}, "one leaf of bob left: %s" % leaves_of(f))
        await same_epoch([alice, bob], room, 2)
    d = await bob.ok("devices")
    check([x["device"] for x in d["devices"]] == ["phone"], "the tablet is off the list: %s" % d)
    later = [await say(alice, rooms[0], [bob], "after-retire")]
    await asyncio.sleep(2)
    got = bob2.seen(lambda e: e.get("event") == "message" and e.get("text") in later)
    check(not got, "the retired device decrypted later messages: %s" % got)
    room3 = w.room("retire3")
    await alice.ok("create", room=room3)
    await alice.ok("invite", room=room3, jid=bob.jid)
    f = await alice.ok("fingerprints", room=room3)
    check(leaves_of(f) == {alice.jid: 1, bob.jid: 1}, "a later invite adds the phone only: %s" % f)


async def dead_leaf_replaced(alice, bob, room, what, tag):
    """bob, holding a dead leaf from alice's invite (epoch 1), resyncs by external commit to
    epoch 2 (docs/protocol.md §6.8): one leaf each is left, and both read each other."""
    ev = await bob.event(lambda e: e.get("event") in ("resynced", "joined") and e.get("room") == room,
                         what)
    check(ev["event"] == "resynced" and ev["epoch"] == 2, "bob resynced to epoch 2: %s" % ev)
    await alice.event(lambda e: e.get("event") == "commit" and e.get("epoch") == 2,
                      "alice applies bob's resync")
    f = await alice.ok("fingerprints", room=room)
    check(leaves_of(f) == {alice.jid: 1, bob.jid: 1}, "the dead leaf is gone: %s" % leaves_of(f))
    await same_epoch([alice, bob], room, 2)
    await say(alice, room, [bob], "a-" + tag)
    await say(bob, room, [alice], "b-" + tag)


async def scenario_stale_packages(w):
    """Issue 15 part 3: bob loses his state (a new state directory, as after a reinstall) while
    the service still holds his old one-time packages. alice's invite claims one and is accepted;
    bob, starting from fresh state, deletes his device's old packages, finds the dead leaf the
    invite gave him and replaces it by external commit: he reads the room."""
    room = w.room("stale")
    alice = await w.script("alice")
    bob = await w.script("bob")
    c = await bob.ok("count")
    check(c["count"] >= 2, "bob published one-time packages: %s" % c)
    await bob.stop()
    bob.wipe_state()
    await alice.ok("create", room=room)
    a = await alice.ok("invite", room=room, jid=bob.jid)
    check(a["epoch"] == 1, "the invite of the stale package is accepted: %s" % a)
    await bob.start()
    await dead_leaf_replaced(alice, bob, room, "bob replaces his dead leaf by himself", "after")
    # Only packages of the new install are left: the next invite adds a device that can join.
    c = await bob.ok("count")
    check(c["last_resort"] is True, "bob's new install has a last-resort package: %s" % c)


async def scenario_dead_leaf_online(w):
    """Issue 15 part 3, while bob is online: another install under bob's device name (a
    reinstall on a second machine whose state was lost right after) replaced the device's
    packages on the service. alice's invite claims one of them; bob's running client gets a
    Welcome it cannot open, finds the dead leaf the invite gave his device (docs/protocol.md
    §6.8) and replaces it by external commit without a restart: he reads the room."""
    room = w.room("deadleaf")
    alice = await w.script("alice")
    bob = await w.script("bob")
    ghost = ScriptClient(w, bob.user, state_dir=os.path.join(w.tmp, "state-bob-ghost"))
    ghost.tag = bob.tag + ".ghost"  # its own wire log
    w.script_clients.append(ghost)
    await ghost.start()  # new state: deletes the device's packages, publishes its own
    g = await ghost.ok("count")
    check(g["count"] >= 1, "the other install published: %s" % g)
    await ghost.stop()
    ghost.wipe_state()  # its secrets are gone
    c = await bob.ok("count")
    check(c["count"] == g["count"],
          "the device's packages on the service are the other install's: %s" % c)
    await alice.ok("create", room=room)
    a = await alice.ok("invite", room=room, jid=bob.jid)
    check(a["epoch"] == 1, "the invite of a package nobody can open is accepted: %s" % a)
    await dead_leaf_replaced(alice, bob, room, "bob, online, replaces his dead leaf by himself",
                             "online")


async def scenario_refresh_packages(w):
    """Issue 15 part 3: packages carry a short lifetime and are replaced before they expire
    (docs/protocol.md §6.3). bob's packages that end within the client's 2-day margin are
    deleted on the service and replaced when he next starts; the others stay."""
    bob = await w.script("bob")
    c0 = await bob.ok("count")
    check(c0["count"] >= 2 and c0["last_resort"] is True, "bob published at start: %s" % c0)
    p = await bob.ok("publish", count=3, lifetime=86400)  # a day: inside the margin
    check(p["stored"] == 3, "three short-lived packages stored: %s" % p)
    c1 = await bob.ok("count")
    check(c1["count"] == c0["count"] + 3, "the service holds them: %s" % c1)
    await bob.stop()
    await bob.start()  # the same state: not a reinstall
    c2 = await bob.ok("count")
    check(c2["count"] == c0["count"] and c2["last_resort"] is True,
          "the three ending within 2 days were deleted, the 7-day ones kept: %s" % c2)
    d = await bob.ok("devices")
    check(len(d["devices"]) == 1 and d["devices"][0]["count"] == c0["count"],
          "one device with its packages: %s" % d)
    # An invite claims one of the packages that replaced them, and bob reads the room.
    room = w.room("refresh")
    alice = await w.script("alice")
    await alice.ok("create", room=room)
    await alice.ok("invite", room=room, jid=bob.jid)
    await bob.event(lambda e: e.get("event") == "joined" and e.get("room") == room, "bob joined")
    await say(alice, room, [bob], "after-refresh")


MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
MUC_OWNER = "http://jabber.org/protocol/muc#owner"


async def removed_by_service(owner, others, room, epoch, gone, what):
    """The service's Remove proposal (docs/protocol.md, service proposals) reaches `owner`, whose
    next commit carries it; `others` follow; `gone` has no leaf any more. Returns the new epoch."""
    await owner.event(lambda e: e.get("event") == "proposal" and e.get("room") == room
                      and e.get("epoch") == epoch, "%s: the service's Remove reaches %s" % (what, owner.user))
    a = await owner.ok("update", room=room)
    epoch += 1
    check(a["epoch"] == epoch, "%s: the commit carrying the Remove answers epoch %d: %s" % (what, epoch, a))
    for c in others:
        await c.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch,
                      "%s: %s applies the commit" % (what, c.user))
    await same_epoch([owner] + others, room, epoch)
    f = await owner.ok("fingerprints", room=room)
    jids = [m["jid"] for m in f["members"]]
    check(gone.jid not in jids and len(jids) == 1 + len(others), "%s: leaves after: %s" % (what, jids))
    return epoch


async def scenario_ban_remove(w):
    """A ban (XEP-0045 §9.1), then a room turned members-only while a member is not on the member
    list (§10.2): each time the service proposes the Remove as external sender, the owner's next
    commit carries it, and the member removed sees none of the messages that follow."""
    room = w.room("ban")
    # Open at first: invitations to an open room make no one a member, so turning it
    # members-only later leaves bob out (XEP-0045 §7.8.2 grants membership only in
    # members-only rooms).
    (alice, bob, carol), epoch = await group_of(w, room, ["alice", "bob", "carol"],
                                                open_room=True)
    await say(carol, room, [alice, bob], "c1")
    admin = await w.raw("alice")  # the owner's second resource, a plain client

    r = await admin.iq(room, "set", "<query xmlns='%s'><item affiliation='outcast' jid='%s'/></query>"
                       % (MUC_ADMIN, carol.jid))
    check(r.get("type") == "result", "the owner bans carol: %s" % error_condition(r))
    epoch = await removed_by_service(alice, [bob], room, epoch, carol, "ban")
    after_ban = [await say(alice, room, [bob], "a-ban"), await say(bob, room, [alice], "b-ban")]

    r = await admin.iq(room, "set", "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                       "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value>"
                       "</field><field var='muc#roomconfig_membersonly'><value>1</value></field>"
                       "</x></query>" % MUC_OWNER)
    check(r.get("type") == "result", "the room becomes members-only: %s" % error_condition(r))
    epoch = await removed_by_service(alice, [], room, epoch, bob, "members-only")
    after_close = [await say(alice, room, [], "a-closed")]

    await asyncio.sleep(2)  # as long as the others had to see them
    for c, later in ((carol, after_ban + after_close), (bob, after_close)):
        got = c.seen(lambda e: e.get("event") == "message" and e.get("text") in later)
        check(not got, "%s, removed, decrypted later messages: %s" % (c.user, got))


async def scenario_tree_limit(w):
    """mls.max_tree_leaves = 2: the invite that would widen the tree to 4 leaves is refused with
    policy-violation, the room's group stays at its epoch, and its members go on talking."""
    room = w.room("narrow")
    (alice, bob), epoch = await group_of(w, room, ["alice", "bob"])
    carol = await w.script("carol")
    a = await alice.request("invite", room=room, jid=carol.jid)
    check(a.get("ok") is False and a.get("condition") == "policy-violation",
          "the third member would widen the tree past 2 leaves: %s" % a)
    watcher = await w.raw("alice")  # the members-only room answers its members (BR-1)
    check(await group_epoch(watcher, room) == epoch, "the room's group is still at epoch %d" % epoch)
    await say(alice, room, [bob], "after-limit-a")
    await say(bob, room, [alice], "after-limit-b")
    await same_epoch([alice, bob], room, epoch)


async def scenario_fallback(w):
    """A plain XMPP client in the room sees only the fallback body, never the plaintext; its
    plain message is refused in a room with a group."""
    room = w.room("fallback")
    # An open room: eve, a plain client never invited, may enter.
    (alice, bob), epoch = await group_of(w, room, ["alice", "bob"], open_room=True)
    eve = await w.raw("eve")
    me = await eve.join(room + "/eve")
    check(me.get("type") != "error", "eve enters the room: %s" % error_condition(me))
    m = await say(alice, room, [bob], "secret")
    got = await eve.wait_for(lambda s: s.tag == C + "message" and s.get("type") == "groupchat"
                             and s.find("{%s}encrypted" % MLS) is not None, "the encrypted message")
    check(got.findtext(C + "body") == FALLBACK_BODY, "fallback body: %r" % got.findtext(C + "body"))
    check(m not in ET.tostring(got, encoding="unicode"), "the plaintext is not in the stanza")
    eme = got.find("{urn:xmpp:eme:0}encryption")
    check(eme is not None and eme.get("namespace") == MLS, "XEP-0380 encryption element")

    i = new_id("plain")
    eve.raw("<message type='groupchat' to='%s' id='%s'><body>plain text</body></message>" % (room, i))
    err = await eve.wait_for(lambda s: s.get("id") == i and s.get("type") == "error", "refusal")
    check(error_condition(err) == "not-acceptable", "plain body refused: %s" % error_condition(err))
    await asyncio.sleep(1)
    check(not bob.seen(lambda e: e.get("text") == "plain text"), "the plain message reached nobody")


async def scenario_bad_input(w):
    """Malformed MLS, wrong epoch, bad signature, forged sender, non-member commit, replay,
    Welcome for nobody, key package flood: the documented stanza error each time, the room's
    epoch unchanged, archived messages kept."""
    room = w.room("bad")
    alice = await w.script("alice", timeout_s=4)
    bob = await w.script("bob")
    await alice.ok("create", room=room, open=True)  # strangers (mallory) may enter and try
    await alice.ok("invite", room=room, jid=bob.jid)
    await bob.event(lambda e: e.get("event") == "joined", "bob joined")
    invite = [s for s in alice.proxy.sent if is_commit_iq(s) and "<welcome" in s]
    check(len(invite) == 1, "alice's invite commit carried a Welcome")
    old_welcome = parse_commit_iq(invite[0])["welcome"]
    m1 = await say(alice, room, [bob], "acked")
    epoch = 1

    # A valid commit of alice at the current epoch that never reaches the service.
    alice.proxy.swallow = is_commit_iq
    a = await alice.request("update", room=room)
    check(a.get("ok") is False, "the swallowed update times out: %s" % a)
    alice.proxy.swallow = None
    # The client resends a commit once after a timeout (byte-identical, §5): same payload.
    kept = [parse_commit_iq(s) for s in alice.proxy.swallowed]
    check(kept and all(k == kept[0] for k in kept), "swallowed commits: %d, identical" % len(kept))
    valid = kept[0]
    msg = b64d(valid["message"])
    check(message_epoch(msg) == epoch, "the swallowed commit is for epoch %d" % epoch)
    await alice.stop()  # its pending commit is ours now

    araw, braw, mallory = await w.raw("alice"), await w.raw("bob"), await w.raw("mallory")
    watcher = await w.raw("watch")
    me = await watcher.join(room + "/watcher")
    check(me.get("type") != "error", "watcher enters")
    check(await group_epoch(araw, room) == epoch, "epoch %d before the bad input" % epoch)

    async def refused(who, payload, cond, app=None, what=""):
        r = await who.iq(room, "set", payload)
        got_cond, got_app = mls_error(r)
        check(r.get("type") == "error" and got_cond == cond,
              "%s: <%s/> expected, got %s %s %s" % (what, cond, r.get("type"), got_cond, got_app))
        if app is not None:
            check(app in got_app, "%s: <%s xmlns='%s'/> expected, got %s" % (what, app, MLS, got_app))
        check(await group_epoch(araw, room) == epoch, "%s: epoch unchanged" % what)
        return got_app

    await refused(araw, commit_payload(b64e(os.urandom(200)), None, valid["group_info"]),
                  "bad-request", "invalid-commit", "random bytes as commit")
    await refused(araw, commit_payload(b64e(msg[:len(msg) // 2]), None, valid["group_info"]),
                  "bad-request", "invalid-commit", "truncated commit")
    await refused(araw, commit_payload("!!not base64!!", None, valid["group_info"]),
                  "bad-request", None, "commit that is not base64")
    await refused(araw, commit_payload(b64e(flip_signature_byte(msg)), None, valid["group_info"]),
                  "bad-request", "invalid-commit", "commit with a flipped signature byte")
    app = await refused(araw, commit_payload(b64e(with_epoch(msg, epoch + 5)), None, valid["group_info"]),
                        "conflict", "wrong-epoch", "commit for a future epoch")
    check(app["wrong-epoch"].get("current") == str(epoch), "future epoch: current='%d': %s" % (epoch, app))
    await refused(braw, commit_payload(valid["message"], None, valid["group_info"]),
                  "forbidden", None, "alice's commit sent by bob (forged sender)")
    await refused(mallory, commit_payload(valid["message"], None, valid["group_info"]),
                  "forbidden", None, "alice's commit sent by a non-member")
    await refused(araw, commit_payload(valid["message"], old_welcome, valid["group_info"]),
                  "bad-request", None, "a Welcome with a commit that adds nobody")

    # The untouched commit by its owner is accepted once it is in the room (members commit as
    # occupants, docs/protocol.md §6.7): nothing above changed the room.
    me = await araw.join(room + "/alice-raw")
    check(me.get("type") != "error", "alice-raw enters")
    i = new_id("ok")
    r = await araw.iq(room, "set", commit_payload(valid["message"], None, valid["group_info"]))
    check(r.get("type") == "result", "alice's own commit is accepted: %s" % (mls_error(r),))
    acc = r.find("{%s}accepted" % MLS)
    check(acc is not None and acc.get("epoch") == str(epoch + 1), "accepted epoch %d" % (epoch + 1))
    epoch += 1
    await bob.event(lambda e: e.get("event") == "commit" and e.get("epoch") == epoch, "bob applies it")
    await watcher.wait_for(lambda s: s.find("{%s}commit" % MLS) is not None
                           and s.find("{%s}commit" % MLS).get("epoch") == str(epoch - 1), "fan-out")
    # Replay: the same answer again, no second fan-out, epoch unchanged.
    r = await araw.iq(room, "set", commit_payload(valid["message"], None, valid["group_info"]))
    acc = r.find("{%s}accepted" % MLS)
    check(r.get("type") == "result" and acc is not None and acc.get("epoch") == str(epoch),
          "a replayed commit gets the original answer: %s" % (mls_error(r),))
    check(await group_epoch(araw, room) == epoch, "replay: epoch unchanged")
    # Stale and not byte-identical: wrong epoch.
    app = await refused(araw, commit_payload(b64e(flip_signature_byte(msg)), None, valid["group_info"]),
                        "conflict", "wrong-epoch", "stale commit")
    check(app["wrong-epoch"].get("current") == str(epoch), "stale: current='%d'" % epoch)
    await asyncio.sleep(1)
    fanned = watcher.take_all(lambda s: s.find("{%s}commit" % MLS) is not None)
    check(not fanned, "no fan-out of refused or replayed commits: %d" % len(fanned))

    # Application messages: wrong epoch, malformed, plain body (araw is an occupant).
    m2 = await say(bob, room, [], "acked2")
    enc = await watcher.wait_for(lambda s: s.find("{%s}encrypted" % MLS) is not None, "bob's message")
    priv = b64d(enc.findtext("{%s}encrypted" % MLS))

    async def app_refused(payload, cond, app, what):
        i = new_id("app")
        araw.raw("<message type='groupchat' to='%s' id='%s'>%s<body>%s</body></message>" % (
            room, i, payload, FALLBACK_BODY))
        e = await araw.wait_for(lambda s: s.get("id") == i and s.get("type") == "error", what)
        got_cond, got_app = mls_error(e)
        check(got_cond == cond, "%s: <%s/> expected, got %s %s" % (what, cond, got_cond, got_app))
        if app:
            check(app in got_app, "%s: <%s/> expected: %s" % (what, app, got_app))
        return got_app

    got = await app_refused("<encrypted xmlns='%s'>%s</encrypted>" % (MLS, b64e(with_epoch(priv, epoch + 1))),
                            "not-acceptable", "wrong-epoch", "application message of a future epoch")
    check(got["wrong-epoch"].get("current") == str(epoch), "current epoch named: %s" % got)
    await app_refused("<encrypted xmlns='%s'>%s</encrypted>" % (MLS, b64e(os.urandom(64))),
                      "bad-request", None, "random bytes as application message")
    i = new_id("plain")
    araw.raw("<message type='groupchat' to='%s' id='%s'><body>plain</body></message>" % (room, i))
    e = await araw.wait_for(lambda s: s.get("id") == i and s.get("type") == "error", "plain refused")
    check(error_condition(e) == "not-acceptable", "plain body: %s" % error_condition(e))

    # Key packages: garbage, someone else's, flood.
    kp = "<key-packages xmlns='%s'><key-package>%s</key-package></key-packages>"
    r = await mallory.iq("mls.localhost", "set", kp % (MLS, b64e(os.urandom(100))))
    c, a = mls_error(r)
    check(c == "bad-request" and "invalid-key-package" in a, "garbage key package: %s %s" % (c, a))
    r = await mallory.iq("mls.localhost", "get", "<claim xmlns='%s' jid='%s'/>" % (MLS, bob.jid))
    check(r.get("type") == "result", "mallory may claim bob's key package: %s" % (mls_error(r),))
    bobs = r.findtext("{%s}key-packages/{%s}key-package" % (MLS, MLS))
    r = await mallory.iq("mls.localhost", "set", kp % (MLS, bobs))
    c, a = mls_error(r)
    check(c == "bad-request" and "invalid-key-package" in a, "bob's key package uploaded by mallory: %s %s" % (c, a))
    r = await mallory.iq("mls.localhost", "get", "<key-packages xmlns='%s'/>" % MLS)
    check(r.get("type") == "result" and r.find("{%s}key-packages" % MLS).get("count") == "0",
          "nothing stored for mallory")
    frank = await w.script("frank")
    before = (await frank.ok("count"))["count"]
    a = await frank.request("publish", count=150)
    check(a.get("ok") is False and a.get("condition") == "resource-constraint",
          "a flood of 150 key packages is refused: %s" % a)
    after = (await frank.ok("count"))["count"]
    check(after == before, "all or nothing: %d before, %d after" % (before, after))
    # KP-9 (docs/protocol.md §6.3): a package lasting a year is beyond mls.max_key_package_lifetime
    # (91 days) and refused, storing nothing; the client's own 7 days passed for every client here.
    a = await frank.request("publish", count=1, lifetime=365 * 86400)
    check(a.get("ok") is False and a.get("condition") == "bad-request" and
          a.get("app_condition") == "invalid-key-package" and "lifetime too long" in a.get("text", ""),
          "a key package lasting a year is refused: %s" % a)
    after = (await frank.ok("count"))["count"]
    check(after == before, "nothing stored for the year-long package: %d before, %d after" % (before, after))

    # Claim flood: mallory drains frank's packages; the service rate-limits it (policy-violation,
    # type wait) before long, and never hands out the last-resort package's slot to nobody.
    limited = None
    for n in range(400):
        r = await mallory.iq("mls.localhost", "get", "<claim xmlns='%s' jid='%s'/>" % (MLS, frank.jid))
        if r.get("type") == "error":
            limited = (n, mls_error(r)[0])
            break
    check(limited is not None and limited[1] == "policy-violation",
          "a claim flood is rate-limited: %s" % (limited,))
    c = await frank.ok("count")
    check(c["last_resort"] is True, "frank keeps his last-resort package after the flood: %s" % c)

    # The archive still holds what was acknowledged before, in order, and each commit once.
    qid = new_id("q")
    r = await araw.iq(room, "set", "<query xmlns='urn:xmpp:mam:2' queryid='%s'/>" % qid)
    check(r.get("type") == "result", "MAM query: %s" % error_condition(r))
    res = araw.take_all(lambda s: s.find("{urn:xmpp:mam:2}result") is not None)
    kinds = []
    for s in res:
        inner = s.find("{urn:xmpp:mam:2}result/{urn:xmpp:forward:0}forwarded/" + C + "message")
        cm = inner.find("{%s}commit" % MLS)
        if cm is not None:
            kinds.append("commit@" + cm.get("epoch"))
        elif inner.find("{%s}encrypted" % MLS) is not None:
            kinds.append("encrypted")
    check(kinds == ["commit@0", "encrypted", "commit@1", "encrypted"],
          "archive: invite commit, alice's message, the accepted commit, bob's message: %s" % kinds)
    del m1, m2


# ---------------------------------------------------------------------------------------------

def check_no_plaintext(w, markers, extra_paths=(), db_prefix=None):
    check(markers, "markers were sent (nothing to look for otherwise)")
    blobs = dump_databases(w.pg, db_prefix or w.db)
    check(blobs, "found the test database(s) to dump")
    blobs.update(files_under([os.path.join(w.base)] + list(extra_paths)))
    blobs = {k: v for k, v in blobs.items()
             if "/state-" not in k and "/client-" not in k and not k.endswith("markers-%s.txt" % w.server)}
    found = leaks(markers, blobs)
    check(not found, "plaintext found: %s" % found[:10])
    return len(blobs)


async def scenario_no_plaintext(w):
    """After all scenarios of this server: no marker in any e2e database, conclave log, wire
    recording or XMPP server log."""
    path = os.path.join(w.base, "markers-%s.txt" % w.server)
    check(os.path.exists(path), "markers of earlier scenarios in " + path)
    markers = [m for m in open(path).read().split() if m]
    check(len(markers) >= 10, "at least 10 markers sent by the scenarios: %d" % len(markers))
    server_logs = [os.path.join(w.rundir, "prosody")] if w.server == "prosody" else \
        [os.path.join(w.rundir, "ejabberd", "logs")]
    check(any(os.path.exists(p) for p in server_logs), "server logs at %s" % server_logs)
    n = check_no_plaintext(w, markers, server_logs, "e2e_%s_" % w.server)
    print("no_plaintext: %d markers, %d places searched" % (len(markers), n))


SCENARIOS = {
    "talk_remove": scenario_talk_remove,
    "room_outlives": scenario_room_outlives,
    "offline_catchup": scenario_offline_catchup,
    "commit_race": scenario_commit_race,
    "external_join": scenario_external_join,
    "resync": scenario_resync,
    "fallback": scenario_fallback,
    "bad_input": scenario_bad_input,
    "welcome_no_tree": scenario_welcome_no_tree,
    "ban_remove": scenario_ban_remove,
    "tree_limit": scenario_tree_limit,
    "devices": scenario_devices,
    "devices_offline": scenario_devices_offline,
    "retire_device": scenario_retire_device,
    "stale_packages": scenario_stale_packages,
    "dead_leaf_online": scenario_dead_leaf_online,
    "refresh_packages": scenario_refresh_packages,
    "no_plaintext": scenario_no_plaintext,
}

# conclave.conf additions of a scenario.
EXTRA_CONF = {
    "tree_limit": "[mls]\nmax_tree_leaves = 2\n",
}


async def run(w):
    if w.scenario == "no_plaintext":
        await scenario_no_plaintext(w)
        return
    w.extra_conf = EXTRA_CONF.get(w.scenario, "")
    w.setup()
    w.start_conclave()
    try:
        await asyncio.wait_for(SCENARIOS[w.scenario](w), SCENARIO_TIMEOUT)
    finally:
        await w.close()
        w.stop_conclave()
    check_no_plaintext(w, w.markers, [w.tmp])


def main():
    return scenario_main(__doc__, E2EWorld, SCENARIOS, run, nargs=4)


if __name__ == "__main__":
    sys.exit(main())
