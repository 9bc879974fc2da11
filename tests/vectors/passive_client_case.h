#pragma once
// One case of a passive-client-*.json file, decoded once for the two checkers that run it: the
// member (passive_client_check.cpp) and the delivery service's public view
// (public_view_check.cpp).
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mls/crypto/cipher_suite.h"
#include "mls/framing/mls_message.h"
#include "mls/framing/ratchet_tree.h"
#include "mls/group/group.h"
#include "tests/vectors/report.h"

namespace conclave::vectors {

struct PassiveClientCase {
  std::string where;  // "case I suite S", the prefix of every report line
  const mls::CipherSuite* suite = nullptr;
  mls::KeyPackage key_package;
  mls::Welcome welcome;
  std::optional<mls::RatchetTree> tree;  // null in the file: the Welcome carries it
  mls::Bytes init_priv;                  // HPKE keys padded to Nsk (hpke_private)
  mls::Bytes encryption_priv;
  mls::Bytes signature_priv;

  // psks returns a fresh store of the case's external PSKs (Secrets are move-only).
  mls::PskStore psks() const;
  // psk finds an external PSK value by id; nullptr if the case has none with that id.
  const mls::Bytes* psk(mls::ByteView id) const;

  std::vector<std::pair<mls::Bytes, mls::Bytes>> external_psks;  // (psk_id, psk)
};

// load_passive_client_case decodes case number `index` of a file; on a malformed case it
// records the failure in `report` and returns nullopt.
std::optional<PassiveClientCase> load_passive_client_case(const nlohmann::json& tc,
                                                          std::size_t index, Report& report);

// epoch_proposal decodes one entry of an epoch's "proposals" list (a hex string).
mls::Result<mls::MlsMessage> epoch_proposal(const nlohmann::json& entry);

}  // namespace conclave::vectors
