#include "mls/schedule/transcript_hash.h"

namespace conclave::mls {

namespace {

Bytes hash_concat(const CipherSuite& suite, ByteView a, ByteView b) {
  Bytes joined;
  joined.reserve(a.size() + b.size());
  joined.insert(joined.end(), a.begin(), a.end());
  joined.insert(joined.end(), b.begin(), b.end());
  return suite.hash(joined);
}

}  // namespace

Bytes confirmed_transcript_hash(const CipherSuite& suite, ByteView interim_transcript_hash_before,
                                ByteView confirmed_input) {
  return hash_concat(suite, interim_transcript_hash_before, confirmed_input);
}

Bytes interim_transcript_hash(const CipherSuite& suite, ByteView confirmed_transcript_hash,
                              ByteView interim_input) {
  return hash_concat(suite, confirmed_transcript_hash, interim_input);
}

}  // namespace conclave::mls
