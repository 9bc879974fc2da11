-- 0007: the mirrors' commit agreement of a federated room (docs/federation.md §3): what a node
-- must remember across a restart before it answers a peer (the Raft algorithm's persistent
-- state): its current term, whom it voted for in that term, and its log. Keyed by this node's
-- room JID in the mirror set; no foreign key to rooms: a mirror set may name a room before its
-- row exists here.
CREATE TABLE federation_consensus (
  room      text PRIMARY KEY,
  term      bigint NOT NULL CHECK (term >= 1),
  voted_for text NOT NULL DEFAULT ''        -- '' : nobody in this term
);
CREATE TABLE federation_log (
  room        text NOT NULL REFERENCES federation_consensus (room) ON DELETE CASCADE,
  idx         bigint NOT NULL CHECK (idx >= 0),
  term        bigint NOT NULL CHECK (term >= 1),
  commit_hash bytea NOT NULL,               -- empty: a sequencer's no-op
  PRIMARY KEY (room, idx)
);
