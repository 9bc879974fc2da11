// Placeholder until the crypto-basics checker lands: reports a failure, never a pass.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_crypto_basics(const nlohmann::json& /*file*/, Report& report) {
  report.fail("crypto-basics checker not implemented yet");
}

}  // namespace conclave::vectors
