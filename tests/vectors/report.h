#pragma once
// Report: the outcome of checking one vector file, case by case.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mls/codec/bytes.h"

namespace conclave::mls {
class CipherSuite;
}

namespace conclave::vectors {

class Report {
 public:
  // pass / fail record one case; `what` says which case and what differed.
  void pass() { ++passed_; }
  void fail(std::string what) {
    ++failed_;
    failures_.push_back(std::move(what));
  }
  // expect records a pass when `ok`, otherwise a failure described by `what`.
  void expect(bool ok, const std::string& what) {
    if (ok) {
      pass();
    } else {
      fail(what);
    }
  }
  std::size_t passed() const { return passed_; }
  std::size_t failed() const { return failed_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::size_t passed_ = 0;
  std::size_t failed_ = 0;
  std::vector<std::string> failures_;
};

// hex_field reads a hex string member of a vector object; throws std::runtime_error naming the
// field when absent or not hex (a malformed vector file is a failure, not a skip).
mls::Bytes hex_field(const nlohmann::json& obj, const char* name);

// case_suite: the cipher suite a vector case names (its "cipher_suite" member). Every suite in
// the official vectors is one Conclave implements, so an unknown one is recorded as a failure
// of the case (`where` says which) and nullptr returned.
const mls::CipherSuite* case_suite(const nlohmann::json& tc, const std::string& where,
                                   Report& report);

// same: what was computed equals, byte for byte, what the vector says.
bool same(mls::ByteView got, mls::ByteView expected);

}  // namespace conclave::vectors
