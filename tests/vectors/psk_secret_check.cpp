// Placeholder until the psk-secret checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_psk_secret(const nlohmann::json& /*file*/, Report& report) {
  report.fail("psk-secret checker not implemented yet");
}

}  // namespace conclave::vectors
