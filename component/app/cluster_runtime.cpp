#include "component/app/cluster_runtime.h"

#include <boost/asio/post.hpp>

#include "component/core/stanza_util.h"
#include "component/rooms/namespaces.h"
#include "db/pg_handoff_store.h"
#include "db/pg_lease_store.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component {

namespace {
constexpr std::size_t kTakeBatch = 100;
}

ClusterRuntime::ClusterRuntime(boost::asio::io_context& io, const cluster::ClusterConfig& config,
                               std::string holder, std::string conninfo, LeaseStore& leases,
                               HandoffStore& handoff, Services& services, Hooks hooks)
    : io_(io),
      config_(config),
      leases_(leases),
      handoff_(handoff),
      services_(services),
      hooks_(std::move(hooks)),
      keeper_(config.leases, std::move(holder), leases, services),
      timer_(io),
      conninfo_(std::move(conninfo)) {
  keeper_.on_gained = [this](const std::vector<Lease>& gained) { on_gained(gained); };
  keeper_.on_lost = [this](const std::vector<std::uint32_t>&) { on_lost(); };
}

ClusterRuntime::~ClusterRuntime() {
  *alive_ = false;
  if (listener_) listener_->stop();
}

void ClusterRuntime::start() {
  std::weak_ptr<bool> alive = alive_;
  // Notifications arrive on the listener's thread; everything they cause runs on the I/O
  // thread. A released lease: try to take it now; handed-off stanzas: take them now.
  listener_ = std::make_unique<db::NotificationListener>(
      conninfo_, std::vector<std::string>{db::kLeaseReleasedChannel, db::kHandoffChannel},
      [this, alive](const std::string& channel) {
        boost::asio::post(io_, [this, alive, channel] {
          if (alive.expired()) return;
          if (channel == db::kHandoffChannel) {
            drain();
          } else {
            keeper_.step();
          }
        });
      },
      [this](const std::string& line) {
        if (services_.log) services_.log(LogLevel::warn, line);
      });
  tick();
}

void ClusterRuntime::schedule() {
  // Often enough to renew on time and to notice a free lease within one poll.
  auto every = std::min(config_.poll, config_.leases.renew_every / 2);
  timer_.expires_after(every);
  std::weak_ptr<bool> alive = alive_;
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired() || stopping_) return;
    tick();
  });
}

void ClusterRuntime::tick() {
  tick_now();
  if (state_ == State::active) drain();
  flush_hand_offs();
  schedule();
}

void ClusterRuntime::tick_now() {
  keeper_.step();
  // A deadline that passed without a renewal is noticed here at the latest.
  if (state_ != State::standby && !keeper_.active()) on_lost();
}

void ClusterRuntime::on_gained(const std::vector<Lease>& gained) {
  bool leader = false;
  for (const Lease& l : gained) leader = leader || l.shard == cluster::kLeaderShard;
  if (!leader || state_ != State::standby || stopping_) return;
  state_ = State::activating;
  if (services_.log) {
    services_.log(LogLevel::info, "cluster: taking over as the active instance (term " +
                                      std::to_string(gained.front().term) + ")");
  }
  std::weak_ptr<bool> alive = alive_;
  hooks_.become_active([this, alive] {
    if (alive.expired() || state_ != State::activating) return;
    state_ = State::active;
    ++taken_over_;
    if (services_.log) services_.log(LogLevel::info, "cluster: active");
    drain();
  });
}

void ClusterRuntime::on_lost() {
  if (state_ == State::standby || keeper_.active()) return;
  state_ = State::standby;
  if (services_.log) services_.log(LogLevel::warn, "cluster: no longer active; standing by");
  hooks_.become_standby();
}

void ClusterRuntime::drain() {
  if (draining_ || state_ != State::active || !keeper_.active()) return;
  draining_ = true;
  HandoffStore* store = &handoff_;
  std::weak_ptr<bool> alive = alive_;
  run_blocking<Result<std::vector<HandedStanza>>>(
      *services_.runner, [store] { return store->take(kTakeBatch); },
      [this, alive](Result<std::vector<HandedStanza>> got) {
        if (alive.expired()) return;
        draining_ = false;
        if (!got) {
          if (services_.log) {
            services_.log(LogLevel::warn,
                          "cluster: taking handed-off stanzas failed: " + got.error().message());
          }
          return;
        }
        if (!got->empty() && services_.log) {
          services_.log(LogLevel::debug, "cluster: handling " + std::to_string(got->size()) +
                                             " handed-off stanza(s)");
        }
        for (const HandedStanza& h : *got) {
          auto parsed = parse_stanza_xml(h.stanza);
          if (!parsed) continue;  // written by us; cannot happen short of a corrupted row
          hooks_.dispatch(with_namespace(std::move(*parsed), ns::kClient, xmpp::ns::kComponent));
        }
        if (got->size() == kTakeBatch) drain();
      });
}

void ClusterRuntime::hand_off(const xmpp::Element& stanza) {
  if (services_.log) {
    services_.log(LogLevel::debug, "cluster: not serving; handing a " + stanza.name() + " off");
  }
  to_hand_off_.push_back(
      xmpp::to_string(with_namespace(stanza, xmpp::ns::kComponent, ns::kClient)));
  flush_hand_offs();
}

void ClusterRuntime::flush_hand_offs() {
  // One batch in flight at a time, so the queue keeps the order the stanzas arrived in.
  if (handing_off_ || to_hand_off_.empty()) return;
  handing_off_ = true;
  std::vector<std::string> batch(to_hand_off_.begin(), to_hand_off_.end());
  to_hand_off_.clear();
  HandoffStore* store = &handoff_;
  std::weak_ptr<bool> alive = alive_;
  run_blocking<Status>(
      *services_.runner,
      [store, batch, me = keeper_.holder()] { return store->hand_off(batch, me); },
      [this, alive, batch](Status s) {
        if (alive.expired()) return;
        handing_off_ = false;
        if (!s) {
          // Keep them, in front, and retry at the next tick: the database may be restarting.
          to_hand_off_.insert(to_hand_off_.begin(), batch.begin(), batch.end());
          if (services_.log) {
            services_.log(LogLevel::warn,
                          "cluster: handing stanzas over failed: " + s.error().message());
          }
          return;
        }
        handed_off_ += batch.size();
        if (services_.log) {
          services_.log(LogLevel::info, "cluster: handed " + std::to_string(batch.size()) +
                                            " stanza(s) to the active instance");
        }
        flush_hand_offs();
      });
}

std::optional<Fence> ClusterRuntime::fence_for(std::string_view room) const {
  if (state_ != State::active) return std::nullopt;
  auto lease = keeper_.fence_for(room);
  if (!lease) return std::nullopt;
  return Fence{keeper_.holder(), *lease};
}

void ClusterRuntime::shutdown(std::function<void()> done) {
  stopping_ = true;
  timer_.cancel();
  const bool was_serving = state_ != State::standby;
  state_ = State::standby;
  if (was_serving) (hooks_.stop_serving ? hooks_.stop_serving : hooks_.become_standby)();
  std::weak_ptr<bool> alive = alive_;
  keeper_.release_all([alive, done = std::move(done)] {
    if (!alive.expired()) done();
  });
}

}  // namespace conclave::component
