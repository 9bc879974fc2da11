#pragma once
// Proposals (RFC 9420 §12.1) and references to them (§12.4).
#include <cstdint>
#include <tuple>
#include <variant>
#include <vector>

#include "mls/codec/codec.h"
#include "mls/framing/key_package.h"
#include "mls/framing/leaf_node.h"
#include "mls/framing/protocol_version.h"
#include "mls/schedule/group_context.h"
#include "mls/schedule/psk.h"

namespace conclave::mls {

// struct { KeyPackage key_package; } Add;
struct Add {
  KeyPackage key_package;
  static constexpr auto fields() { return std::tuple{&Add::key_package}; }
  bool operator==(const Add&) const = default;
};

// struct { LeafNode leaf_node; } Update;
struct Update {
  LeafNode leaf_node;
  static constexpr auto fields() { return std::tuple{&Update::leaf_node}; }
  bool operator==(const Update&) const = default;
};

// struct { uint32 removed; } Remove;
struct Remove {
  std::uint32_t removed = 0;
  static constexpr auto fields() { return std::tuple{&Remove::removed}; }
  bool operator==(const Remove&) const = default;
};

// struct { PreSharedKeyID psk; } PreSharedKey;
struct PreSharedKey {
  PreSharedKeyID psk;
  static constexpr auto fields() { return std::tuple{&PreSharedKey::psk}; }
  bool operator==(const PreSharedKey&) const = default;
};

// struct {
//     opaque group_id<V>;
//     ProtocolVersion version;
//     CipherSuite cipher_suite;
//     Extension extensions<V>;
// } ReInit;
struct ReInit {
  Bytes group_id;
  ProtocolVersion version = ProtocolVersion::mls10;
  std::uint16_t cipher_suite = 0;
  std::vector<Extension> extensions;
  static constexpr auto fields() {
    return std::tuple{&ReInit::group_id, &ReInit::version, &ReInit::cipher_suite,
                      &ReInit::extensions};
  }
  bool operator==(const ReInit&) const = default;
};

// struct { opaque kem_output<V>; } ExternalInit;
struct ExternalInit {
  Bytes kem_output;
  static constexpr auto fields() { return std::tuple{&ExternalInit::kem_output}; }
  bool operator==(const ExternalInit&) const = default;
};

// struct { Extension extensions<V>; } GroupContextExtensions;
struct GroupContextExtensions {
  std::vector<Extension> extensions;
  static constexpr auto fields() { return std::tuple{&GroupContextExtensions::extensions}; }
  bool operator==(const GroupContextExtensions&) const = default;
};

// struct {
//     ProposalType proposal_type;
//     select (Proposal.proposal_type) {
//         case add:                      Add;
//         case update:                   Update;
//         case remove:                   Remove;
//         case psk:                      PreSharedKey;
//         case reinit:                   ReInit;
//         case external_init:            ExternalInit;
//         case group_context_extensions: GroupContextExtensions;
//     };
// } Proposal;
//
// The alternatives are in ProposalType order (index + 1 == proposal_type). Proposal types
// registered later have no length prefix on the wire (§17.4 leaves their body to their
// definition), so this implementation cannot skip over one: reading it fails with
// Errc::unsupported. Their *code points* still round-trip in Capabilities.
struct Proposal {
  std::variant<Add, Update, Remove, PreSharedKey, ReInit, ExternalInit, GroupContextExtensions>
      value;
  ProposalType type() const { return static_cast<ProposalType>(value.index() + 1); }
  bool operator==(const Proposal&) const = default;
};

void write(Writer& w, const Proposal& v);
bool read(Reader& r, Proposal& v);

// opaque HashReference<V>; HashReference ProposalRef;   (§5.2)
using ProposalRef = Bytes;

// enum { reserved(0), proposal(1), reference(2), (255) } ProposalOrRefType;
enum class ProposalOrRefType : std::uint8_t { proposal = 1, reference = 2 };

// struct {
//     ProposalOrRefType type;
//     select (ProposalOrRef.type) {
//         case proposal:  Proposal proposal;
//         case reference: ProposalRef reference;
//     };
// } ProposalOrRef;
struct ProposalOrRef {
  std::variant<Proposal, ProposalRef> value;
  ProposalOrRefType type() const {
    return value.index() == 0 ? ProposalOrRefType::proposal : ProposalOrRefType::reference;
  }
  bool operator==(const ProposalOrRef&) const = default;
};

void write(Writer& w, const ProposalOrRef& v);
bool read(Reader& r, ProposalOrRef& v);

}  // namespace conclave::mls
