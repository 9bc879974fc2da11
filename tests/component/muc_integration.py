#!/usr/bin/python3
"""Integration scenarios: the real `conclave` binary attached to a real Prosody or ejabberd
(started by tests/harness/with-servers.sh), with a real PostgreSQL, driven by slixmpp clients.

usage: muc_integration.py CONCLAVE_BINARY SERVER SCENARIO
  SERVER: prosody | ejabberd;  SCENARIO: one of SCENARIOS below.
Needs CONCLAVE_TEST_PG, CONCLAVE_TEST_RUNDIR, CONCLAVE_TEST_<SERVER>_C2S and _COMPONENT; without
them the test FAILS (a misconfigured run must not pass by skipping).
Imports conclave_test (tests/pylib): ctest sets PYTHONPATH; by hand, PYTHONPATH=tests/pylib.
"""
import asyncio
import re
import sys

from conclave_test.muc_client import (C, MUC_USER, check, codes, error_condition, new_id,
                                      scenario_main)
from conclave_test.muc_world import (SERVICE, World, create_instant, expect_groupchat, fetch_mam,
                                     is_presence_from, say)


# ---------------------------------------------------------------------------------------------
# Scenarios.

async def scenario_basic(w):
    """Create, configure, disco, join order, chat, private message, nick change, self-ping, leave."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("basic")
    await create_instant(alice, room, "Alice", {"muc#roomconfig_roomname": "Basic"})

    info = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    feats = {f.get("var") for f in info.iter("{http://jabber.org/protocol/disco#info}feature")}
    for f in ("http://jabber.org/protocol/muc", "muc_open", "muc_semianonymous", "muc_temporary",
              "muc_unmoderated", "muc_unsecured", "muc_public", "urn:xmpp:mam:2", "urn:xmpp:occupant-id:0",
              "http://jabber.org/protocol/muc#stable_id", "http://jabber.org/protocol/muc#self-ping-optimization"):
        check(f in feats, "room feature " + f)
    check(any(x.get("type") == "result" for x in info.iter("{jabber:x:data}x")), "muc#roominfo form")
    items = await bob.iq(SERVICE, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>")
    check(any(i.get("jid") == room for i in items.iter("{http://jabber.org/protocol/disco#items}item")),
          "the service lists the public room")
    sinfo = await bob.iq(SERVICE, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    ident = sinfo.find("{http://jabber.org/protocol/disco#info}query/{http://jabber.org/protocol/disco#info}identity")
    check(ident is not None and ident.get("category") == "conference" and ident.get("type") == "text",
          "service identity conference/text")

    mid = await say(alice, room, "before bob")
    await expect_groupchat(alice, room, "Alice", "before bob", mid)

    seq = await bob.join_sequence(room + "/Bob")
    kinds = []
    for s in seq:
        if s.tag == C + "presence":
            kinds.append("self" if 110 in codes(s) else "other:" + s.get("from").split("/")[1])
        elif s.find(C + "subject") is not None:
            kinds.append("subject")
        elif s.find(C + "body") is not None:
            kinds.append("history")
    check(kinds == ["other:Alice", "self", "history", "subject"], "join order: %s" % kinds)
    check(seq[2].find("{urn:xmpp:delay}delay") is not None, "history carries a delay")
    await alice.wait_for(is_presence_from(room + "/Bob"), "Bob's arrival")

    mid = await say(bob, room, "hello")
    await expect_groupchat(alice, room, "Bob", "hello")
    await expect_groupchat(bob, room, "Bob", "hello", mid)

    # A client-sent stanza-id claiming to be the room's is stripped (XEP-0359 §5).
    bob.raw("<message type='groupchat' to='%s' id='forge'><body>forged</body>"
            "<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='fake'/></message>" % (room, room))
    m = await expect_groupchat(alice, room, "Bob", "forged")
    check(m.find("{urn:xmpp:sid:0}stanza-id").get("id") != "fake", "forged stanza-id stripped")

    # Private message.
    alice.raw("<message type='chat' to='%s/Bob' id='pm1'><body>psst</body></message>" % room)
    pm = await bob.wait_for(lambda s: s.tag == C + "message" and s.findtext(C + "body") == "psst", "PM")
    check(pm.get("from") == room + "/Alice", "PM from the occupant JID")

    # Self-ping (XEP-0410): joined answers result, not joined answers not-acceptable.
    r = await bob.iq(room + "/Bob", "get", "<ping xmlns='urn:xmpp:ping'/>")
    check(r.get("type") == "result", "self-ping while joined")
    carol = await w.client("carol")
    r = await carol.iq(room + "/Carol", "get", "<ping xmlns='urn:xmpp:ping'/>")
    check(error_condition(r) == "not-acceptable", "self-ping when not joined: %s" % error_condition(r))
    # Non-occupant groupchat is refused.
    carol.raw("<message type='groupchat' to='%s' id='x1'><body>intruder</body></message>" % room)
    e = await carol.wait_for(lambda s: s.get("id") == "x1", "error for non-occupant message")
    check(error_condition(e) == "not-acceptable", "non-occupant message: not-acceptable")

    # Nick conflict, then nick change.
    carol_seq = await carol.join_sequence(room + "/Bob")
    check(carol_seq[-1].get("type") == "error" and error_condition(carol_seq[-1]) == "conflict",
          "nick in use: conflict")
    bob.raw("<presence to='%s/Robert'/>" % room)
    u = await alice.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and s.get("type") == "unavailable",
                             "nick change unavailable")
    check(303 in codes(u) and u.find(MUC_USER + "x/" + MUC_USER + "item").get("nick") == "Robert", "303 + new nick")
    await alice.wait_for(is_presence_from(room + "/Robert"), "presence under the new nick")

    # Leave.
    bob.raw("<presence type='unavailable' to='%s/Robert'/>" % room)
    await alice.wait_for(lambda s: is_presence_from(room + "/Robert")(s) and s.get("type") == "unavailable",
                         "Bob left")
    await bob.wait_for(lambda s: is_presence_from(room + "/Robert")(s) and 110 in codes(s), "own leave")


async def scenario_members_only(w):
    """Members-only refusal, mediated invitation (grants membership), direct invitation, password."""
    alice, bob, carol = await w.client("alice"), await w.client("bob"), await w.client("carol")
    room = w.room("private")
    await create_instant(alice, room, "Alice", {"muc#roomconfig_membersonly": "1",
                                                "muc#roomconfig_whois": "anyone"})
    seq = await bob.join_sequence(room + "/Bob")
    check(error_condition(seq[-1]) == "registration-required", "members-only refusal")

    alice.raw("<message to='%s'><x xmlns='http://jabber.org/protocol/muc#user'>"
              "<invite to='bob@localhost'><reason>join us</reason></invite></x></message>" % room)
    inv = await bob.wait_for(lambda s: s.tag == C + "message" and s.find(MUC_USER + "x/" + MUC_USER + "invite") is not None,
                             "mediated invitation")
    check(inv.get("from") == room, "invitation comes from the room")
    seq = await bob.join_sequence(room + "/Bob")
    me = [s for s in seq if 110 in codes(s)]
    check(me and 100 in codes(me[0]), "joined after the invitation (non-anonymous: 100)")
    lst = await alice.iq(room, "get", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query>")
    check(any(i.get("jid") == "bob@localhost" for i in lst.iter("{http://jabber.org/protocol/muc#admin}item")),
          "the invitee is a member")

    # Direct invitation (XEP-0249) goes client to client; the invitee then joins an open room.
    open_room = w.room("pw")
    await create_instant(alice, open_room, "Alice", {"muc#roomconfig_passwordprotectedroom": "1",
                                                     "muc#roomconfig_roomsecret": "s3cret"})
    alice.raw("<message to='carol@localhost/it'><x xmlns='jabber:x:conference' jid='%s' password='s3cret'/></message>"
              % open_room)
    d = await carol.wait_for(lambda s: s.find("{jabber:x:conference}x") is not None, "direct invitation")
    check(d.find("{jabber:x:conference}x").get("jid") == open_room, "direct invitation names the room")
    seq = await carol.join_sequence(open_room + "/Carol", extra="<password>wrong</password>")
    check(error_condition(seq[-1]) == "not-authorized", "wrong password: not-authorized")
    seq = await carol.join_sequence(open_room + "/Carol", extra="<password>s3cret</password>")
    check(any(110 in codes(s) for s in seq), "right password: joined")


async def scenario_ban_kick(w):
    """Kick (307), ban (301) and refusal of an outcast (forbidden)."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("mod")
    await create_instant(alice, room, "Alice")
    await bob.join_sequence(room + "/Bob")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item nick='Bob' role='none'><reason>calm down</reason></item></query>")
    check(r.get("type") == "result", "kick accepted")
    k = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and s.get("type") == "unavailable", "kicked")
    check({110, 307} <= codes(k), "kick codes 110+307: %s" % codes(k))
    await bob.join_sequence(room + "/Bob")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item jid='bob@localhost' affiliation='outcast'/></query>")
    check(r.get("type") == "result", "ban accepted")
    b = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and s.get("type") == "unavailable", "banned")
    check(301 in codes(b), "ban code 301")
    seq = await bob.join_sequence(room + "/Bob")
    check(error_condition(seq[-1]) == "forbidden", "outcast refused: forbidden")
    # A participant cannot kick the owner.
    r = await bob.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                     "<item nick='Alice' role='none'/></query>")
    check(r.get("type") == "error", "non-moderator kick refused")


async def scenario_mam(w):
    """Archive 7 messages, page through them 3 at a time (RSM after), and read the last page."""
    alice = await w.client("alice")
    room = w.room("mam")
    await create_instant(alice, room, "Alice")
    for i in range(7):
        await say(alice, room, "m%d" % i)
        await expect_groupchat(alice, room, "Alice", "m%d" % i)
    got, after = [], ""
    for _ in range(5):
        bodies, first, last, complete = await fetch_mam(alice, room, "<max>3</max>%s" % after)
        got += bodies
        if complete:
            break
        after = "<after>%s</after>" % last
    check(got == ["m%d" % i for i in range(7)], "paged archive in order: %s" % got)
    bodies, first, last, complete = await fetch_mam(alice, room, "<max>2</max><before/>")
    check(bodies == ["m5", "m6"], "last page: %s" % bodies)
    bodies, _, _, _ = await fetch_mam(alice, room, "<max>2</max><before>%s</before>" % first)
    check(bodies == ["m3", "m4"], "page before: %s" % bodies)


async def scenario_destroy(w):
    """The owner destroys the room; occupants learn it; the room is gone."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("doomed")
    await create_instant(alice, room, "Alice")
    await bob.join_sequence(room + "/Bob")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                       "<destroy jid='%s'><reason>bye</reason><password>pw</password></destroy></query>"
                       % w.room("elsewhere"))
    check(r.get("type") == "result", "destroy accepted")
    u = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and s.get("type") == "unavailable", "destroyed")
    d = u.find(MUC_USER + "x/" + MUC_USER + "destroy")
    check(d is not None, "destroy element in the presence")
    # §10.9: alternate venue, its password and the reason; the item as in the XEP's example.
    check(d.get("jid") == w.room("elsewhere") and d.findtext(MUC_USER + "reason") == "bye" and
          d.findtext(MUC_USER + "password") == "pw", "destroy carries venue, reason, password")
    item = u.find(MUC_USER + "x/" + MUC_USER + "item")
    check(item.get("affiliation") == "none" and item.get("role") == "none",
          "destroy item affiliation/role none: %s" % item.attrib)
    info = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(error_condition(info) == "item-not-found", "destroyed room: item-not-found")


def item_of(stanza):
    return stanza.find(MUC_USER + "x/" + MUC_USER + "item")


def error_text(stanza):
    return stanza.findtext(C + "error/{urn:ietf:params:xml:ns:xmpp-stanzas}text") or ""


async def scenario_client_view(w):
    """What Gajim, profanity and poezio showed differently from Prosody's own MUC (issue 15
    part 5), each stanza checked against the text of XEP-0045 (or the XEP named)."""
    alice, bob, carol = await w.client("alice"), await w.client("bob"), await w.client("carol")
    room = w.room("view")

    # §10.2.1: the first configuration (it unlocks the room) is announced with 104, as later
    # ones are: a message from the room with only the status.
    seq = await alice.join_sequence(room + "/Alice")
    check(any(201 in codes(s) for s in seq), "201 on creation")
    # §7.2.12 / §14.3: no 170 (publicly logged room) in the self-presence; the MAM archive is
    # for occupants (Gajim showed 170 instead of "You joined").
    check(all(170 not in codes(s) for s in seq), "no 170 on creation: %s" % [sorted(codes(s)) for s in seq])
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                       "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
                       "http://jabber.org/protocol/muc#roomconfig</value></field>"
                       "<field var='muc#roomconfig_roomname'><value>View</value></field>"
                       "<field var='muc#roomconfig_lang'><value>en</value></field></x></query>")
    check(r.get("type") == "result", "first configuration accepted")
    m = await alice.wait_for(lambda s: s.tag == C + "message" and s.get("from") == room and 104 in codes(s),
                             "104 after the first configuration")
    check(m.get("type") == "groupchat" and m.find(C + "body") is None, "104 is a bodiless groupchat message")

    # §6.4 / §16.5.4: who may change the subject, under the registry's name too.
    info = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    fvars = {f.get("var") for f in info.iter("{jabber:x:data}field")}
    check({"muc#roominfo_subjectmod", "muc#roominfo_changesubject"} <= fvars, "roominfo fields: %s" % fvars)
    # §16.5.4: the language the owner set (muc#roomconfig_lang, §16.5.3) is in the roominfo form.
    check(roominfo(info, "muc#roominfo_lang") == "en",
          "muc#roominfo_lang: %r" % roominfo(info, "muc#roominfo_lang"))

    # XEP-0313: the service lists MAM, as every room has an archive.
    sinfo = await bob.iq(SERVICE, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    feats = {f.get("var") for f in sinfo.iter("{http://jabber.org/protocol/disco#info}feature")}
    check("urn:xmpp:mam:2" in feats, "the service lists urn:xmpp:mam:2: %s" % sorted(feats))

    # §17.1: empty or invisible nicknames are refused, on entry and on a nick change, with
    # §7.2.1's <jid-malformed/> (the text shows the refusal is Conclave's, not the server's).
    for nick in (" ", "   ", "\u2800", "\u3164"):  # those resourceprep keeps (U+3164: as U+1160)
        seq = await bob.join_sequence(room + "/" + nick)
        check(seq[-1].get("type") == "error" and error_condition(seq[-1]) == "jid-malformed" and
              "Invisible" in error_text(seq[-1]),
              "invisible nick %r: %s %s" % (nick, error_condition(seq[-1]), error_text(seq[-1])))
        check(seq[-1].find(C + "error").get("by") == room, "the error names the room in 'by' (§7.2 examples)")
    seq = await bob.join_sequence(room + "/Bob")
    self_presence = [s for s in seq if 110 in codes(s)]
    check(len(self_presence) == 1 and codes(self_presence[0]) == {110},
          "Bob's self-presence has 110 only (no 170): %s" % [sorted(codes(s)) for s in seq])
    await alice.wait_for(is_presence_from(room + "/Bob"), "Bob's arrival")
    bob.raw("<presence to='%s/ ' id='nc1'/>" % room)
    e = await bob.wait_for(lambda s: s.tag == C + "presence" and s.get("id") == "nc1", "nick change error")
    check(e.get("type") == "error" and error_condition(e) == "jid-malformed",
          "nick change to an invisible nick: %s" % error_condition(e))

    # §7.2.15: the subject on join carries <delay/> from the room with the time it was set.
    alice.raw("<message type='groupchat' to='%s' id='subj1'><subject>Plans</subject></message>" % room)
    await bob.wait_for(lambda s: s.tag == C + "message" and s.findtext(C + "subject") == "Plans", "subject change")
    seq = await carol.join_sequence(room + "/Carol")
    subj = seq[-1]
    check(subj.findtext(C + "subject") == "Plans", "the subject ends the join")
    d = subj.find("{urn:xmpp:delay}delay")
    check(d is not None and d.get("from") == room and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", d.get("stamp", "")),
          "the subject carries <delay from=room stamp=...>: %s" % (None if d is None else d.attrib))
    await alice.wait_for(is_presence_from(room + "/Carol"), "Carol's arrival")
    await bob.wait_for(is_presence_from(room + "/Carol"), "Carol's arrival (Bob)")

    # §7.14 / §7.2.4: Carol leaves; Alice (a moderator) sees her real JID, Bob (a participant in
    # a semi-anonymous room) does not.
    carol.raw("<presence type='unavailable' to='%s/Carol'/>" % room)
    gone = lambda s: is_presence_from(room + "/Carol")(s) and s.get("type") == "unavailable"
    u = await alice.wait_for(gone, "Carol's leave (Alice)")
    check(item_of(u).get("jid") == str(carol.boundjid.full), "moderator sees the leaver's JID: %s" % item_of(u).attrib)
    u = await bob.wait_for(gone, "Carol's leave (Bob)")
    check(item_of(u).get("jid") is None, "participant does not: %s" % item_of(u).attrib)

    # §8.2: a kick names the actor (by nickname; no real JID for a participant).
    await carol.join_sequence(room + "/Carol")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item nick='Carol' role='none'><reason>out</reason></item></query>")
    check(r.get("type") == "result", "kick accepted")
    k = await carol.wait_for(gone, "kicked")
    a = item_of(k).find(MUC_USER + "actor")
    check({110, 307} <= codes(k) and a is not None and a.get("nick") == "Alice" and a.get("jid") is None,
          "kick: 110+307 and <actor nick='Alice'/>: %s %s" % (codes(k), None if a is None else a.attrib))
    check(item_of(k).findtext(MUC_USER + "reason") == "out", "kick reason")
    k = await bob.wait_for(gone, "Carol kicked (Bob)")
    check(item_of(k).find(MUC_USER + "actor") is not None, "others see the actor too")

    # §9.1: a ban names the actor.
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item affiliation='outcast' jid='bob@localhost'/></query>")
    check(r.get("type") == "result", "ban accepted")
    b = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and s.get("type") == "unavailable", "banned")
    a = item_of(b).find(MUC_USER + "actor")
    check(301 in codes(b) and a is not None and a.get("nick") == "Alice",
          "ban: 301 and <actor nick='Alice'/>: %s" % (None if a is None else a.attrib))
    b = await alice.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and s.get("type") == "unavailable",
                             "Bob banned (Alice)")
    a = item_of(b).find(MUC_USER + "actor")
    check(a is not None and a.get("jid") == "alice@localhost" and item_of(b).get("jid", "").startswith("bob@localhost"),
          "a moderator sees the actor's and the banned user's JIDs: %s" % (None if a is None else a.attrib))

    # §10.1.3: an owner who leaves a new room before configuring it destroys it, told by <destroy/>.
    left = w.room("abandoned")
    await carol.join_sequence(left + "/Carol")
    carol.raw("<presence type='unavailable' to='%s/Carol'/>" % left)
    u = await carol.wait_for(lambda s: is_presence_from(left + "/Carol")(s) and s.get("type") == "unavailable",
                             "leaving the unconfigured room")
    check(110 in codes(u) and u.find(MUC_USER + "x/" + MUC_USER + "destroy") is not None,
          "the unconfigured room is destroyed: %s" % codes(u))
    info = await bob.iq(left, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(error_condition(info) == "item-not-found", "the abandoned room is gone")


def roominfo(info, var):
    """The value of `var` in the muc#roominfo form of a disco#info answer, or None."""
    for f in info.iter("{jabber:x:data}field"):
        if f.get("var") == var:
            return f.findtext("{jabber:x:data}value")
    return None


MODE = "{urn:xmpp:mls:0}mode"


async def configure(client, room, fields):
    xml = "".join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items())
    return await client.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                           "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
                           "http://jabber.org/protocol/muc#roomconfig</value></field>%s</x></query>" % xml)


async def scenario_persistence(w):
    """A persistent members-only room with history survives a restart of conclave; so do the
    encrypted room mode its owner chose (docs/protocol.md §6.5) and its language (XEP-0045
    §16.5.3 muc#roomconfig_lang)."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("durable")
    await create_instant(alice, room, "Alice", {"muc#roomconfig_persistentroom": "1",
                                                "muc#roomconfig_membersonly": "1",
                                                "muc#roomconfig_roomname": "Durable",
                                                "muc#roomconfig_lang": "fr"})
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item jid='bob@localhost' affiliation='member'/></query>")
    check(r.get("type") == "result", "member added")
    await say(alice, room, "remember me")
    await expect_groupchat(alice, room, "Alice", "remember me")
    disco = "<query xmlns='http://jabber.org/protocol/disco#info'/>"
    info = await bob.iq(room, "get", disco)
    check(roominfo(info, MODE) == "group_chat", "a members-only room is a private group chat: %s"
          % roominfo(info, MODE))
    form = await alice.iq(room, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>")
    check(any(f.get("var") == MODE for f in form.iter("{jabber:x:data}field")),
          "the mode is in the owner's form")
    r = await configure(alice, room, {MODE: "anarchy"})
    check(r.get("type") == "error", "an unknown mode is refused")
    check(roominfo(await bob.iq(room, "get", disco), MODE) == "group_chat", "and changes nothing")
    r = await configure(alice, room, {MODE: "chat_room"})
    check(r.get("type") == "result", "the owner chooses chat_room: %s" % error_condition(r))
    check(roominfo(await bob.iq(room, "get", disco), MODE) == "chat_room", "disco shows it")

    w.stop_conclave()
    u = await alice.wait_for(lambda s: is_presence_from(room + "/Alice")(s) and s.get("type") == "unavailable",
                             "shutdown presence")
    check({110, 332} <= codes(u), "shutdown status 332: %s" % codes(u))
    w.start_conclave()

    info = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(info.get("type") == "result", "room exists after restart: %s" % error_condition(info))
    feats = {f.get("var") for f in info.iter("{http://jabber.org/protocol/disco#info}feature")}
    check("muc_persistent" in feats and "muc_membersonly" in feats, "configuration survived")
    check(roominfo(info, MODE) == "chat_room", "the chosen mode survived: %s" % roominfo(info, MODE))
    check(roominfo(info, "muc#roominfo_lang") == "fr",
          "the language survived: %r" % roominfo(info, "muc#roominfo_lang"))
    seq = await bob.join_sequence(room + "/Bob")
    check(any(110 in codes(s) for s in seq), "member joins after restart")
    check(any(s.findtext(C + "body") == "remember me" for s in seq), "history survived")
    bodies, _, _, _ = await fetch_mam(bob, room, "<max>10</max>")
    check(bodies == ["remember me"], "archive survived: %s" % bodies)


async def scenario_reserved_moderated(w):
    """Reserved room (form fetched before unlocking), moderated: visitor refused, voice granted,
    subject change, real JIDs and occupant-ids."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("stage")
    seq = await alice.join_sequence(room + "/Alice")
    check(any(201 in codes(s) for s in seq), "201 on creation")
    form = await alice.iq(room, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>")
    fvars = {f.get("var") for f in form.iter("{jabber:x:data}field")}
    for v in ("muc#roomconfig_moderatedroom", "muc#roomconfig_whois", "muc#roomconfig_allowpm",
              "muc#roomconfig_persistentroom", "muc#roomconfig_membersonly"):
        check(v in fvars, "config form field " + v)
    locked = await bob.join_sequence(room + "/Bob")
    check(error_condition(locked[-1]) == "item-not-found", "locked reserved room refuses others")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                       "<x xmlns='jabber:x:data' type='submit'>"
                       "<field var='muc#roomconfig_moderatedroom'><value>1</value></field>"
                       "<field var='muc#roomconfig_whois'><value>anyone</value></field></x></query>")
    check(r.get("type") == "result", "reserved room configured")
    seq = await bob.join_sequence(room + "/Bob")
    me = [s for s in seq if 110 in codes(s)][0]
    item = me.find(MUC_USER + "x/" + MUC_USER + "item")
    check(item.get("role") == "visitor", "visitor in a moderated room: %s" % item.get("role"))
    check(100 in codes(me), "non-anonymous: 100")
    alice_seen = [s for s in seq if s.get("from") == room + "/Alice"][0]
    check(alice_seen.find(MUC_USER + "x/" + MUC_USER + "item").get("jid", "").startswith("alice@localhost"),
          "real JIDs visible in a non-anonymous room")
    bob.raw("<message type='groupchat' to='%s' id='v1'><body>can I?</body></message>" % room)
    e = await bob.wait_for(lambda s: s.get("id") == "v1" and s.get("type") == "error", "voice error")
    check(error_condition(e) == "forbidden", "visitor message: forbidden")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item nick='Bob' role='participant'/></query>")
    check(r.get("type") == "result", "voice granted")
    p = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and 110 in codes(s), "new role")
    check(p.find(MUC_USER + "x/" + MUC_USER + "item").get("role") == "participant", "participant now")
    m1 = await say(bob, room, "now I can")
    a = await expect_groupchat(alice, room, "Bob", "now I can")
    await say(bob, room, "twice")
    b = await expect_groupchat(alice, room, "Bob", "twice")
    oid = "{urn:xmpp:occupant-id:0}occupant-id"
    check(a.find(oid).get("id") == b.find(oid).get("id"), "occupant-id stable")
    alice.raw("<message type='groupchat' to='%s'><subject>Rules</subject></message>" % room)
    s = await bob.wait_for(lambda s: s.findtext(C + "subject") == "Rules", "subject change")
    check(s.get("from") == room + "/Alice", "subject from the moderator")
    del m1


REGISTER = "jabber:iq:register"
MUC_REQUEST = "http://jabber.org/protocol/muc#request"


async def scenario_register_nick(w):
    """XEP-0045 §7.10 registration: form, membership, reserved nick (conflict for others),
    §7.11 disco of the reserved nick."""
    alice, bob, carol = await w.client("alice"), await w.client("bob"), await w.client("carol")
    room = w.room("reg")
    await create_instant(alice, room, "Alice", {"muc#roomconfig_persistentroom": "1"})
    form = await bob.iq(room, "get", "<query xmlns='%s'/>" % REGISTER)
    check(form.get("type") == "result", "registration form: %s" % error_condition(form))
    # §17.1: no invisible nickname, reserved or not.
    r = await bob.iq(room, "set", "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                     "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                     "<field var='muc#register_roomnick'><value>\u3164</value></field></x></query>" % REGISTER)
    check(error_condition(r) == "not-acceptable", "invisible nick refused: %s" % error_condition(r))
    fvars = {f.get("var") for f in form.iter("{jabber:x:data}field")}
    check("muc#register_roomnick" in fvars, "form asks for the nick: %s" % fvars)
    r = await bob.iq(room, "set", "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                     "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                     "<field var='muc#register_roomnick'><value>Bobby</value></field></x></query>" % REGISTER)
    check(r.get("type") == "result", "registration accepted: %s" % error_condition(r))
    again = await bob.iq(room, "get", "<query xmlns='%s'/>" % REGISTER)
    check(again.find("{%s}query/{%s}registered" % (REGISTER, REGISTER)) is not None and
          again.findtext("{%s}query/{%s}username" % (REGISTER, REGISTER)) == "Bobby", "registered, username")
    nick = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>")
    ident = nick.find("{http://jabber.org/protocol/disco#info}query/{http://jabber.org/protocol/disco#info}identity")
    check(ident is not None and ident.get("name") == "Bobby", "reserved nick through disco")
    none = await carol.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>")
    check(none.get("type") == "result" and
          none.find("{http://jabber.org/protocol/disco#info}query/{http://jabber.org/protocol/disco#info}identity") is None,
          "no reserved nick: empty disco")
    lst = await alice.iq(room, "get", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query>")
    items = [i for i in lst.iter("{http://jabber.org/protocol/muc#admin}item") if i.get("jid") == "bob@localhost"]
    check(items and items[0].get("nick") == "Bobby", "registered user is a member with the nick")
    seq = await carol.join_sequence(room + "/Bobby")
    check(error_condition(seq[-1]) == "conflict", "reserved nick: conflict for another user")
    seq = await bob.join_sequence(room + "/Bobby")
    me = [s for s in seq if 110 in codes(s)]
    check(me and me[0].find(MUC_USER + "x/" + MUC_USER + "item").get("affiliation") == "member",
          "the registrant joins with the reserved nick as a member")


async def scenario_voice_request(w):
    """XEP-0045 §7.13/§8.6: a visitor requests voice, the moderator approves, the visitor speaks;
    then §8.4 revoke."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("voice")
    await create_instant(alice, room, "Alice", {"muc#roomconfig_moderatedroom": "1"})
    seq = await bob.join_sequence(room + "/Bob")
    me = [s for s in seq if 110 in codes(s)][0]
    check(me.find(MUC_USER + "x/" + MUC_USER + "item").get("role") == "visitor", "visitor")
    await alice.wait_for(is_presence_from(room + "/Bob"), "Bob's arrival")
    bob.raw("<message to='%s' id='vr1'><x xmlns='jabber:x:data' type='submit'>"
            "<field var='FORM_TYPE'><value>%s</value></field>"
            "<field var='muc#role' type='list-single'><value>participant</value></field></x></message>"
            % (room, MUC_REQUEST))
    req = await alice.wait_for(lambda s: s.tag == C + "message" and s.find("{jabber:x:data}x") is not None,
                               "approval form")
    fields = {f.get("var"): f.findtext("{jabber:x:data}value") for f in req.iter("{jabber:x:data}field")}
    check(fields.get("FORM_TYPE") == MUC_REQUEST and fields.get("muc#roomnick") == "Bob", "approval form: %s" % fields)
    alice.raw("<message to='%s' id='va1'><x xmlns='jabber:x:data' type='submit'>"
              "<field var='FORM_TYPE'><value>%s</value></field>"
              "<field var='muc#role'><value>participant</value></field>"
              "<field var='muc#jid'><value>%s</value></field>"
              "<field var='muc#roomnick'><value>Bob</value></field>"
              "<field var='muc#request_allow'><value>true</value></field></x></message>"
              % (room, MUC_REQUEST, fields.get("muc#jid")))
    p = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and 110 in codes(s), "voice granted")
    check(p.find(MUC_USER + "x/" + MUC_USER + "item").get("role") == "participant", "participant after approval")
    await say(bob, room, "thanks")
    await expect_groupchat(alice, room, "Bob", "thanks")
    r = await alice.iq(room, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item nick='Bob' role='visitor'/></query>")
    check(r.get("type") == "result", "voice revoked")
    p = await bob.wait_for(lambda s: is_presence_from(room + "/Bob")(s) and 110 in codes(s) and
                           s.find(MUC_USER + "x/" + MUC_USER + "item").get("role") == "visitor", "voice revoked")
    bob.raw("<message type='groupchat' to='%s' id='v2'><body>again?</body></message>" % room)
    e = await bob.wait_for(lambda s: s.get("id") == "v2" and s.get("type") == "error", "voice error")
    check(error_condition(e) == "forbidden", "visitor again: forbidden")


async def scenario_moderation(w):
    """XEP-0425: a moderator retracts a message by stanza-id; occupants get the retraction; MAM
    holds a tombstone."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("retract")
    await create_instant(alice, room, "Alice")
    await bob.join_sequence(room + "/Bob")
    await say(bob, room, "spam spam")
    m = await expect_groupchat(alice, room, "Bob", "spam spam")
    await expect_groupchat(bob, room, "Bob", "spam spam")
    sid = m.find("{urn:xmpp:sid:0}stanza-id").get("id")
    r = await bob.iq(room, "set", "<moderate xmlns='urn:xmpp:message-moderate:1' id='%s'>"
                     "<retract xmlns='urn:xmpp:message-retract:1'/></moderate>" % sid)
    check(error_condition(r) == "forbidden", "a participant may not moderate: %s" % error_condition(r))
    r = await alice.iq(room, "set", "<moderate xmlns='urn:xmpp:message-moderate:1' id='%s'>"
                       "<retract xmlns='urn:xmpp:message-retract:1'/><reason>off topic</reason></moderate>" % sid)
    check(r.get("type") == "result", "retraction accepted: %s" % error_condition(r))
    n = await bob.wait_for(lambda s: s.tag == C + "message" and
                           s.find("{urn:xmpp:message-retract:1}retract") is not None, "retraction")
    rt = n.find("{urn:xmpp:message-retract:1}retract")
    check(rt.get("id") == sid, "retraction names the stanza-id")
    check(rt.find("{urn:xmpp:message-moderate:1}moderated").get("by") == room + "/Alice", "moderated by Alice")
    check(rt.findtext("{urn:xmpp:message-moderate:1}reason") == "off topic", "reason")
    qid = new_id("q")
    r = await bob.iq(room, "set", "<query xmlns='urn:xmpp:mam:2' queryid='%s'/>" % qid)
    check(r.get("type") == "result", "MAM query")
    results = bob.take_all(lambda s: s.tag == C + "message" and s.find("{urn:xmpp:mam:2}result") is not None)
    fwd = [s.find("{urn:xmpp:mam:2}result") for s in results]
    mine = [x for x in fwd if x.get("id") == sid]
    check(len(mine) == 1, "tombstone still in MAM under its id")
    inner = mine[0].find("{urn:xmpp:forward:0}forwarded/" + C + "message")
    check(inner.find(C + "body") is None, "tombstone has no body")
    check(inner.find("{urn:xmpp:message-retract:1}retracted") is not None, "tombstone <retracted/>")
    check(any(x.find("{urn:xmpp:forward:0}forwarded/" + C + "message/{urn:xmpp:message-retract:1}retract")
              is not None for x in fwd), "the retraction is archived too")
    r = await alice.iq(room, "set", "<moderate xmlns='urn:xmpp:message-moderate:1' id='nope'>"
                       "<retract xmlns='urn:xmpp:message-retract:1'/></moderate>")
    check(error_condition(r) == "item-not-found", "unknown id: item-not-found")


async def scenario_create_policy(w):
    """muc.create_rooms = admins: others get not-allowed on a first join, an admin creates, and
    then others may join the existing room."""
    alice, bob = await w.client("alice"), await w.client("bob")
    room = w.room("policy")
    seq = await bob.join_sequence(room + "/Bob")
    check(error_condition(seq[-1]) == "not-allowed", "creation refused: %s" % error_condition(seq[-1]))
    info = await bob.iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(error_condition(info) == "item-not-found", "no room was created")
    await create_instant(alice, room, "Alice")
    seq = await bob.join_sequence(room + "/Bob")
    check(any(110 in codes(s) for s in seq), "joining an existing room is not creating it")


CMDS = "http://jabber.org/protocol/commands"
XDATA = "{jabber:x:data}"
ADMIN_FORM = "urn:conclave:admin"


def command_xml(node, sessionid=None, action=None, fields=None):
    attrs = " node='%s'" % node
    if sessionid:
        attrs += " sessionid='%s'" % sessionid
    if action:
        attrs += " action='%s'" % action
    form = ""
    if fields is not None:
        form = "<x xmlns='jabber:x:data' type='submit'>%s</x>" % "".join(
            "<field var='%s'><value>%s</value></field>" % kv for kv in fields.items())
    return "<command xmlns='%s'%s>%s</command>" % (CMDS, attrs, form)


def form_values(reply):
    """{var: [values]} of the data form in a command reply."""
    x = reply.find("{%s}command/%sx" % (CMDS, XDATA))
    check(x is not None, "a data form in the command reply")
    return {f.get("var"): [v.text or "" for v in f.findall(XDATA + "value")]
            for f in x.findall(XDATA + "field")}


async def scenario_admin_commands(w):
    """XEP-0050 on the service JID: only service.admins see and run the commands; list rooms and
    statistics; destroy-room tells the occupants and the room stays gone after a restart."""
    alice, bob = await w.client("alice"), await w.client("bob")
    doomed, hidden = w.room("doomed"), w.room("hidden")
    await create_instant(alice, doomed, "Alice", {"muc#roomconfig_persistentroom": "1"})
    await create_instant(alice, hidden, "Alice", {"muc#roomconfig_persistentroom": "1",
                                                  "muc#roomconfig_publicroom": "0"})
    await bob.join_sequence(doomed + "/Bob")

    listing = "<query xmlns='http://jabber.org/protocol/disco#items' node='%s'/>" % CMDS
    r = await bob.iq(SERVICE, "get", listing)
    check(r.get("type") == "result" and not r.findall(".//{http://jabber.org/protocol/disco#items}item"),
          "a non-admin sees no commands")
    r = await bob.iq(SERVICE, "set", command_xml(ADMIN_FORM + ":list-rooms"))
    check(error_condition(r) == "forbidden", "a non-admin may not run one: %s" % error_condition(r))
    r = await alice.iq(SERVICE, "get", listing)
    nodes = sorted(i.get("node") for i in r.findall(".//{http://jabber.org/protocol/disco#items}item"))
    check(nodes == sorted(ADMIN_FORM + ":" + n
                          for n in ("list-rooms", "stats", "federated-rooms", "destroy-room")),
          "the admin sees the four commands: %s" % nodes)

    r = await alice.iq(SERVICE, "set", command_xml(ADMIN_FORM + ":list-rooms"))
    check(r.find("{%s}command" % CMDS).get("status") == "completed", "list-rooms completes at once")
    v = form_values(r)
    check(sorted(v["rooms"]) == sorted([doomed, hidden]), "every room, the hidden one too: %s" % v["rooms"])
    r = await alice.iq(SERVICE, "set", command_xml(ADMIN_FORM + ":stats"))
    v = form_values(r)
    check(v["rooms"] == ["2"] and v["persistent-rooms"] == ["2"] and v["occupants"] == ["3"],
          "statistics: %s" % v)

    r = await alice.iq(SERVICE, "set", command_xml(ADMIN_FORM + ":destroy-room"))
    cmd = r.find("{%s}command" % CMDS)
    check(cmd.get("status") == "executing", "destroy-room asks for the room first")
    check("roomjid" in form_values(r), "the form has a roomjid field")
    r = await alice.iq(SERVICE, "set", command_xml(
        ADMIN_FORM + ":destroy-room", cmd.get("sessionid"), "complete",
        {"FORM_TYPE": ADMIN_FORM, "roomjid": w.room("nope")}))
    check(error_condition(r) == "item-not-found", "an unknown room: item-not-found")
    r = await alice.iq(SERVICE, "set", command_xml(
        ADMIN_FORM + ":destroy-room", cmd.get("sessionid"), "complete",
        {"FORM_TYPE": ADMIN_FORM, "roomjid": doomed, "reason": "closed by the admins"}))
    check(r.get("type") == "result" and r.find("{%s}command" % CMDS).get("status") == "completed",
          "destroy-room completed: %s" % error_condition(r))
    u = await bob.wait_for(lambda s: is_presence_from(doomed + "/Bob")(s) and s.get("type") == "unavailable",
                           "destroyed")
    d = u.find(MUC_USER + "x/" + MUC_USER + "destroy")
    check(d is not None and d.findtext(MUC_USER + "reason") == "closed by the admins",
          "the occupant is told why")

    # The deletion reached PostgreSQL: after a restart only the other room comes back.
    w.stop_conclave()
    w.start_conclave()
    info = await bob.iq(doomed, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(error_condition(info) == "item-not-found", "the destroyed room stays gone")
    r = await alice.iq(SERVICE, "set", command_xml(ADMIN_FORM + ":list-rooms"))
    check(form_values(r)["rooms"] == [hidden], "after a restart: %s" % form_values(r)["rooms"])


EXTRA_CONF = {
    "create_policy": "[service]\nadmins = alice@localhost\n[muc]\ncreate_rooms = admins\n",
    "admin_commands": "[service]\nadmins = alice@localhost\n",
}


SCENARIOS = {
    "basic": scenario_basic,
    "members_only": scenario_members_only,
    "ban_kick": scenario_ban_kick,
    "mam": scenario_mam,
    "destroy": scenario_destroy,
    "persistence": scenario_persistence,
    "reserved_moderated": scenario_reserved_moderated,
    "register_nick": scenario_register_nick,
    "voice_request": scenario_voice_request,
    "moderation": scenario_moderation,
    "create_policy": scenario_create_policy,
    "admin_commands": scenario_admin_commands,
    "client_view": scenario_client_view,
}


async def run(w):
    w.extra_conf = EXTRA_CONF.get(w.scenario, "")
    w.setup()
    w.start_conclave()
    try:
        await asyncio.wait_for(SCENARIOS[w.scenario](w), 90)
    finally:
        await w.close()
        w.stop_conclave()


def main():
    return scenario_main(__doc__, World, SCENARIOS, run, nargs=3)


if __name__ == "__main__":
    sys.exit(main())
