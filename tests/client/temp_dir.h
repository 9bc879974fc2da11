#pragma once
// TempDir: a fresh directory under $TMPDIR, removed with its content at scope exit.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace conclave::client::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "conclave-client-test.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace conclave::client::testing
