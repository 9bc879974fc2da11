#pragma once
// Config tables: the generic half of the configuration file (docs/configuration.md). Each key
// is described once, in a table beside the struct it fills (config.cpp, ds/ds_config_keys.cpp):
// its name, how its value is parsed and into which member, the default the docs show and a
// one-line summary. parse_ini() runs an INI text through such a table; the unit test
// ConfigTable.DocsListEveryKeyAndDefault holds the tables and docs/configuration.md together.
//
//   ConfigTable<DsConfig> t = {
//       {"mls.max_tree_leaves", "16384", "Widest ratchet tree, in leaves",
//        keys::uint_in<2, (1u << 20)>(&DsConfig::max_tree_leaves)}};
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <type_traits>
#include <utility>
#include <vector>

namespace conclave::component {

// ConfigError: why a configuration was refused. line is 1-based, or 0 for an error of no one
// line (a required key is missing, the file cannot be read); key is "section.name" when known.
struct ConfigError {
  std::string file;  // set by load_config
  std::size_t line = 0;
  std::string key;
  std::string message;
  // what: "file: line 3: server.port: ...", leaving out the parts that are empty or 0.
  std::string what() const;
};

// A parsed value, or why the text is not one (the table loop adds the line and key).
template <class V>
using Parsed = tl::expected<V, std::string>;

// ConfigField<T>: how the text of one key sets part of a T.
template <class T>
struct ConfigField {
  std::function<Parsed<void>(T& target, std::string_view value)> set;
  // For a member with empty(): whether it is still empty (a required key that was not given).
  std::function<bool(const T& target)> empty;
};

// The default_shown of a key that has no default and must be given (its member's empty()).
inline constexpr std::string_view kRequired = "(required)";

template <class T>
struct ConfigKey {
  std::string_view name;  // "section.key"
  // The default column of docs/configuration.md without its markup (`4` -> 4, *(empty)* ->
  // (empty)); kRequired for a key that must be given.
  std::string_view default_shown;
  std::string_view summary;  // one line; the docs say more
  ConfigField<T> field;
};

template <class T>
using ConfigTable = std::vector<ConfigKey<T>>;

// scan_ini: calls on_setting(key, value) for each `key = value` line of an INI text, in order,
// with the key qualified by its [section] ("section.key"; "" before any header, so ".key") and
// both trimmed. Blank lines and lines starting with '#' or ';' are skipped. Returns the first
// error: a malformed line, or what on_setting returned, with the line number and key.
tl::expected<void, ConfigError> scan_ini(
    std::string_view text,
    const std::function<Parsed<void>(const std::string& key, std::string_view value)>& on_setting);

// parse_ini: `into` with every setting of `text` applied through the key of that name in
// `table`. Fails on the first malformed line, unknown key or value the key's field refuses (a
// key given twice is applied twice), then on the first kRequired key whose member is still
// empty.
template <class T>
tl::expected<T, ConfigError> parse_ini(std::string_view text, const ConfigTable<T>& table,
                                       T into = T{}) {
  auto scanned = scan_ini(text, [&](const std::string& name, std::string_view value) {
    for (const ConfigKey<T>& k : table) {
      if (k.name == name) return k.field.set(into, value);
    }
    return Parsed<void>(tl::unexpect, "unknown key");
  });
  if (!scanned) return tl::unexpected(std::move(scanned.error()));
  for (const ConfigKey<T>& k : table) {
    if (k.default_shown == kRequired && k.field.empty(into)) {
      return tl::unexpected(ConfigError{{}, 0, std::string(k.name), "required, no default"});
    }
  }
  return into;
}

// nested(part, table): the keys of `table` (a module's struct) as keys of the struct holding it
// in its member `part`, so each module keeps its own table.
template <class Outer, class Inner>
ConfigTable<Outer> nested(Inner Outer::*part, const ConfigTable<Inner>& table) {
  ConfigTable<Outer> out;
  for (const ConfigKey<Inner>& k : table) {
    ConfigField<Outer> f;
    f.set = [part, set = k.field.set](Outer& o, std::string_view v) { return set(o.*part, v); };
    if (k.field.empty) {
      f.empty = [part, empty = k.field.empty](const Outer& o) { return empty(o.*part); };
    }
    out.push_back({k.name, k.default_shown, k.summary, std::move(f)});
  }
  return out;
}

// Fields: how a key's value is read, and into which member.
namespace keys {

// whole_number: decimal digits only (no sign, space or point) making a number in [lo, hi].
Parsed<std::uint64_t> whole_number(std::string_view v, std::uint64_t lo, std::uint64_t hi);
// comma_list: the items of a comma-separated value, trimmed; empty items are skipped.
std::vector<std::string_view> comma_list(std::string_view v);

// parsed(member, parse): the member is set to parse(value), a Parsed<M>.
template <class T, class M, class F>
ConfigField<T> parsed(M T::*member, F parse) {
  ConfigField<T> f;
  f.set = [member, parse](T& t, std::string_view v) -> Parsed<void> {
    Parsed<M> r = parse(v);
    if (!r) return tl::unexpected(std::move(r.error()));
    t.*member = std::move(*r);
    return {};
  };
  if constexpr (requires(const M& m) { m.empty(); }) {
    f.empty = [member](const T& t) { return (t.*member).empty(); };
  }
  return f;
}

// text: any value, as written (trimmed; may be empty).
template <class T>
ConfigField<T> text(std::string T::*member) {
  return parsed(member, [](std::string_view v) { return Parsed<std::string>(std::string(v)); });
}

// uint_in<lo, hi>: a whole number in [lo, hi], into an integer or floating member that holds
// every number of the range.
template <std::uint64_t lo, std::uint64_t hi, class T, class M>
requires std::is_arithmetic_v<M> ConfigField<T> uint_in(M T::*member) {
  static_assert(lo <= hi && hi <= std::numeric_limits<M>::max());
  return parsed(member, [](std::string_view v) -> Parsed<M> {
    auto n = whole_number(v, lo, hi);
    if (!n) return tl::unexpected(std::move(n.error()));
    return static_cast<M>(*n);
  });
}

// seconds_in<lo, hi>: a whole number of seconds in [lo, hi].
template <std::uint64_t lo, std::uint64_t hi, class T>
ConfigField<T> seconds_in(std::chrono::seconds T::*member) {
  return parsed(member, [](std::string_view v) -> Parsed<std::chrono::seconds> {
    auto n = whole_number(v, lo, hi);
    if (!n) return tl::unexpected(std::move(n.error()));
    return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(*n));
  });
}

// millis_in<lo, hi>: a whole number of milliseconds in [lo, hi].
template <std::uint64_t lo, std::uint64_t hi, class T>
ConfigField<T> millis_in(std::chrono::milliseconds T::*member) {
  return parsed(member, [](std::string_view v) -> Parsed<std::chrono::milliseconds> {
    auto n = whole_number(v, lo, hi);
    if (!n) return tl::unexpected(std::move(n.error()));
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*n));
  });
}

// one_of(member, {{"name", value}, ...}): exactly one of the names (case matters).
template <class T, class M>
ConfigField<T> one_of(M T::*member, std::initializer_list<std::pair<std::string_view, M>> names) {
  using Choices = std::vector<std::pair<std::string_view, M>>;
  return parsed(member, [choices = Choices(names)](std::string_view v) -> Parsed<M> {
    std::string all;
    for (const auto& [name, value] : choices) {
      if (name == v) return value;
      all += (all.empty() ? "" : ", ") + std::string(name);
    }
    return tl::unexpected("one of " + all);
  });
}

// list_of(member, item): a comma-separated list, each item through item(), a
// Parsed<std::string>, added to the set (so a key given twice adds to it). One bad item refuses
// the whole value.
template <class T, class F>
ConfigField<T> list_of(std::set<std::string> T::*member, F item) {
  ConfigField<T> f;
  f.set = [member, item](T& t, std::string_view v) -> Parsed<void> {
    std::vector<std::string> items;
    for (const std::string_view i : comma_list(v)) {
      Parsed<std::string> r = item(i);
      if (!r) return tl::unexpected(std::move(r.error()));
      items.push_back(std::move(*r));
    }
    (t.*member).insert(items.begin(), items.end());
    return {};
  };
  return f;
}

}  // namespace keys
}  // namespace conclave::component
