-- The chain hash (docs/sequencing.md §A.2, docs/protocol.md §6.7): each accepted commit stores
-- chain_hash = H(chain hash before it || commit_hash), with H the suite's hash (SHA-256, the
-- only suite served) and, before a group's first commit, a string of zero bytes as long as a
-- hash. One value names a room's whole history: two logs with the same chain hash at an epoch
-- hold the same commits up to it. Clients check it; the federation work compares mirrors by it.
ALTER TABLE mls_commits ADD COLUMN chain_hash bytea;
ALTER TABLE rooms
  ADD COLUMN mls_chain_hash bytea,                -- chain hash of mls_epoch (after its commit)
  ADD CONSTRAINT rooms_mls_chain_needs_group CHECK (mls_chain_hash IS NULL OR mls_group_id IS NOT NULL);

-- Groups and commits stored before this migration: the chain over each room's log, from its
-- first logged epoch.
WITH RECURSIVE chain (room, epoch, h) AS (
  SELECT c.room, c.epoch, sha256(decode(repeat('00', 32), 'hex') || c.commit_hash)
  FROM mls_commits c
  WHERE c.epoch = (SELECT min(f.epoch) FROM mls_commits f WHERE f.room = c.room)
  UNION ALL
  SELECT c.room, c.epoch, sha256(chain.h || c.commit_hash)
  FROM chain JOIN mls_commits c ON c.room = chain.room AND c.epoch = chain.epoch + 1
)
UPDATE mls_commits m SET chain_hash = chain.h
FROM chain WHERE m.room = chain.room AND m.epoch = chain.epoch;

UPDATE rooms r SET mls_chain_hash = COALESCE(
  (SELECT c.chain_hash FROM mls_commits c WHERE c.room = r.jid ORDER BY c.epoch DESC LIMIT 1),
  decode(repeat('00', 32), 'hex'))
WHERE r.mls_group_id IS NOT NULL;

ALTER TABLE mls_commits ALTER COLUMN chain_hash SET NOT NULL;
