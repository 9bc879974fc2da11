#include "mls/framing/proposal.h"

#include <utility>

namespace conclave::mls {

namespace {

// Reads alternative I of a variant (its body only; the selector has been read).
template <std::size_t I, class Variant>
bool read_alternative(Reader& r, Variant& out) {
  std::variant_alternative_t<I, Variant> body{};
  if (!read(r, body)) return false;
  out.template emplace<I>(std::move(body));
  return true;
}

}  // namespace

void write(Writer& w, const Proposal& v) {
  write(w, v.type());
  std::visit([&](const auto& p) { write(w, p); }, v.value);
}

bool read(Reader& r, Proposal& v) {
  ProposalType type{};
  if (!read(r, type)) return false;
  using V = decltype(v.value);
  switch (type) {
    case ProposalType::add:
      return read_alternative<0>(r, v.value);
    case ProposalType::update:
      return read_alternative<1>(r, v.value);
    case ProposalType::remove:
      return read_alternative<2>(r, v.value);
    case ProposalType::psk:
      return read_alternative<3>(r, v.value);
    case ProposalType::reinit:
      return read_alternative<4>(r, v.value);
    case ProposalType::external_init:
      return read_alternative<5>(r, v.value);
    case ProposalType::group_context_extensions:
      return read_alternative<6>(r, v.value);
  }
  static_assert(std::variant_size_v<V> == 7);
  // Reserved (0) is forbidden; other types are not self-delimiting (see proposal.h).
  return r.fail(static_cast<std::uint16_t>(type) == 0 ? Errc::invalid_value : Errc::unsupported);
}

void write(Writer& w, const ProposalOrRef& v) {
  write(w, v.type());
  std::visit([&](const auto& p) { write(w, p); }, v.value);
}

bool read(Reader& r, ProposalOrRef& v) {
  ProposalOrRefType type{};
  if (!read(r, type)) return false;
  switch (type) {
    case ProposalOrRefType::proposal:
      return read_alternative<0>(r, v.value);
    case ProposalOrRefType::reference:
      return read_alternative<1>(r, v.value);
  }
  return r.fail(Errc::invalid_value);
}

}  // namespace conclave::mls
