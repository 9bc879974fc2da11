#include "client/account_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "client/state_store.h"
#include "mls/group/welcome_crypto.h"
#include "tests/client/temp_dir.h"

namespace conclave::client {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

const mls::CipherSuite& suite1() {
  return **mls::CipherSuite::get(mls::CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
}

mls::KeyPackageBundle bundle_for(const std::string& jid) {
  mls::Credential cred;
  cred.value = mls::BasicCredential{mls::Bytes(jid.begin(), jid.end())};
  auto b =
      mls::make_key_package(suite1(), cred, suite1().generate_signature_key_pair().private_key);
  EXPECT_TRUE(b);
  return std::move(*b);
}

void expect_all_files_private(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, e.is_directory() ? 0700u : 0600u) << e.path();
  }
}

TEST(AccountStore, SignatureKeyRoundTrip) {
  TempDir d;
  auto store = AccountStore::open(d.path() / "acct");
  ASSERT_TRUE(store);
  auto none = store->load_signature_key();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  const mls::KeyPair kp = suite1().generate_signature_key_pair();
  ASSERT_TRUE(store->save_signature_key(kp.private_key));
  auto again = AccountStore::open(d.path() / "acct");
  ASSERT_TRUE(again);
  auto loaded = again->load_signature_key();
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_TRUE(mls::ct_equal((*loaded)->view(), kp.private_key.view()));
  expect_all_files_private(d.path() / "acct");
}

TEST(AccountStore, KeyPackagesRoundTripAndRemove) {
  TempDir d;
  auto store = AccountStore::open(d.path());
  ASSERT_TRUE(store);
  mls::KeyPackageBundle one = bundle_for("alice@localhost");
  mls::KeyPackageBundle lr = bundle_for("alice@localhost");
  const mls::Bytes ref1 = mls::key_package_ref(suite1(), one.key_package);
  const mls::Bytes ref2 = mls::key_package_ref(suite1(), lr.key_package);
  ASSERT_TRUE(store->save_key_package({ref1, false, one.clone()}));
  ASSERT_TRUE(store->save_key_package({ref2, true, lr.clone()}));
  expect_all_files_private(d.path());
  auto loaded = store->load_key_packages();
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 2u);
  for (const StoredKeyPackage& k : *loaded) {
    const mls::KeyPackageBundle& want = k.ref == ref1 ? one : lr;
    EXPECT_EQ(k.last_resort, k.ref == ref2);
    EXPECT_EQ(k.bundle.key_package, want.key_package);
    EXPECT_TRUE(mls::ct_equal(k.bundle.secrets.init_private_key.view(),
                              want.secrets.init_private_key.view()));
  }
  ASSERT_TRUE(store->remove_key_package(ref1, false));
  loaded = store->load_key_packages();
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_TRUE(loaded->front().last_resort);
}

TEST(AccountStore, CorruptKeyPackageIsReported) {
  TempDir d;
  auto store = AccountStore::open(d.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(write_file_atomic(d.path() / "key-packages" / "abcd.kp", mls::Bytes{1, 2, 3}));
  auto loaded = store->load_key_packages();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), make_error_code(Errc::state_corrupt));
}

TEST(AccountStore, RoomRecordRoundTrip) {
  TempDir d;
  auto store = AccountStore::open(d.path());
  ASSERT_TRUE(store);
  RoomRecord a{"room1@mls.localhost", "alice", "sid-7", {"x-1", "x-2"}, mls::Bytes{5, 6, 7}};
  a.chain = mls::Bytes(32, 0xc4);  // the commit chain survives a restart; b has none yet
  RoomRecord b{"r\xc3\xa9/odd@mls.localhost", "bob", "", {}, std::nullopt};
  ASSERT_TRUE(store->save_room(a));
  ASSERT_TRUE(store->save_room(b));
  a.last_stanza_id = "sid-8";
  ASSERT_TRUE(store->save_room(a));  // replaced, not duplicated
  auto rooms = store->load_rooms();
  ASSERT_TRUE(rooms);
  ASSERT_EQ(rooms->size(), 2u);
  for (const RoomRecord& r : *rooms) EXPECT_EQ(r, r.room == a.room ? a : b);
  expect_all_files_private(d.path());
  ASSERT_TRUE(store->remove_room(a.room));
  rooms = store->load_rooms();
  ASSERT_TRUE(rooms);
  ASSERT_EQ(rooms->size(), 1u);
  EXPECT_EQ(rooms->front(), b);
}

TEST(AccountStore, LeftRoomsAreRememberedUntilCleared) {
  TempDir d;
  auto store = AccountStore::open(d.path());
  ASSERT_TRUE(store);
  const std::string odd = "r\xc3\xa9/odd@mls.localhost";
  ASSERT_TRUE(store->mark_left("room1@mls.localhost"));
  ASSERT_TRUE(store->mark_left(odd));
  ASSERT_TRUE(store->mark_left(odd));  // twice is once
  ASSERT_TRUE(store->save_room({"room2@mls.localhost", "alice", "", {}, std::nullopt}));
  auto left = store->load_left_rooms();
  ASSERT_TRUE(left);
  std::sort(left->begin(), left->end());
  EXPECT_EQ(*left, (std::vector<std::string>{"room1@mls.localhost", odd}));  // bytewise
  auto rooms = store->load_rooms();  // the markers are no room records
  ASSERT_TRUE(rooms);
  EXPECT_EQ(rooms->size(), 1u);
  expect_all_files_private(d.path());
  ASSERT_TRUE(store->clear_left(odd));
  ASSERT_TRUE(store->clear_left("never-left@mls.localhost"));
  left = store->load_left_rooms();
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, std::vector<std::string>{"room1@mls.localhost"});
}

TEST(AccountStore, RoomRecordDecodeRejectsGarbage) {
  RoomRecord a{"room@mls.localhost", "n", "", {}, mls::Bytes{1}};
  mls::Bytes good = encode_room_record(a);
  ASSERT_TRUE(decode_room_record(good));
  mls::Bytes bad_magic = good;
  bad_magic[0] ^= 1;
  EXPECT_EQ(decode_room_record(bad_magic).error(), make_error_code(Errc::state_corrupt));
  mls::Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_EQ(decode_room_record(truncated).error(), make_error_code(Errc::state_corrupt));
  mls::Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_room_record(trailing).error(), make_error_code(Errc::state_corrupt));
  EXPECT_FALSE(decode_room_record(mls::Bytes{}));
}

}  // namespace
}  // namespace conclave::client
