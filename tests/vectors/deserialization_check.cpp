// deserialization.json (RFC 9420 test vectors, "Vector Deserialization"): each vlbytes_header
// decodes to `length` (RFC 9420 §2.1.2), and the minimal header of `length` is that header.
#include <cstdint>
#include <string>

#include "mls/codec/reader.h"
#include "mls/codec/writer.h"
#include "tests/vectors/kinds.h"

namespace conclave::vectors {

void check_deserialization(const nlohmann::json& file, Report& report) {
  for (std::size_t i = 0; i < file.size(); ++i) {
    const auto& tc = file[i];
    const mls::Bytes header = hex_field(tc, "vlbytes_header");
    const auto length = tc.at("length").get<std::uint64_t>();
    const std::string where = "case " + std::to_string(i) + ": ";

    mls::Reader r(header);
    std::uint64_t decoded = 0;
    if (!r.read_varint(decoded) || !r.empty()) {
      report.fail(where + "header does not decode exactly");
      continue;
    }
    if (decoded != length) {
      report.fail(where + "decoded " + std::to_string(decoded) + ", expected " +
                  std::to_string(length));
      continue;
    }
    mls::Writer w;
    w.write_varint(length);
    report.expect(w.bytes() == header, where + "minimal encoding differs from the header");
  }
}

}  // namespace conclave::vectors
