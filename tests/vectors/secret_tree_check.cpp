// Placeholder until the secret-tree checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_secret_tree(const nlohmann::json& /*file*/, Report& report) {
  report.fail("secret-tree checker not implemented yet");
}

}  // namespace conclave::vectors
