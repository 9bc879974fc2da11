#include "mls/framing/mls_message.h"

#include <utility>

namespace conclave::mls {

namespace {

template <std::size_t I>
bool read_message(Reader& r, MlsMessage& out) {
  std::variant_alternative_t<I, decltype(out.message)> body{};
  if (!read(r, body)) return false;
  out.message.emplace<I>(std::move(body));
  return true;
}

}  // namespace

void write(Writer& w, const MlsMessage& v) {
  write(w, v.version);
  write(w, v.wire_format());
  std::visit([&](const auto& m) { write(w, m); }, v.message);
}

bool read(Reader& r, MlsMessage& v) {
  if (!read(r, v.version)) return false;
  // RFC 9420 §6: this implementation speaks mls10 only; other versions cannot be parsed.
  if (v.version != ProtocolVersion::mls10) return r.fail(Errc::invalid_value);
  WireFormat wf{};
  if (!read(r, wf)) return false;
  switch (wf) {
    case WireFormat::public_message:
      return read_message<0>(r, v);
    case WireFormat::private_message:
      return read_message<1>(r, v);
    case WireFormat::welcome:
      return read_message<2>(r, v);
    case WireFormat::group_info:
      return read_message<3>(r, v);
    case WireFormat::key_package:
      return read_message<4>(r, v);
  }
  return r.fail(Errc::invalid_value);
}

}  // namespace conclave::mls
