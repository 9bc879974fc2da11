// conclave-vectors KIND FILE: checks an RFC 9420 test-vector file of the given kind and prints
// `N passed, M failed` as its last line; exit status 0 only when nothing failed.
// FILE may be `@NAME` to mean NAME inside $MLS_TEST_VECTORS, or else the official vectors folder
// this build was configured with (CONCLAVE_VECTORS_DIR); ctest uses that form.
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/vectors/kinds.h"

namespace {

namespace fs = std::filesystem;

int usage() {
  std::cerr << "usage: conclave-vectors KIND FILE\nkinds:";
  for (const auto& k : conclave::vectors::kinds()) std::cerr << ' ' << k.name;
  std::cerr << "\nFILE may be @NAME: NAME in $MLS_TEST_VECTORS or " << CONCLAVE_VECTORS_DIR << '\n';
  return 2;
}

// resolve turns `@NAME` into a path in the vectors folder; a missing folder is an error.
bool resolve(const std::string& arg, fs::path& out) {
  if (arg.empty() || arg[0] != '@') {
    out = arg;
    return true;
  }
  const char* env = std::getenv("MLS_TEST_VECTORS");
  const fs::path dir =
      env != nullptr && *env != '\0' ? fs::path(env) : fs::path(CONCLAVE_VECTORS_DIR);
  if (!fs::is_directory(dir)) {
    std::cerr << "error: test vectors folder " << dir
              << " does not exist; set MLS_TEST_VECTORS to the folder holding the official "
                 "RFC 9420 vectors\n";
    return false;
  }
  out = dir / arg.substr(1);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return usage();
  const std::string kind = argv[1];
  const conclave::vectors::Kind* found = nullptr;
  for (const auto& k : conclave::vectors::kinds()) {
    if (k.name == kind) found = &k;
  }
  if (found == nullptr) {
    std::cerr << "error: unknown kind '" << kind << "'\n";
    return usage();
  }
  fs::path path;
  if (!resolve(argv[2], path)) return 2;
  std::ifstream in(path);
  if (!in) {
    std::cerr << "error: cannot read " << path << '\n';
    return 2;
  }
  conclave::vectors::Report report;
  try {
    const auto file = nlohmann::json::parse(in);
    if (!file.is_array()) throw std::runtime_error("vector file is not a JSON array");
    found->check(file, report);
  } catch (const std::exception& e) {
    report.fail(std::string("aborted: ") + e.what());
  }
  for (const auto& f : report.failures()) std::cout << "FAIL " << f << '\n';
  std::cout << report.passed() << " passed, " << report.failed() << " failed\n";
  return report.failed() == 0 && report.passed() > 0 ? 0 : 1;
}
