#pragma once
// The vector kinds conclave-vectors understands: the official file names without ".json".
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "tests/vectors/report.h"

namespace conclave::vectors {

// A checker runs every case of one vector file (a JSON array) and records each in `report`.
// It may throw on a structurally broken file; the caller counts that as a failure.
using Checker = void (*)(const nlohmann::json& file, Report& report);

struct Kind {
  std::string_view name;
  Checker check;
};

std::span<const Kind> kinds();

void check_tree_math(const nlohmann::json& file, Report& report);
void check_crypto_basics(const nlohmann::json& file, Report& report);
void check_secret_tree(const nlohmann::json& file, Report& report);
void check_message_protection(const nlohmann::json& file, Report& report);
void check_key_schedule(const nlohmann::json& file, Report& report);
void check_psk_secret(const nlohmann::json& file, Report& report);
void check_transcript_hashes(const nlohmann::json& file, Report& report);
void check_deserialization(const nlohmann::json& file, Report& report);
void check_messages(const nlohmann::json& file, Report& report);
void check_tree_validation(const nlohmann::json& file, Report& report);
void check_tree_operations(const nlohmann::json& file, Report& report);
void check_treekem(const nlohmann::json& file, Report& report);
void check_welcome(const nlohmann::json& file, Report& report);
void check_passive_client(const nlohmann::json& file, Report& report);
void check_public_view(const nlohmann::json& file, Report& report);

}  // namespace conclave::vectors
