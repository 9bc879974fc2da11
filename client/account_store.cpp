#include "client/account_store.h"

#include <nlohmann/json.hpp>

#include "client/state_store.h"
#include "mls/codec/codec.h"
#include "mls/codec/hex.h"

namespace conclave::client {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kRoomMagic = "CCR1";  // bump when the layout changes
constexpr std::string_view kIdentityFile = "identity.key";
constexpr std::string_view kKeyPackageDir = "key-packages";
constexpr std::string_view kRoomDir = "rooms";

// The .room body after the magic.
struct RoomFile {
  mls::Bytes meta;
  std::optional<mls::Bytes> group;
  static constexpr auto fields() { return std::tuple{&RoomFile::meta, &RoomFile::group}; }
};

}  // namespace

mls::Bytes encode_room_record(const RoomRecord& r) {
  nlohmann::json meta = {{"room", r.room},
                         {"nick", r.nick},
                         {"last_stanza_id", r.last_stanza_id},
                         {"own_ids", r.own_ids}};
  if (r.chain) meta["chain"] = mls::to_hex(*r.chain);
  const std::string text = meta.dump();
  RoomFile f{mls::Bytes(text.begin(), text.end()), r.group};
  mls::Bytes out(kRoomMagic.begin(), kRoomMagic.end());
  const mls::Bytes body = mls::encode(f);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<RoomRecord> decode_room_record(mls::ByteView data) {
  if (data.size() < kRoomMagic.size() ||
      !std::equal(kRoomMagic.begin(), kRoomMagic.end(), data.begin())) {
    return fail(Errc::state_corrupt);
  }
  auto f = mls::decode<RoomFile>(data.subspan(kRoomMagic.size()));
  if (!f) return fail(Errc::state_corrupt);
  RoomRecord r;
  try {
    const auto meta = nlohmann::json::parse(f->meta.begin(), f->meta.end());
    r.room = meta.at("room").get<std::string>();
    r.nick = meta.at("nick").get<std::string>();
    r.last_stanza_id = meta.at("last_stanza_id").get<std::string>();
    r.own_ids = meta.at("own_ids").get<std::vector<std::string>>();
    if (auto c = meta.find("chain"); c != meta.end()) {
      auto bytes = mls::from_hex(c->get<std::string>());
      if (!bytes) return fail(Errc::state_corrupt);
      r.chain = std::move(*bytes);
    }
  } catch (const nlohmann::json::exception&) {
    return fail(Errc::state_corrupt);
  }
  if (r.room.empty()) return fail(Errc::state_corrupt);
  r.group = std::move(f->group);
  return r;
}

Result<AccountStore> AccountStore::open(fs::path dir) {
  for (const fs::path& d : {dir, dir / kKeyPackageDir, dir / kRoomDir}) {
    if (auto s = ensure_private_dir(d); !s) return fail(s.error());
  }
  return AccountStore(std::move(dir));
}

fs::path AccountStore::room_path(std::string_view room) const {
  // Hex keeps any JID (slashes, dots, non-ASCII) a safe single file name.
  return dir_ / kRoomDir / (mls::to_hex(mls::as_bytes(room)) + ".room");
}

fs::path AccountStore::left_path(std::string_view room) const {
  return dir_ / kRoomDir / (mls::to_hex(mls::as_bytes(room)) + ".left");
}

fs::path AccountStore::key_package_path(mls::ByteView ref, bool last_resort) const {
  return dir_ / kKeyPackageDir / (mls::to_hex(ref) + (last_resort ? ".lr" : ".kp"));
}

Result<std::optional<mls::Secret>> AccountStore::load_signature_key() const {
  auto data = read_file(dir_ / kIdentityFile);
  if (!data) return fail(data.error());
  if (!*data) return std::optional<mls::Secret>{};
  if ((*data)->empty()) return fail(Errc::state_corrupt);
  return std::optional<mls::Secret>(mls::Secret(std::move(**data)));
}

Status AccountStore::save_signature_key(const mls::Secret& key) const {
  return write_file_atomic(dir_ / kIdentityFile, key.view());
}

Result<std::vector<StoredKeyPackage>> AccountStore::load_key_packages() const {
  std::vector<StoredKeyPackage> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ / kKeyPackageDir, ec)) {
    const fs::path p = entry.path();
    const std::string ext = p.extension().string();
    if (ext != ".kp" && ext != ".lr") continue;  // skips temporary files
    auto ref = mls::from_hex(p.stem().string());
    if (!ref) return fail(Errc::state_corrupt);
    auto data = read_file(p);
    if (!data) return fail(data.error());
    if (!*data) continue;  // removed meanwhile
    auto bundle = mls::KeyPackageBundle::restore(**data);
    mls::secure_wipe((*data)->data(), (*data)->size());
    if (!bundle) return fail(Errc::state_corrupt);
    out.push_back({std::move(*ref), ext == ".lr", std::move(*bundle)});
  }
  if (ec) return fail(Errc::state_io);
  return out;
}

Status AccountStore::save_key_package(const StoredKeyPackage& kp) const {
  auto data = kp.bundle.serialize();
  if (!data) return fail(data.error());
  auto s = write_file_atomic(key_package_path(kp.ref, kp.last_resort), *data);
  mls::secure_wipe(data->data(), data->size());
  return s;
}

Status AccountStore::remove_key_package(mls::ByteView ref, bool last_resort) const {
  return remove_file(key_package_path(ref, last_resort));
}

Result<std::vector<RoomRecord>> AccountStore::load_rooms() const {
  std::vector<RoomRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ / kRoomDir, ec)) {
    const fs::path p = entry.path();
    if (p.extension() != ".room") continue;
    auto data = read_file(p);
    if (!data) return fail(data.error());
    if (!*data) continue;
    auto r = decode_room_record(**data);
    mls::secure_wipe((*data)->data(), (*data)->size());
    if (!r) return fail(r.error());
    out.push_back(std::move(*r));
  }
  if (ec) return fail(Errc::state_io);
  return out;
}

Status AccountStore::save_room(const RoomRecord& r) const {
  mls::Bytes data = encode_room_record(r);
  auto s = write_file_atomic(room_path(r.room), data);
  mls::secure_wipe(data.data(), data.size());
  return s;
}

Status AccountStore::remove_room(std::string_view room) const {
  return remove_file(room_path(room));
}

Result<std::vector<std::string>> AccountStore::load_left_rooms() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ / kRoomDir, ec)) {
    const fs::path p = entry.path();
    if (p.extension() != ".left") continue;
    auto room = mls::from_hex(p.stem().string());
    if (!room || room->empty()) return fail(Errc::state_corrupt);
    out.emplace_back(room->begin(), room->end());
  }
  if (ec) return fail(Errc::state_io);
  return out;
}

Status AccountStore::mark_left(std::string_view room) const {
  return write_file_atomic(left_path(room), {});
}

Status AccountStore::clear_left(std::string_view room) const {
  return remove_file(left_path(room));
}

}  // namespace conclave::client
