-- The fan-out outbox (docs/cluster.md §6): one row per accepted commit of an archiving room,
-- written in the accept transaction with the commit and its archive row, deleted once the
-- instance that accepted it has sent the fan-out. A row still here after that instance died
-- (killed between its COMMIT and its sends) is a fan-out nobody confirmed: the next active
-- instance re-sends it, from the committed rows only, with the same ids, to every member's bare
-- JID, and clients drop what they already have by its stanza-id.
CREATE TABLE mls_fanout_outbox (
  room      text NOT NULL,
  epoch     bigint NOT NULL,   -- the commit's epoch (mls_commits)
  stanza_id text NOT NULL,     -- its archive row (room_archive.stanza_id): the id it goes out with
  PRIMARY KEY (room, epoch),
  FOREIGN KEY (room, epoch) REFERENCES mls_commits (room, epoch) ON DELETE CASCADE
);
