"""Conclave's Python test helpers, shared by every suite (tests/pylib/README.md).

muc_client: scripted slixmpp clients, stanza helpers, TestFailure/check, scenario_main.
muc_world:  World (conclave + database + clients of one scenario) and the MUC helpers.
e2e_lib:    E2EWorld, conclave-client script processes, the stanza proxy, MLS byte surgery.
"""
