-- 0001: rooms, their affiliations and their archive (docs/architecture.md, Storage).
-- Forward-only: once applied anywhere, this file never changes (its checksum is recorded in
-- schema_migrations); later changes go into 0002_*.sql and up. The MLS delivery service's
-- tables (tree nodes, commit log, key packages) come with their own migrations.
--
-- JIDs are stored normalized (RFC 7622 / PRECIS) by the application, so plain text equality is
-- JID equality.

CREATE TABLE rooms (
  jid           text PRIMARY KEY,                 -- bare room JID, e.g. room1@mls.example.org
  mode          text NOT NULL CHECK (mode IN ('group_chat', 'chat_room')),
  persistent    boolean NOT NULL DEFAULT false,   -- muc#roomconfig_persistentroom
  config        jsonb NOT NULL DEFAULT '{}'::jsonb,  -- the other muc#roomconfig fields, by var
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- The room's MLS group (RFC 9420): all NULL until the first member creates it.
  mls_group_id  bytea UNIQUE,
  mls_epoch     bigint CHECK (mls_epoch >= 0),    -- uint64 epoch; never near 2^63 in practice
  mls_tree_hash bytea,                            -- tree hash of the root (RFC 9420 §7.8)
  CONSTRAINT rooms_mls_all_or_none CHECK (
    (mls_group_id IS NULL AND mls_epoch IS NULL AND mls_tree_hash IS NULL) OR
    (mls_group_id IS NOT NULL AND mls_epoch IS NOT NULL AND mls_tree_hash IS NOT NULL)),
  CONSTRAINT rooms_config_is_object CHECK (jsonb_typeof(config) = 'object')
);

-- XEP-0045 §5.2 affiliations. 'none' is the absence of a row.
CREATE TABLE room_affiliations (
  room        text NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
  jid         text NOT NULL,                      -- bare user JID
  affiliation text NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
  reason      text,
  nick        text,                               -- registered nickname (XEP-0045 §7.10)
  PRIMARY KEY (room, jid)
);
-- A registered nickname belongs to one user per room (XEP-0045 §7.10).
CREATE UNIQUE INDEX room_affiliations_nick ON room_affiliations (room, nick) WHERE nick IS NOT NULL;
-- All rooms of a user (account removal, a user's room list).
CREATE INDEX room_affiliations_jid ON room_affiliations (jid);

-- The room archive (XEP-0313 MAM): one row per archived message, in archive order.
CREATE TABLE room_archive (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- archive order
  room        text NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
  stanza_id   text NOT NULL,                      -- XEP-0359 <stanza-id by=room>, the MAM id
  ts          timestamptz NOT NULL DEFAULT now(),
  from_nick   text NOT NULL,                      -- occupant nickname at the time
  occupant_id text,                               -- XEP-0421, when the room assigns one
  from_jid    text,                               -- real JID of the sender (for moderators)
  stanza      text NOT NULL,                      -- the message as delivered, serialized XML
  CONSTRAINT room_archive_stanza_id UNIQUE (room, stanza_id)  -- also serves before/after-id
);
-- MAM paging: by id (RSM after/before) and by time (start/end), both within one room.
CREATE INDEX room_archive_room_id ON room_archive (room, id);
CREATE INDEX room_archive_room_ts ON room_archive (room, ts, id);
