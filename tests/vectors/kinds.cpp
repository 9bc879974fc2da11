#include "tests/vectors/kinds.h"

#include <array>

namespace conclave::vectors {

std::span<const Kind> kinds() {
  static constexpr std::array<Kind, 15> kKinds{{
      {"tree-math", &check_tree_math},
      {"crypto-basics", &check_crypto_basics},
      {"secret-tree", &check_secret_tree},
      {"message-protection", &check_message_protection},
      {"key-schedule", &check_key_schedule},
      {"psk_secret", &check_psk_secret},
      {"transcript-hashes", &check_transcript_hashes},
      {"deserialization", &check_deserialization},
      {"messages", &check_messages},
      {"tree-validation", &check_tree_validation},
      {"tree-operations", &check_tree_operations},
      {"treekem", &check_treekem},
      {"welcome", &check_welcome},
      {"passive-client", &check_passive_client},
      {"public-view", &check_public_view},
  }};
  return kKinds;
}

}  // namespace conclave::vectors
