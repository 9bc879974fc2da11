// Placeholder until the tree-math checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_tree_math(const nlohmann::json& /*file*/, Report& report) {
  report.fail("tree-math checker not implemented yet");
}

}  // namespace conclave::vectors
