#include "component/core/config_table.h"

#include <charconv>

namespace conclave::component {
namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string ConfigError::what() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (line != 0) out += "line " + std::to_string(line) + ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

tl::expected<void, ConfigError> scan_ini(
    std::string_view text,
    const std::function<Parsed<void>(const std::string& key, std::string_view value)>& on_setting) {
  std::string section;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return tl::unexpected(ConfigError{{}, line_no, {}, "unterminated section header"});
      }
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return tl::unexpected(ConfigError{{}, line_no, {}, "expected key = value"});
    }
    std::string key = section + "." + std::string(trim(line.substr(0, eq)));
    if (auto set = on_setting(key, trim(line.substr(eq + 1))); !set) {
      return tl::unexpected(ConfigError{{}, line_no, std::move(key), std::move(set.error())});
    }
  }
  return {};
}

namespace keys {

Parsed<std::uint64_t> whole_number(std::string_view v, std::uint64_t lo, std::uint64_t hi) {
  unsigned long long n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
    return tl::unexpected("not a whole number in " + std::to_string(lo) + ".." +
                          std::to_string(hi));
  }
  return n;
}

std::vector<std::string_view> comma_list(std::string_view v) {
  std::vector<std::string_view> items;
  while (!v.empty()) {
    const auto comma = v.find(',');
    const std::string_view item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

}  // namespace keys
}  // namespace conclave::component
