// Placeholder until the key-schedule checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_key_schedule(const nlohmann::json& /*file*/, Report& report) {
  report.fail("key-schedule checker not implemented yet");
}

}  // namespace conclave::vectors
