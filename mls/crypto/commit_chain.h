#pragma once
// The commit chain of an urn:xmpp:mls:0 room (docs/protocol.md §6.7), not part of RFC 9420:
// one hash that names a group's whole commit history, so a client can tell that the service
// showed it and every other member the same commits, in the same order, and mirrors of a room
// can compare histories by one value.
//
//   chain(first epoch)   = Nh zero bytes
//   chain(e + 1)         = Hash(chain(e) || Hash(MLSMessage of the commit made in epoch e))
//
// Hash is the group's cipher suite hash (RFC 9420 §5.1); Hash(MLSMessage) is the commit hash
// the service keys its log by.
#include "mls/codec/bytes.h"
#include "mls/crypto/cipher_suite.h"

namespace conclave::mls {

Bytes commit_chain_genesis(const CipherSuite& suite);
// commit_chain_next: chain(e + 1) from chain(e) and Hash(commit message).
Bytes commit_chain_next(const CipherSuite& suite, ByteView previous, ByteView commit_hash);

}  // namespace conclave::mls
