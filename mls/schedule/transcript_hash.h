#pragma once
// Transcript hashes (RFC 9420 §8.2) over already-encoded inputs: the framing layer encodes
// ConfirmedTranscriptHashInput (wire_format, FramedContent, signature) and
// InterimTranscriptHashInput (confirmation_tag) and passes the bytes here.
//
//   confirmed_transcript_hash_[n] = Hash(interim_transcript_hash_[n-1] ||
//                                        ConfirmedTranscriptHashInput_[n])
//   interim_transcript_hash_[n]   = Hash(confirmed_transcript_hash_[n] ||
//                                        InterimTranscriptHashInput_[n])
// Both start as the empty string at epoch 0.
#include "mls/codec/bytes.h"
#include "mls/crypto/cipher_suite.h"

namespace conclave::mls {

Bytes confirmed_transcript_hash(const CipherSuite& suite, ByteView interim_transcript_hash_before,
                                ByteView confirmed_input);

Bytes interim_transcript_hash(const CipherSuite& suite, ByteView confirmed_transcript_hash,
                              ByteView interim_input);

}  // namespace conclave::mls
