// treekem.json: placeholder until the TreeKEM checker lands.
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_treekem(const nlohmann::json& /*file*/, Report& report) {
  report.fail("treekem checker not implemented yet");
}

}  // namespace conclave::vectors
