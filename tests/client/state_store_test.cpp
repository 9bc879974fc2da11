#include "client/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/client/temp_dir.h"

namespace conclave::client {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

TEST(StateStore, WritesMode0600EvenWithPermissiveUmask) {
  TempDir d;
  const mode_t old = ::umask(0);
  auto s = write_file_atomic(d.path() / "f", mls::Bytes{1, 2, 3});
  ::umask(old);
  ASSERT_TRUE(s);
  EXPECT_EQ(mode_of(d.path() / "f"), 0600u);
}

TEST(StateStore, ReplacesExistingFileWithModeFixed) {
  TempDir d;
  const fs::path f = d.path() / "f";
  ASSERT_TRUE(write_file_atomic(f, mls::Bytes{1}));
  ASSERT_EQ(::chmod(f.c_str(), 0644), 0);
  ASSERT_TRUE(write_file_atomic(f, mls::Bytes{9, 8}));
  EXPECT_EQ(mode_of(f), 0600u);  // a new inode, not the old world-readable one
  auto r = read_file(f);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, (mls::Bytes{9, 8}));
  EXPECT_EQ(entries(d.path()), 1u);  // no temporary file left behind
}

TEST(StateStore, RoundTripAndMissing) {
  TempDir d;
  mls::Bytes big(100000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_TRUE(write_file_atomic(d.path() / "big", big));
  auto r = read_file(d.path() / "big");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, big);
  auto missing = read_file(d.path() / "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST(StateStore, FailedWriteLeavesOldContent) {
  TempDir d;
  const fs::path f = d.path() / "f";
  ASSERT_TRUE(write_file_atomic(f, mls::Bytes{1, 2}));
  // The target is a directory now: rename fails, the temporary file must be cleaned up.
  const fs::path sub = d.path() / "sub";
  fs::create_directory(sub);
  fs::create_directory(sub / "x");
  fs::create_directory(sub / "x" / "y");  // rename(file, non-empty dir) fails
  EXPECT_FALSE(write_file_atomic(sub / "x", mls::Bytes{3}));
  EXPECT_EQ(entries(sub), 1u);
  auto r = read_file(f);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, (mls::Bytes{1, 2}));
}

TEST(StateStore, ReadRefusesSymlink) {
  TempDir d;
  ASSERT_TRUE(write_file_atomic(d.path() / "real", mls::Bytes{1}));
  fs::create_symlink(d.path() / "real", d.path() / "link");
  EXPECT_FALSE(read_file(d.path() / "link"));  // O_NOFOLLOW
}

TEST(StateStore, PrivateDirIs0700) {
  TempDir d;
  const fs::path p = d.path() / "a" / "b";
  ASSERT_TRUE(ensure_private_dir(p));
  EXPECT_EQ(mode_of(p), 0700u);
  ASSERT_EQ(::chmod(p.c_str(), 0755), 0);
  ASSERT_TRUE(ensure_private_dir(p));
  EXPECT_EQ(mode_of(p), 0700u);
}

TEST(StateStore, RemoveFile) {
  TempDir d;
  ASSERT_TRUE(write_file_atomic(d.path() / "f", mls::Bytes{1}));
  ASSERT_TRUE(remove_file(d.path() / "f"));
  EXPECT_EQ(entries(d.path()), 0u);
  EXPECT_TRUE(remove_file(d.path() / "f"));  // absent is fine
}

}  // namespace
}  // namespace conclave::client
