-- 0002: the MLS delivery service (docs/protocol.md, docs/architecture.md Storage,
-- docs/sequencing.md §A): each room's group state, its public ratchet tree node by node, the
-- commit log (one commit per epoch), pending service proposals, the Welcome outbox, key
-- packages and the service's external-sender key. Implemented by db/pg_mls_store.cpp.
-- Forward-only: never edit once applied; later changes go into 0003_*.sql and up.

-- The group row is the room row: 0001 reserved mls_group_id/mls_epoch/mls_tree_hash on rooms;
-- this adds the rest of a public group view. The store sets all of them when it creates the
-- group; none may be set on a room without a group (0001's check covers the first three).
ALTER TABLE rooms
  ADD COLUMN mls_cipher_suite  integer CHECK (mls_cipher_suite BETWEEN 0 AND 65535),
  ADD COLUMN mls_group_info    bytea,     -- MLSMessage wrapping the GroupInfo of mls_epoch
  ADD COLUMN mls_group_context bytea,     -- serialized GroupContext of mls_epoch (RFC 9420 §8.1)
  ADD COLUMN mls_interim_hash  bytea,     -- interim transcript hash of mls_epoch (§8.2)
  ADD COLUMN mls_leaf_count    integer CHECK (mls_leaf_count > 0),
  ADD CONSTRAINT rooms_mls_state_needs_group CHECK (
    mls_group_id IS NOT NULL OR
    num_nonnulls(mls_cipher_suite, mls_group_info, mls_group_context, mls_interim_hash,
                 mls_leaf_count) = 0);

-- The public ratchet tree, one row per non-blank node (RFC 9420 Appendix C array index), so a
-- commit writes O(log N) rows; a blank node has no row.
CREATE TABLE mls_tree_nodes (
  room       text NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
  node_index integer NOT NULL CHECK (node_index >= 0),
  data       bytea NOT NULL,                -- the node as the public view serializes it
  PRIMARY KEY (room, node_index)
);

-- The commit log. The primary key is the safety invariant: one commit per (room, epoch)
-- (docs/sequencing.md §A.2), whatever the application does.
CREATE TABLE mls_commits (
  room        text NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
  epoch       bigint NOT NULL CHECK (epoch >= 0),  -- the epoch the commit was made in
  commit_hash bytea NOT NULL,                      -- SHA-256 of mls_message: re-send detection
  mls_message bytea NOT NULL,                      -- MLSMessage PublicMessage Commit
  welcome     bytea,                               -- MLSMessage Welcome, if it adds members
  group_info  bytea NOT NULL,                      -- GroupInfo of epoch + 1
  sender_jid  text NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room, epoch)
);

-- Proposals the service made as external sender (docs/protocol.md §6), until a commit of their
-- epoch is accepted (accept_commit deletes the room's rows).
CREATE TABLE mls_pending_proposals (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- order added
  room         text NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
  epoch        bigint NOT NULL CHECK (epoch >= 0),
  proposal_ref bytea NOT NULL,                     -- ProposalRef (RFC 9420 §5.2)
  mls_message  bytea NOT NULL,
  CONSTRAINT mls_pending_proposals_ref UNIQUE (room, epoch, proposal_ref)
);

-- Welcomes to send, written in the transaction that accepts their commit, so none leaves before
-- its commit is durable and none is lost by a crash (docs/sequencing.md §A.5). The Welcome
-- bytes stay in mls_commits: one copy however many members the commit adds.
CREATE TABLE mls_welcome_outbox (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stable_id text NOT NULL,                         -- stanza id, the same when re-sent
  room      text NOT NULL,
  epoch     bigint NOT NULL,                       -- the commit's epoch (joins epoch + 1)
  recipient text NOT NULL,                         -- bare JID
  sent_at   timestamptz,
  CONSTRAINT mls_welcome_outbox_stable_id UNIQUE (room, stable_id),
  FOREIGN KEY (room, epoch) REFERENCES mls_commits (room, epoch) ON DELETE CASCADE
);
CREATE INDEX mls_welcome_outbox_unsent ON mls_welcome_outbox (id) WHERE sent_at IS NULL;

-- Key packages (docs/protocol.md §4). JIDs are normalized by the application.
CREATE TABLE mls_key_packages (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- claim order: oldest first
  owner       text NOT NULL,                       -- bare JID
  ref         bytea NOT NULL,                      -- KeyPackageRef (RFC 9420 §5.2)
  key_package bytea NOT NULL,                      -- MLSMessage wrapping the KeyPackage
  last_resort boolean NOT NULL DEFAULT false,
  not_after   timestamptz NOT NULL,                -- lifetime end; expired rows are never claimed
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT mls_key_packages_ref UNIQUE (ref)
);
CREATE INDEX mls_key_packages_claim ON mls_key_packages (owner, id) WHERE NOT last_resort;
CREATE UNIQUE INDEX mls_key_packages_last_resort ON mls_key_packages (owner) WHERE last_resort;
CREATE INDEX mls_key_packages_not_after ON mls_key_packages (not_after);

-- The service's external-sender signing key (docs/protocol.md §3): one row for the deployment.
CREATE TABLE mls_external_sender (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  private_key bytea NOT NULL,
  public_key  bytea NOT NULL,
  created_at  timestamptz NOT NULL
);
