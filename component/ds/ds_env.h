#pragma once
// DsConfig and DsEnv: the delivery service's settings ([mls] in the configuration file,
// docs/configuration.md) and what it needs from the process around it: a pointer to the
// process's one Services (component/core/services.h) and its stores.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "component/core/config_table.h"
#include "component/core/services.h"
#include "component/store/archive_store.h"
#include "component/store/lease_store.h"
#include "component/store/mls_store.h"

namespace conclave::component::ds {

struct DsConfig {
  std::size_t max_key_packages = 100;  // mls.max_key_packages: one-time packages per owner
  std::uint64_t epoch_window = 3;      // mls.epoch_window: epochs an application message may lag
  std::size_t group_cache = 1000;      // mls.group_cache: rooms whose group state stays in memory
  // mls.key_package_uploads_per_minute / mls.claims_per_minute: token buckets per bare JID
  // (bursts of twice the rate); 0 turns a limit off. Claims are limited per claimer and per
  // claimed JID, so many claimers cannot drain one user's packages either.
  double uploads_per_minute = 10;
  double claims_per_minute = 60;
  // mls.room_requests_per_minute: urn:xmpp:mls:0 IQs to rooms (create, commit, group-info,
  // commits) per bare JID, over all rooms; a token bucket like the above; 0 turns it off.
  double room_requests_per_minute = 600;
  // mls.max_tree_leaves: the widest ratchet tree a room's group may have, in leaves (members
  // take leaves; blank ones are reused, so the width is at most twice the most members the
  // group ever had at once). It bounds the memory and the whole-tree work of one room.
  std::uint32_t max_tree_leaves = 16384;
  // mls.max_key_package_lifetime: the latest a key package may expire, in days after its upload
  // (KP-9, docs/protocol.md §6.3; RFC 9420 §7.2 asks applications for such a bound). 13
  // weeks: long enough for other implementations' defaults (OpenMLS makes packages last 84 days),
  // short enough that a drained or stolen package does not stay usable for long.
  std::uint64_t max_key_package_lifetime_days = 91;

  friend bool operator==(const DsConfig&, const DsConfig&) = default;
};

// config_keys: the [mls] keys of the configuration file, each filling a member of DsConfig
// (ds_config_keys.cpp).
const ConfigTable<DsConfig>& config_keys();

struct DsEnv {
  const Services* services = nullptr;  // the process's one Services; outlives the service
  // Shortcuts to the clock and ids of `services`.
  TimePoint now() const { return services->now(); }
  std::string new_id() const { return services->new_id(); }

  std::string domain;  // the service's JID
  MlsStore* store = nullptr;
  // The rooms' archive: commits and service proposals are archived with the room's messages
  // (MAM). Null: not archived.
  ArchiveStore* archive = nullptr;
  // Several instances (docs/cluster.md): the fence a commit to this room is stored under, or
  // nullopt when this instance does not sequence the room now (the commit is refused with a
  // wait error and the client retries). Unset: one instance, no fence.
  std::function<std::optional<Fence>(const RoomJid& room)> fence_for;
  // Called when the store refused a commit as fenced: this instance was deposed.
  std::function<void()> on_fenced;
  // Called when a commit is stored, before its fan-out, answer or Welcomes leave: the fault
  // suite's way to die exactly there (tests/cluster, CONCLAVE_FAULT_EXIT_AFTER_COMMITS).
  std::function<void()> after_accept;
};

}  // namespace conclave::component::ds
