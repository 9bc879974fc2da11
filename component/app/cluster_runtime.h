#pragma once
// ClusterRuntime: runs this instance's part of a cluster (docs/cluster.md) inside `conclave run`:
// the LeaseKeeper's timer, the LISTEN thread that wakes it, the switch between standby and
// active, and the stanza hand-off. main.cpp gives it hooks for what becoming active or standby
// means (load the rooms and connect; disconnect and forget them).
//
// States: standby -> activating (leader shard taken; rooms loading) -> active -> standby (leader
// shard lost, or released at shutdown). Only an active instance dispatches stanzas; one that is
// not queues every stanza it still receives for the active one, in arrival order.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "component/cluster/cluster_config.h"
#include "component/cluster/lease_keeper.h"
#include "component/core/services.h"
#include "component/store/handoff_store.h"
#include "db/notification_listener.h"
#include "xmpp/element.h"

namespace conclave::component {

class ClusterRuntime {
 public:
  struct Hooks {
    // Load what the previous active instance left and connect; call `done` once serving.
    std::function<void(std::function<void()> done)> become_active;
    // Stop serving at once: close the connection, forget the rooms (no stanza to anyone: the
    // new active instance serves them now).
    std::function<void()> become_standby;
    // Stop handling stanzas but keep the connection (a graceful shutdown: the caller closes it
    // a moment later, once its last stanzas are written; what arrives meanwhile is handed to the
    // next active instance). Unset: become_standby.
    std::function<void()> stop_serving;
    // A stanza another instance handed over (in the component namespace).
    std::function<void(xmpp::Element)> dispatch;
  };

  ClusterRuntime(boost::asio::io_context& io, const cluster::ClusterConfig& config,
                 std::string holder, std::string conninfo, LeaseStore& leases,
                 HandoffStore& handoff, Services& services, Hooks hooks);
  ~ClusterRuntime();

  void start();
  // check_now: steps the leases at once (the store refused a write as fenced: find out now).
  void check_now() { tick_now(); }
  // Stops serving and gives the leases up (graceful shutdown: a standby takes over at once,
  // while this instance's connection, which the caller closes, still hands off what reaches
  // it), then `done`.
  void shutdown(std::function<void()> done);

  // Whether stanzas may be handled here now (the leader lease is held and within its deadline).
  bool serving() const { return state_ == State::active && keeper_.active(); }
  // A stanza received while not serving: queued for the active instance, in order.
  void hand_off(const xmpp::Element& stanza);
  std::optional<Fence> fence_for(std::string_view room) const;

  const cluster::LeaseKeeper& keeper() const { return keeper_; }
  std::uint64_t handed_off() const { return handed_off_; }
  std::uint64_t taken_over() const { return taken_over_; }

 private:
  enum class State { standby, activating, active };

  void tick();
  void tick_now();
  void schedule();
  void on_gained(const std::vector<Lease>& gained);
  void on_lost();
  void drain();
  void flush_hand_offs();

  boost::asio::io_context& io_;
  cluster::ClusterConfig config_;
  LeaseStore& leases_;
  HandoffStore& handoff_;
  Services& services_;
  Hooks hooks_;
  cluster::LeaseKeeper keeper_;
  boost::asio::steady_timer timer_;
  std::string conninfo_;
  std::unique_ptr<db::NotificationListener> listener_;
  State state_ = State::standby;
  bool draining_ = false;
  bool stopping_ = false;
  std::deque<std::string> to_hand_off_;
  bool handing_off_ = false;
  std::uint64_t handed_off_ = 0;
  std::uint64_t taken_over_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace conclave::component
