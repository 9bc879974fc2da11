#include "mls/crypto/secret.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <new>

// The test replaces the global deallocation functions to look at a watched buffer at the
// moment it is released: the only way to observe a wipe without reading freed memory.
namespace {
const void* g_watched = nullptr;
std::size_t g_watched_size = 0;
bool g_watched_was_zero = false;

void inspect(void* p) {
  if (p == nullptr || p != g_watched) return;
  const auto* bytes = static_cast<const std::uint8_t*>(p);
  g_watched_was_zero =
      std::all_of(bytes, bytes + g_watched_size, [](std::uint8_t b) { return b == 0; });
  g_watched = nullptr;
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  inspect(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  inspect(p);
  std::free(p);
}

namespace conclave::mls {
namespace {

TEST(SecretTest, MoveAssignWipesTheOverwrittenBytes) {
  Secret target(Bytes(32, 0xab));
  Secret source(Bytes(16, 0xcd));
  g_watched = target.view().data();
  g_watched_size = target.size();
  g_watched_was_zero = false;
  target = std::move(source);  // frees the old 32-byte buffer, which must be wiped first
  EXPECT_EQ(g_watched, nullptr) << "old buffer was not released";
  EXPECT_TRUE(g_watched_was_zero);
  EXPECT_EQ(target.size(), 16u);
  EXPECT_EQ(target.view()[0], 0xcd);
}

TEST(SecretTest, DestructorWipes) {
  auto* secret = new Secret(Bytes(24, 0x5a));
  g_watched = secret->view().data();
  g_watched_size = secret->size();
  g_watched_was_zero = false;
  delete secret;
  EXPECT_EQ(g_watched, nullptr);
  EXPECT_TRUE(g_watched_was_zero);
}

TEST(SecretTest, CloneIsIndependent) {
  Secret a(Bytes{1, 2, 3});
  Secret b = a.clone();
  b.data()[0] = 9;
  EXPECT_EQ(a.view()[0], 1);
  EXPECT_EQ(b.view()[0], 9);
}

TEST(SecretTest, MovedFromIsEmpty) {
  Secret a(Bytes{1, 2, 3});
  Secret b(std::move(a));
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the state after move is specified
}

TEST(CtEqualTest, ComparesContentAndLength) {
  const Bytes a{1, 2, 3};
  const Bytes b{1, 2, 3};
  const Bytes c{1, 2, 4};
  const Bytes d{1, 2};
  EXPECT_TRUE(ct_equal(a, b));
  EXPECT_FALSE(ct_equal(a, c));
  EXPECT_FALSE(ct_equal(a, d));
  EXPECT_TRUE(ct_equal({}, {}));
}

}  // namespace
}  // namespace conclave::mls
