#!/usr/bin/python3
"""Unit tests of the e2e building blocks (conclave_test.e2e_lib) that need no server (label
`unit`). Run with PYTHONPATH=tests/pylib (ctest sets it)."""
import struct
import unittest
import xml.etree.ElementTree as ET

from conclave_test.e2e_lib import (StanzaSplitter, TestFailure, flip_signature_byte,
                                   is_commit_iq, leaks, message_epoch, mls_error, parse_commit_iq,
                                   read_varint, with_epoch)


class SplitterTest(unittest.TestCase):
    def test_units_across_chunks(self):
        stream = ("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client'>"
                  "<iq type='set' id='a'><x a='1>2'><y/></x></iq> <presence/>"
                  "<message to='r'><body>a &lt; b</body></message></stream:stream>").encode()
        s = StanzaSplitter()
        units = []
        for i in range(0, len(stream), 7):
            units += s.feed(stream[i:i + 7])
        stanzas = [t for k, t in units if k == "stanza"]
        self.assertEqual(stanzas, ["<iq type='set' id='a'><x a='1>2'><y/></x></iq>", "<presence/>",
                                   "<message to='r'><body>a &lt; b</body></message>"])
        self.assertEqual("".join(t for _, t in units), stream.decode())

    def test_incomplete_is_held(self):
        s = StanzaSplitter()
        self.assertEqual(s.feed(b"<iq id='x'><commit"), [])
        self.assertEqual(s.feed(b" xmlns='urn:xmpp:mls:0'/></iq>"),
                         [("stanza", "<iq id='x'><commit xmlns='urn:xmpp:mls:0'/></iq>")])

    def test_utf8_split_inside_a_character(self):
        s = StanzaSplitter()
        data = "<message><body>é</body></message>".encode()
        cut = data.index(b"\xa9")
        self.assertEqual(s.feed(data[:cut]), [])
        self.assertEqual(s.feed(data[cut:]), [("stanza", data.decode())])


def public_commit(epoch):
    # version, wire_format=1, group_id<V>=4 bytes, epoch, some body, signature<V>(64),
    # confirmation_tag<V>(32), membership_tag<V>(32).
    return (struct.pack(">HH", 1, 1) + b"\x04gid!" + struct.pack(">Q", epoch) + b"body" * 5 +
            b"\x40" + bytes(64) + b"\x20" + bytes(32) + b"\x20" + bytes(32))


class BytesTest(unittest.TestCase):
    def test_varint(self):
        self.assertEqual(read_varint(b"\x25", 0), (0x25, 1))
        self.assertEqual(read_varint(b"\x40\x25", 0), (0x25, 2))
        self.assertEqual(read_varint(b"\x80\x00\x01\x00", 0), (256, 4))

    def test_epoch_rewrite(self):
        m = public_commit(7)
        self.assertEqual(message_epoch(m), 7)
        n = with_epoch(m, 9)
        self.assertEqual(message_epoch(n), 9)
        self.assertEqual(len(n), len(m))
        self.assertEqual([i for i in range(len(m)) if m[i] != n[i]], [4 + 5 + 7])

    def test_signature_flip_only_touches_the_signature(self):
        m = public_commit(1)
        f = flip_signature_byte(m)
        diff = [i for i in range(len(m)) if m[i] != f[i]]
        self.assertEqual(len(diff), 1)
        sig_start = len(m) - 66 - 64
        self.assertTrue(sig_start <= diff[0] < sig_start + 64)

    def test_signature_flip_checks_the_layout(self):
        with self.assertRaises(TestFailure):
            flip_signature_byte(public_commit(1)[:-1])


class StanzaTest(unittest.TestCase):
    def test_mls_error(self):
        e = ET.fromstring("<iq xmlns='jabber:client' type='error'><error type='cancel'>"
                          "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>x</text>"
                          "<wrong-epoch xmlns='urn:xmpp:mls:0' current='8'/></error></iq>")
        cond, app = mls_error(e)
        self.assertEqual(cond, "conflict")
        self.assertEqual(app["wrong-epoch"]["current"], "8")

    def test_commit_iq(self):
        iq = ("<iq type='set' id='1' to='r@mls.localhost'><commit xmlns='urn:xmpp:mls:0'>"
              "<message>AAA=</message><group-info>BBB=</group-info></commit></iq>")
        self.assertTrue(is_commit_iq(iq))
        self.assertFalse(is_commit_iq("<message><commit xmlns='urn:xmpp:mls:0'/></message>"))
        self.assertFalse(is_commit_iq(
            "<iq type='get'><commits xmlns='urn:xmpp:mls:0' since='2'/></iq>"))
        self.assertEqual(parse_commit_iq(iq), {"message": "AAA=", "welcome": None, "group_info": "BBB="})

    def test_leaks(self):
        self.assertEqual(leaks(["MARKx"], {"a": b"..MARKx..", "b": b"none"}), [("MARKx", "a")])
        self.assertEqual(leaks(["MARKx"], {"b": b"MARK"}), [])


if __name__ == "__main__":
    unittest.main()
