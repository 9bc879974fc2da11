#include "component/store/settings_codec.h"

#include <nlohmann/json.hpp>

namespace conclave::component {

std::string encode_settings(const std::map<std::string, std::string>& settings) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : settings) j[k] = v;
  return j.dump();
}

std::map<std::string, std::string> decode_settings(std::string_view json, bool* ok) {
  std::map<std::string, std::string> out;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    if (ok != nullptr) *ok = false;
    return out;
  }
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  if (ok != nullptr) *ok = true;
  return out;
}

}  // namespace conclave::component
