// Placeholder until the message-protection checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_message_protection(const nlohmann::json& /*file*/, Report& report) {
  report.fail("message-protection checker not implemented yet");
}

}  // namespace conclave::vectors
