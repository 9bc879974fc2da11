// tree-math.json: every relation of every node of each tree size (RFC 9420 Appendix C).
// null in the vector means "no such node" and must match nullopt here.
#include <optional>
#include <string>

#include "mls/tree/tree_math.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

namespace {

using mls::LeafCount;
using mls::NodeIndex;

bool same(const nlohmann::json& expected, std::optional<NodeIndex> got) {
  if (expected.is_null()) return !got.has_value();
  return got.has_value() && expected.get<std::uint32_t>() == got->value;
}

// check_array compares expected[i] with f(NodeIndex{i}) for every entry of the array.
template <class F>
void check_array(const nlohmann::json& tc, const char* name, std::uint32_t n_leaves, Report& report,
                 F f) {
  const auto& arr = tc.at(name);
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto got = f(NodeIndex{static_cast<std::uint32_t>(i)});
    report.expect(same(arr[i], got), "n_leaves=" + std::to_string(n_leaves) + " " + name + "[" +
                                         std::to_string(i) + "]");
  }
}

}  // namespace

void check_tree_math(const nlohmann::json& file, Report& report) {
  for (const auto& tc : file) {
    const auto n_leaves = tc.at("n_leaves").get<std::uint32_t>();
    const std::string where = "n_leaves=" + std::to_string(n_leaves);
    const auto n = LeafCount::create(n_leaves);
    if (!n) {
      report.fail(where + ": leaf count rejected");
      continue;
    }
    report.expect(mls::node_width(*n) == tc.at("n_nodes").get<std::uint32_t>(), where + " n_nodes");
    report.expect(mls::root(*n).value == tc.at("root").get<std::uint32_t>(), where + " root");
    for (const char* name : {"left", "right", "parent", "sibling"}) {
      report.expect(tc.at(name).size() == mls::node_width(*n), where + " " + name + " length");
    }
    check_array(tc, "left", n_leaves, report, [](NodeIndex x) { return mls::left(x); });
    check_array(tc, "right", n_leaves, report, [](NodeIndex x) { return mls::right(x); });
    check_array(tc, "parent", n_leaves, report, [&](NodeIndex x) { return mls::parent(x, *n); });
    check_array(tc, "sibling", n_leaves, report, [&](NodeIndex x) { return mls::sibling(x, *n); });
  }
}

}  // namespace conclave::vectors
