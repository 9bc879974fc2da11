-- 0006: several devices per user (docs/protocol.md §6.1, §6.3, §6.4, §6.13, BR-13). Each key
-- package names the device that made it (the application_id of its leaf, RFC 9420 §5.3.3); a
-- claim returns one package per device; each device keeps its own last-resort package; the
-- account's devices are listed in mls_devices until retired; mls_members says which rooms'
-- groups hold a leaf of which identity and device, so a new device finds its rooms.

-- Packages stored before devices existed belong to the unnamed device ''.
ALTER TABLE mls_key_packages ADD COLUMN device text NOT NULL DEFAULT '';
DROP INDEX mls_key_packages_last_resort;
CREATE UNIQUE INDEX mls_key_packages_last_resort
  ON mls_key_packages (owner, device) WHERE last_resort;
CREATE INDEX mls_key_packages_device ON mls_key_packages (owner, device, id);

-- The devices of an account: registered by their first upload, removed when retired.
CREATE TABLE mls_devices (
  owner         text NOT NULL,                      -- bare JID
  device        text NOT NULL,                      -- application_id of its leaves
  registered_at timestamptz NOT NULL,
  last_upload   timestamptz NOT NULL,
  PRIMARY KEY (owner, device)
);
INSERT INTO mls_devices (owner, device, registered_at, last_upload)
  SELECT owner, device, min(uploaded_at), max(uploaded_at) FROM mls_key_packages
  GROUP BY owner, device;

-- Which leaf of which room's group names which identity and device, written with the tree rows
-- (create_group, accept_commit). Groups created before 0006 have no rows until a commit
-- rewrites their leaves.
CREATE TABLE mls_members (
  room       text NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
  leaf_index integer NOT NULL CHECK (leaf_index >= 0),
  identity   text NOT NULL,
  device     text NOT NULL,
  PRIMARY KEY (room, leaf_index)
);
CREATE INDEX mls_members_identity ON mls_members (identity, room);
