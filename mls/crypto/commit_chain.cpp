#include "mls/crypto/commit_chain.h"

namespace conclave::mls {

Bytes commit_chain_genesis(const CipherSuite& suite) { return Bytes(suite.hash_size(), 0); }

Bytes commit_chain_next(const CipherSuite& suite, ByteView previous, ByteView commit_hash) {
  Bytes input;
  input.reserve(previous.size() + commit_hash.size());
  input.insert(input.end(), previous.begin(), previous.end());
  input.insert(input.end(), commit_hash.begin(), commit_hash.end());
  return suite.hash(input);
}

}  // namespace conclave::mls
