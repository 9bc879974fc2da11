-- Shard leases: which Conclave instance sequences which rooms when several share this database
-- (docs/sequencing.md §A.1, §A.3; component/store/lease_store.h, db/pg_lease_store.cpp).
-- A room belongs to shard hash(room) mod S; the holder of the shard's live lease alone accepts
-- its commits, and the accept transaction checks holder and term (§A.4), so a deposed holder
-- writes nothing. `term` grows at every takeover and is the fencing token. Expiry is by this
-- server's clock (now()), never an instance's. Rows are created by the instances
-- (LeaseStore::ensure_shards), since S is their configuration.
CREATE TABLE shard_lease (
  shard      integer PRIMARY KEY CHECK (shard >= 0),
  holder     text,
  term       bigint NOT NULL DEFAULT 0 CHECK (term >= 0),
  expires_at timestamptz,
  CHECK ((holder IS NULL) = (expires_at IS NULL))
);

-- Stanzas an instance received while it was not the active one (it was paused past its lease,
-- or the XMPP server still routed to it), handed to the active instance in arrival order
-- (docs/cluster.md). The active instance takes them oldest first, deleting them as it does.
CREATE TABLE stanza_handoff (
  id        bigserial PRIMARY KEY,
  stanza    text NOT NULL,
  handed_by text NOT NULL,
  handed_at timestamptz NOT NULL DEFAULT now()
);
