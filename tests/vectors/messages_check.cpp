// messages.json (RFC 9420 test vectors, "Messages"): every field decodes exactly as its
// structure and re-encodes to the same bytes; the same bytes plus one trailing byte are refused.
#include <string>

#include "mls/codec/codec.h"
#include "mls/framing/commit.h"
#include "mls/framing/mls_message.h"
#include "mls/framing/proposal.h"
#include "mls/framing/ratchet_tree.h"
#include "mls/framing/welcome.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

using mls::ContentType;
using mls::MlsMessage;
using mls::WireFormat;

// Checks is a predicate on the decoded value (wire format, content type); returns what differed.
template <class T, class Check>
void check_field(const nlohmann::json& tc, const char* name, std::size_t index, Report& report,
                 Check&& check) {
  const std::string where = "case " + std::to_string(index) + " " + name + ": ";
  const mls::Bytes wire = hex_field(tc, name);
  auto decoded = mls::decode<T>(wire);
  if (!decoded) {
    report.fail(where + "decode failed: " + decoded.error().message());
    return;
  }
  if (mls::encode(*decoded) != wire) {
    report.fail(where + "re-encoding differs");
    return;
  }
  if (const std::string why = check(*decoded); !why.empty()) {
    report.fail(where + why);
    return;
  }
  mls::Bytes longer = wire;
  longer.push_back(0);
  report.expect(!mls::decode<T>(longer), where + "trailing byte accepted");
}

template <class T>
void check_field(const nlohmann::json& tc, const char* name, std::size_t index, Report& report) {
  check_field<T>(tc, name, index, report, [](const T&) { return std::string(); });
}

auto expect_wire_format(WireFormat wf) {
  return [wf](const MlsMessage& m) {
    return m.wire_format() == wf ? std::string() : std::string("unexpected wire_format");
  };
}

auto expect_public_content(ContentType type) {
  return [type](const MlsMessage& m) {
    const auto* pm = std::get_if<mls::PublicMessage>(&m.message);
    if (pm == nullptr) return std::string("not a public message");
    return pm->content.content_type() == type ? std::string()
                                              : std::string("unexpected content_type");
  };
}

}  // namespace

void check_messages(const nlohmann::json& file, Report& report) {
  for (std::size_t i = 0; i < file.size(); ++i) {
    const auto& tc = file[i];
    check_field<MlsMessage>(tc, "mls_welcome", i, report, expect_wire_format(WireFormat::welcome));
    check_field<MlsMessage>(tc, "mls_group_info", i, report,
                            expect_wire_format(WireFormat::group_info));
    check_field<MlsMessage>(tc, "mls_key_package", i, report,
                            expect_wire_format(WireFormat::key_package));
    check_field<mls::RatchetTree>(tc, "ratchet_tree", i, report);
    check_field<mls::GroupSecrets>(tc, "group_secrets", i, report);
    check_field<mls::Add>(tc, "add_proposal", i, report);
    check_field<mls::Update>(tc, "update_proposal", i, report);
    check_field<mls::Remove>(tc, "remove_proposal", i, report);
    check_field<mls::PreSharedKey>(tc, "pre_shared_key_proposal", i, report);
    check_field<mls::ReInit>(tc, "re_init_proposal", i, report);
    check_field<mls::ExternalInit>(tc, "external_init_proposal", i, report);
    check_field<mls::GroupContextExtensions>(tc, "group_context_extensions_proposal", i, report);
    check_field<mls::Commit>(tc, "commit", i, report);
    check_field<MlsMessage>(tc, "public_message_application", i, report,
                            expect_public_content(ContentType::application));
    check_field<MlsMessage>(tc, "public_message_proposal", i, report,
                            expect_public_content(ContentType::proposal));
    check_field<MlsMessage>(tc, "public_message_commit", i, report,
                            expect_public_content(ContentType::commit));
    check_field<MlsMessage>(tc, "private_message", i, report,
                            expect_wire_format(WireFormat::private_message));
  }
}

}  // namespace conclave::vectors
