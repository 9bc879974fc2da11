#pragma once
// PgMlsStore: component::MlsStore on PostgreSQL (schema/0002_mls.sql: the group row is the
// room's row in `rooms`, so a group needs its room row and goes with it). Every call blocks on a
// pooled connection: call it from a database thread only (component/core/blocking_runner.h).
// Statements are prepared once per connection (by name, on first use).
#include "component/store/mls_store.h"
#include "db/connection_pool.h"

namespace conclave::db {

class PgMlsStore : public component::MlsStore {
 public:
  // `pool` must outlive the store.
  explicit PgMlsStore(ConnectionPool& pool) : pool_(pool) {}

  component::Result<component::KeyPackageUpload> store_key_packages(
      const std::string& owner, const std::vector<component::KeyPackageRecord>& batch,
      std::size_t limit, component::TimePoint now) override;
  component::Result<component::KeyPackageCount> count_device_key_packages(
      const std::string& owner, const std::string& device, component::TimePoint now) override;
  component::Result<component::KeyPackageCount> count_key_packages(
      const std::string& owner, component::TimePoint now) override;
  component::Result<std::vector<component::KeyPackageRecord>> claim_key_packages(
      const std::string& owner, component::TimePoint now) override;
  component::Result<std::size_t> delete_key_packages(
      const std::string& owner, const std::vector<component::Blob>& refs,
      const std::optional<std::string>& device) override;
  component::Result<std::vector<component::DeviceRecord>> devices(
      const std::string& owner, component::TimePoint now) override;
  component::Result<bool> retire_device(const std::string& owner,
                                        const std::string& device) override;
  component::Result<std::vector<component::RoomDevice>> rooms_of(
      const std::string& identity) override;
  component::Result<std::size_t> index_members(
      const component::RoomJid& room, const std::vector<component::MemberLeaf>& members) override;
  component::Result<std::vector<std::uint32_t>> unlisted_leaves(
      const component::RoomJid& room) override;
  component::Result<std::size_t> purge_expired_key_packages(component::TimePoint now) override;

  component::Status create_group(const component::MlsGroupRecord& group) override;
  component::Result<std::optional<component::MlsGroupRecord>> load_group(
      const component::RoomJid& room) override;
  component::Result<component::CommitResult> accept_commit(
      const component::RoomJid& room, component::Epoch expected_epoch,
      const component::MlsCommitRecord& commit,
      const std::vector<component::MlsNodeChange>& changed_nodes,
      std::uint32_t leaf_count) override;
  component::Result<component::MlsCommitPage> commits_since(const component::RoomJid& room,
                                                            component::Epoch since,
                                                            std::size_t limit) override;

  component::Result<component::ProposalResult> add_proposal(
      const component::RoomJid& room, const component::MlsProposalRecord& proposal) override;
  component::Result<std::vector<component::MlsProposalRecord>> pending_proposals(
      const component::RoomJid& room) override;

  component::Result<std::vector<component::WelcomeDelivery>> unsent_welcomes(
      std::size_t limit) override;
  component::Status mark_welcome_sent(std::int64_t id) override;
  component::Result<std::optional<component::WelcomeDelivery>> latest_welcome(
      const component::RoomJid& room, const std::string& recipient) override;
  component::Result<std::vector<component::FanoutDelivery>> unsent_fanouts(
      std::size_t limit) override;
  component::Status mark_fanout_sent(const component::RoomJid& room,
                                     component::Epoch epoch) override;

  component::Result<component::ExternalSenderKey> external_sender_key(
      const component::ExternalSenderKey& candidate) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace conclave::db
