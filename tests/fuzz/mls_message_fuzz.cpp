// libFuzzer target for MLSMessage (RFC 9420 §6): the outer wire format every message from the
// network arrives in. Decoding is exact, so a successful decode must re-encode to the input byte
// for byte; a failed one must carry a real error code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mls/codec/codec.h"
#include "mls/framing/mls_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace m = conclave::mls;
  const m::ByteView input(data, size);
  const m::Result<m::MlsMessage> message = m::decode<m::MlsMessage>(input);
  if (!message) {
    if (!message.error()) std::abort();  // a failure must never look like success
    return 0;
  }
  const m::Bytes again = m::encode(*message);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  return 0;
}
