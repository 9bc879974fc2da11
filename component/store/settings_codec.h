#pragma once
// The room settings map <-> the JSON object stored in rooms.config (schema/0001_initial.sql).
// Lives beside the store interfaces so that db/ can use it without depending on the component.
#include <map>
#include <string>
#include <string_view>

namespace conclave::component {

std::string encode_settings(const std::map<std::string, std::string>& settings);
// decode_settings: the object's members; non-string values are kept as their JSON text. A
// malformed document (only a bug in whoever wrote it) yields an empty map and *ok = false.
std::map<std::string, std::string> decode_settings(std::string_view json, bool* ok = nullptr);

}  // namespace conclave::component
