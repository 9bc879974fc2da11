// The configuration key tables (component/core/config_table.h, config_keys()) against
// docs/configuration.md and against the structs' own defaults, and the generic mechanism.
#include "component/core/config_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "component/app/config.h"

namespace conclave::component::testing {
namespace {

// The key table of docs/configuration.md ("| `key` | default | meaning |" rows of its "## Keys"
// section): key -> the default column without its markup (`4` -> 4, *(empty)* -> (empty)).
std::map<std::string, std::string> documented_keys() {
  std::ifstream in(std::string(CONCLAVE_SOURCE_DIR) + "/docs/configuration.md");
  EXPECT_TRUE(in.good());
  std::map<std::string, std::string> keys;
  bool in_keys = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_keys = line == "## Keys";
    if (!in_keys || line.rfind("| `", 0) != 0) continue;
    const auto key_end = line.find('`', 3);
    const auto cell = line.find('|', key_end);
    const auto cell_end = line.find('|', cell + 1);
    if (key_end == std::string::npos || cell_end == std::string::npos) {
      ADD_FAILURE() << "unreadable row: " << line;
      continue;
    }
    std::string shown;
    for (const char ch : line.substr(cell + 1, cell_end - cell - 1)) {
      if (ch != '`' && ch != '*') shown += ch;
    }
    const auto b = shown.find_first_not_of(' ');
    const auto e = shown.find_last_not_of(' ');
    keys[line.substr(3, key_end - 3)] = b == std::string::npos ? "" : shown.substr(b, e - b + 1);
  }
  return keys;
}

// The doc is checked against the tables rather than generated from them: its meaning column
// is prose (links, protocol references, several sentences per key) that reads better kept in
// Markdown than as C++ string literals. The tables own what the code decides, the key names
// and the defaults; this test fails when a key is added, removed or renamed, or its default
// changed, on one side only.
TEST(ConfigTable, DocsListEveryKeyAndDefault) {
  const std::map<std::string, std::string> documented = documented_keys();
  ASSERT_FALSE(documented.empty());
  std::map<std::string, std::string> tabled;
  for (const auto& k : config_keys()) {
    EXPECT_TRUE(tabled.emplace(k.name, k.default_shown).second)
        << "twice in the tables: " << k.name;
  }
  for (const auto& [key, shown] : tabled) {
    auto d = documented.find(key);
    if (d == documented.end()) {
      ADD_FAILURE() << key << " is in the tables, not in docs/configuration.md";
    } else {
      EXPECT_EQ(d->second, shown) << "default of " << key << " in docs/configuration.md";
    }
  }
  for (const auto& [key, shown] : documented) {
    EXPECT_TRUE(tabled.count(key)) << key << " is in docs/configuration.md, not in the tables";
  }
}

const std::string kRequiredOnly =
    "[component]\ndomain = mls.example.org\nsecret = s\n[database]\nurl = x\n";

// A default shown as a value (not "(required)", "(empty)", ...) is what the struct holds.
TEST(ConfigTable, ShownDefaultsAreTheDefaults) {
  auto base = parse_config(kRequiredOnly);
  ASSERT_TRUE(base) << base.error().what();
  std::size_t checked = 0;
  for (const auto& k : config_keys()) {
    if (k.default_shown.empty() || k.default_shown.front() == '(') continue;
    const auto dot = k.name.find('.');
    const std::string text = kRequiredOnly + "[" + std::string(k.name.substr(0, dot)) + "]\n" +
                             std::string(k.name.substr(dot + 1)) + " = " +
                             std::string(k.default_shown) + "\n";
    auto c = parse_config(text);
    ASSERT_TRUE(c) << k.name << ": " << c.error().what();
    EXPECT_TRUE(*c == *base) << k.name << " = " << k.default_shown << " is not its default";
    ++checked;
  }
  EXPECT_GE(checked, 19u);  // all but the required and the parenthesised defaults
}

TEST(ConfigTable, RequiredKeysAreReportedByName) {
  for (const auto& k : config_keys()) {
    if (k.default_shown != kRequired) continue;
    ASSERT_TRUE(k.field.empty) << k.name;
  }
  auto none = parse_config("");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().what(), "component.domain: required, no default");
  auto blank = parse_config("[component]\ndomain = a.b\nsecret =\n[database]\nurl = x\n");
  ASSERT_FALSE(blank);  // an empty value is no value
  EXPECT_EQ(blank.error().key, "component.secret");
}

TEST(ConfigTable, ErrorsNameTheLineAndKey) {
  auto port = parse_config("\n[server]\n\nport = 0\n");
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error().line, 4u);
  EXPECT_EQ(port.error().key, "server.port");
  EXPECT_EQ(port.error().what(), "line 4: server.port: not a whole number in 1..65535");
  auto level = parse_config("[log]\nlevel = INFO\n");
  ASSERT_FALSE(level);
  EXPECT_EQ(level.error().what(), "line 2: log.level: one of debug, info, warn, error");
  EXPECT_EQ(parse_config("[server\n").error().what(), "line 1: unterminated section header");
  EXPECT_EQ(parse_config("[server]\nport\n").error().what(), "line 2: expected key = value");
  EXPECT_EQ(parse_config("port = 1\n").error().key, ".port");  // before any section
  auto domains = parse_config("[muc]\nlocal_domains = a.example, a@b\n");
  ASSERT_FALSE(domains);
  EXPECT_EQ(domains.error().what(), "line 2: muc.local_domains: not a domain: a@b");
}

TEST(ConfigTable, LogLevelParsesIntoLogLevel) {
  auto c = parse_config(kRequiredOnly + "[log]\nlevel = warn\n");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->log_level, LogLevel::warn);
}

// The generic parts, on a struct of their own.
struct Part {
  std::uint16_t port = 1;
  double rate = 0;
  std::set<std::string> names;
};
struct Whole {
  std::string label;
  Part part;
};

// [federation] (docs/federation.md): the mirror set must hold the home and exactly one room of
// this component; federation_self names that room.
TEST(ConfigTable, AFederationMirrorSetHoldsTheHomeAndOneRoomOfThisComponent) {
  const std::string base = kRequiredOnly + "[federation]\nhome = room@mls.a.test\n";
  auto ok = parse_config(base + "mirrors = room@mls.a.test, room@mls.example.org\ntick_ms = 50\n");
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(ok->federation_home, "room@mls.a.test");
  EXPECT_EQ(ok->federation_mirrors.size(), 2u);
  EXPECT_EQ(ok->federation_tick, std::chrono::milliseconds(50));
  EXPECT_EQ(federation_self(*ok), "room@mls.example.org");
  for (const char* mirrors : {"room@mls.a.test, room@mls.b.test",       // none of ours
                              "room@mls.b.test, room@mls.example.org",  // no home
                              "room@mls.a.test, r1@mls.example.org, r2@mls.example.org"}) {
    auto bad = parse_config(base + "mirrors = " + mirrors + "\n");
    ASSERT_FALSE(bad) << mirrors;
    EXPECT_EQ(bad.error().key, "federation.mirrors");
  }
  auto off = parse_config(kRequiredOnly);
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->federation_home.empty());
  EXPECT_FALSE(parse_config(base + "mirrors = room@mls.a.test/x\n"));         // not a bare JID
  EXPECT_FALSE(parse_config(kRequiredOnly + "[federation]\ntick_ms = 5\n"));  // below 10
}

TEST(ConfigTable, WholeNumbersAreDigitsOnlyWithinRange) {
  using keys::whole_number;
  EXPECT_EQ(whole_number("0", 0, 5), 0u);
  EXPECT_EQ(whole_number("5", 0, 5), 5u);
  EXPECT_FALSE(whole_number("6", 0, 5));
  EXPECT_FALSE(whole_number("", 0, 5));
  EXPECT_FALSE(whole_number("+1", 0, 5));
  EXPECT_FALSE(whole_number("-1", 0, 5));
  EXPECT_FALSE(whole_number("1.0", 0, 5));
  EXPECT_FALSE(whole_number("1 ", 0, 5));
  EXPECT_FALSE(whole_number("99999999999999999999", 0, 5));  // beyond 64 bits
}

TEST(ConfigTable, NestedTablesAndListsAccumulate) {
  const ConfigTable<Part> part = {
      {"p.port", "1", "", keys::uint_in<1, 65535>(&Part::port)},
      {"p.rate", "0", "", keys::uint_in<0, 100>(&Part::rate)},
      {"p.names", "(empty)", "",
       keys::list_of(&Part::names,
                     [](std::string_view v) {
                       return v == "bad" ? Parsed<std::string>(tl::unexpect, "bad name")
                                         : Parsed<std::string>(std::string(v));
                     })},
  };
  ConfigTable<Whole> whole = nested(&Whole::part, part);
  whole.insert(whole.begin(), {"w.label", kRequired, "", keys::text(&Whole::label)});

  auto w = parse_ini<Whole>("[w]\nlabel = x\n[p]\nport = 80\nrate = 7\nnames = a, b,\nnames = c\n",
                            whole);
  ASSERT_TRUE(w) << w.error().what();
  EXPECT_EQ(w->label, "x");
  EXPECT_EQ(w->part.port, 80);
  EXPECT_EQ(w->part.rate, 7.0);
  EXPECT_EQ(w->part.names, (std::set<std::string>{"a", "b", "c"}));  // a key given twice adds

  auto bad = parse_ini<Whole>("[w]\nlabel = x\n[p]\nnames = a, bad\n", whole);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "line 4: p.names: bad name");
  auto missing = parse_ini<Whole>("[p]\nport = 2\n", whole);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().key, "w.label");
  auto unknown = parse_ini<Whole>("[w]\nlabel = x\n[p]\nportt = 2\n", whole);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().what(), "line 4: p.portt: unknown key");
}

}  // namespace
}  // namespace conclave::component::testing
