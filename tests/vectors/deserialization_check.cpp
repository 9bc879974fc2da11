// Placeholder until the deserialization checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_deserialization(const nlohmann::json& /*file*/, Report& report) {
  report.fail("deserialization checker not implemented yet");
}

}  // namespace conclave::vectors
