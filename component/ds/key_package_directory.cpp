#include "component/ds/key_package_directory.h"

#include <algorithm>
#include <memory>

#include "base/base64.h"
#include "component/ds/identity.h"
#include "component/ds/key_package_check.h"
#include "component/ds/mls_ns.h"

namespace conclave::component::ds {

using xmpp::Element;
using xmpp::StanzaCondition;
using xmpp::StanzaError;

namespace {

// Lifetimes run to 2^64-1 seconds; system_clock (nanoseconds in 64 bits) ends in 2262.
constexpr std::uint64_t kMaxSeconds = 8'000'000'000;  // year 2223

TimePoint to_time(std::uint64_t seconds) {
  return TimePoint(std::chrono::seconds(std::min(seconds, kMaxSeconds)));
}

std::uint64_t to_seconds(TimePoint t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return s < 0 ? 0 : static_cast<std::uint64_t>(s);
}

StanzaError rate_limited() {
  return StanzaError{StanzaCondition::policy_violation, xmpp::ErrorType::wait,
                     "Too many requests; try again later", std::nullopt};
}

}  // namespace

KeyPackageDirectory::KeyPackageDirectory(const DsConfig& config, DsEnv& env,
                                         const ServiceIdentity& identity)
    : config_(config),
      env_(env),
      identity_(identity),
      uploads_(2 * config.uploads_per_minute, config.uploads_per_minute),
      claimers_(2 * config.claims_per_minute, config.claims_per_minute),
      claimed_(2 * config.claims_per_minute, config.claims_per_minute) {}

void KeyPackageDirectory::reply_error(const Element& iq, const StanzaError& e) {
  if (auto r = xmpp::error_reply(iq, e)) env_.services->out->send(std::move(*r));
}

void KeyPackageDirectory::internal_error(const Element& iq, const std::string& what,
                                         std::error_code ec) {
  if (env_.services->log) env_.services->log(LogLevel::error, what + ": " + ec.message());
  reply_error(iq, StanzaError{StanzaCondition::internal_server_error, xmpp::ErrorType::wait,
                              "The store is unavailable", std::nullopt});
}

void KeyPackageDirectory::handle(const Element& iq, const xmpp::Jid& from) {
  const Element& q = *xmpp::iq_payload(iq);
  const xmpp::IqType type = xmpp::iq_type_of(iq);
  const std::string owner = from.bare_string();
  if (type == xmpp::IqType::get && q.name() == "external-sender") {
    Element answer("external-sender", std::string(kMlsNs));
    answer.set_text(base64_encode(identity_.encoded_entry()));
    env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
  } else if (type == xmpp::IqType::set && q.name() == "key-packages") {
    upload(iq, q, owner);
  } else if (type == xmpp::IqType::get && q.name() == "key-packages") {
    count(iq, q, owner);
  } else if (type == xmpp::IqType::get && q.name() == "claim") {
    claim(iq, q, owner);
  } else if (type == xmpp::IqType::set && q.name() == "delete-key-packages") {
    delete_packages(iq, q, owner);
  } else if (type == xmpp::IqType::get && q.name() == "devices") {
    list_devices(iq, owner);
  } else if (type == xmpp::IqType::set && q.name() == "retire-device") {
    retire(iq, q, owner);
  } else if (type == xmpp::IqType::get && q.name() == "rooms") {
    list_rooms(iq, owner);
  } else {
    reply_error(iq, StanzaError::of(StanzaCondition::service_unavailable));
  }
}

void KeyPackageDirectory::upload(const Element& iq, const Element& q, const std::string& owner) {
  const auto items = q.children_named("key-package", kMlsNs);
  if (items.empty()) {
    reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "No <key-package/>"));
    return;
  }
  if (items.size() > config_.max_key_packages + 1) {
    reply_error(iq, StanzaError::of(StanzaCondition::resource_constraint,
                                    "More key packages than the service keeps per user"));
    return;
  }
  if (!uploads_.allow(owner, env_.now())) {
    reply_error(iq, rate_limited());
    return;
  }
  const TimePoint now = env_.now();
  std::vector<KeyPackageRecord> batch;
  std::size_t last_resort = 0;
  for (const Element* item : items) {
    const bool lr = item->attr_or("last-resort") == "true" || item->attr_or("last-resort") == "1";
    last_resort += lr ? 1 : 0;
    auto checked = check_key_package(item->text_content(), owner, to_seconds(now), lr,
                                     config_.max_key_package_lifetime_days * 86400);
    if (!checked) {
      reply_error(iq, checked.error());  // all or nothing: nothing is stored
      return;
    }
    batch.push_back({std::move(checked->ref), std::move(checked->message), lr,
                     to_time(checked->not_after), std::move(checked->device)});
  }
  if (last_resort > 1) {
    reply_error(iq, invalid_key_package("at most one last-resort package"));
    return;
  }
  // KP-8: one upload comes from one device (the others' packages are theirs to replace).
  for (const KeyPackageRecord& kp : batch) {
    if (kp.device != batch.front().device) {
      reply_error(iq, invalid_key_package("the packages of one upload name one device"));
      return;
    }
  }
  MlsStore* store = env_.store;
  const std::size_t limit = config_.max_key_packages;
  const std::size_t n = batch.size();
  run_blocking<Result<KeyPackageUpload>>(
      *env_.services->runner,
      [store, owner, batch = std::move(batch), limit, now] {
        return store->store_key_packages(owner, batch, limit, now);
      },
      [this, iq, n](Result<KeyPackageUpload> r) {
        if (!r) {
          internal_error(iq, "storing key packages", r.error());
          return;
        }
        switch (*r) {
          case KeyPackageUpload::stored: {
            Element answer("key-packages", std::string(kMlsNs));
            answer.set_attr("stored", std::to_string(n));
            env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
            return;
          }
          case KeyPackageUpload::limit_exceeded:
            reply_error(iq, StanzaError::of(StanzaCondition::resource_constraint,
                                            "The service keeps at most " +
                                                std::to_string(config_.max_key_packages) +
                                                " key packages per user"));
            return;
          case KeyPackageUpload::duplicate_ref:
            reply_error(
                iq, StanzaError::of(StanzaCondition::conflict, "A key package is already stored"));
            return;
        }
      });
}

void KeyPackageDirectory::count(const Element& iq, const Element& q, const std::string& owner) {
  // With `device`, that device's packages only: each device keeps its own stock (§6.3).
  std::optional<std::string> device;
  if (const std::string* d = q.attr("device")) {
    if (!is_device_id(*d)) {
      reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "Not a device id"));
      return;
    }
    device = *d;
  }
  MlsStore* store = env_.store;
  const TimePoint now = env_.now();
  run_blocking<Result<KeyPackageCount>>(
      *env_.services->runner,
      [store, owner, device, now] {
        return device ? store->count_device_key_packages(owner, *device, now)
                      : store->count_key_packages(owner, now);
      },
      [this, iq](Result<KeyPackageCount> r) {
        if (!r) {
          internal_error(iq, "counting key packages", r.error());
          return;
        }
        Element answer("key-packages", std::string(kMlsNs));
        answer.set_attr("count", std::to_string(r->count));
        answer.set_attr("last-resort", r->last_resort ? "true" : "false");
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

void KeyPackageDirectory::claim(const Element& iq, const Element& q, const std::string& claimer) {
  auto target = xmpp::Jid::parse(q.attr_or("jid"));
  if (!target || target->node().empty()) {
    reply_error(iq, StanzaError::of(StanzaCondition::jid_malformed));
    return;
  }
  const std::string owner = target->bare_string();
  const TimePoint now = env_.now();
  // Both buckets must allow it; checking the claimer first keeps one flooder from spending
  // the target's tokens.
  if (!claimers_.allow(claimer, now) || !claimed_.allow(owner, now)) {
    reply_error(iq, rate_limited());
    return;
  }
  MlsStore* store = env_.store;
  run_blocking<Result<std::vector<KeyPackageRecord>>>(
      *env_.services->runner, [store, owner, now] { return store->claim_key_packages(owner, now); },
      [this, iq, owner](Result<std::vector<KeyPackageRecord>> r) {
        if (!r) {
          internal_error(iq, "claiming key packages", r.error());
          return;
        }
        if (r->empty()) {
          reply_error(iq, StanzaError::of(StanzaCondition::item_not_found,
                                          "No key package left for this JID"));
          return;
        }
        // One package per device (docs/protocol.md §6.4), so an invite adds every device.
        Element answer("key-packages", std::string(kMlsNs));
        answer.set_attr("jid", owner);
        for (const KeyPackageRecord& kp : *r) {
          Element& item = answer.add_child("key-package", std::string(kMlsNs));
          item.set_text(base64_encode(kp.key_package));
          item.set_attr("device", kp.device);
          if (kp.last_resort) item.set_attr("last-resort", "true");
        }
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

void KeyPackageDirectory::delete_packages(const Element& iq, const Element& q,
                                          const std::string& owner) {
  std::vector<Blob> refs;
  for (const Element* ref : q.children_named("ref", kMlsNs)) {
    auto bytes = base64_decode(ref->text_content());
    if (!bytes || bytes->empty() || bytes->size() > 64) {
      reply_error(iq,
                  StanzaError::of(StanzaCondition::bad_request, "<ref/> is not a KeyPackageRef"));
      return;
    }
    refs.push_back(std::move(*bytes));
  }
  std::optional<std::string> device;
  if (auto d = q.attr("device")) {
    if (!is_device_id(*d)) {
      reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "Not a device id"));
      return;
    }
    device = std::string(*d);
  }
  if (refs.empty() && !device) {
    reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "Nothing to delete"));
    return;
  }
  if (refs.size() > config_.max_key_packages + 1) {
    reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "Too many <ref/>"));
    return;
  }
  // Counted with uploads: deleting and uploading again is one way to churn the store.
  if (!uploads_.allow(owner, env_.now())) {
    reply_error(iq, rate_limited());
    return;
  }
  MlsStore* store = env_.store;
  run_blocking<Result<std::size_t>>(
      *env_.services->runner,
      [store, owner, refs = std::move(refs), device] {
        return store->delete_key_packages(owner, refs, device);
      },
      [this, iq](Result<std::size_t> r) {
        if (!r) {
          internal_error(iq, "deleting key packages", r.error());
          return;
        }
        Element answer("delete-key-packages", std::string(kMlsNs));
        answer.set_attr("deleted", std::to_string(*r));
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

void KeyPackageDirectory::list_devices(const Element& iq, const std::string& owner) {
  MlsStore* store = env_.store;
  const TimePoint now = env_.now();
  run_blocking<Result<std::vector<DeviceRecord>>>(
      *env_.services->runner, [store, owner, now] { return store->devices(owner, now); },
      [this, iq](Result<std::vector<DeviceRecord>> r) {
        if (!r) {
          internal_error(iq, "listing devices", r.error());
          return;
        }
        Element answer("devices", std::string(kMlsNs));
        for (const DeviceRecord& d : *r) {
          Element& item = answer.add_child("device", std::string(kMlsNs));
          item.set_attr("id", d.device);
          item.set_attr("count", std::to_string(d.one_time));
          item.set_attr("last-resort", d.last_resort ? "true" : "false");
        }
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

void KeyPackageDirectory::retire(const Element& iq, const Element& q, const std::string& owner) {
  const std::string device(q.attr_or("id"));
  if (!is_device_id(device)) {
    reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "Not a device id"));
    return;
  }
  MlsStore* store = env_.store;
  run_blocking<Result<bool>>(
      *env_.services->runner,
      [store, owner, device] { return store->retire_device(owner, device); },
      [this, iq, owner, device](Result<bool> r) {
        if (!r) {
          internal_error(iq, "retiring a device", r.error());
          return;
        }
        if (!*r) {
          reply_error(iq, StanzaError::of(StanzaCondition::item_not_found, "No such device"));
          return;
        }
        Element answer("retire-device", std::string(kMlsNs));
        answer.set_attr("id", device);
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
        if (on_retired) on_retired(owner, device);  // the Removes in every room (BR-14)
      });
}

void KeyPackageDirectory::list_rooms(const Element& iq, const std::string& owner) {
  MlsStore* store = env_.store;
  run_blocking<Result<std::vector<RoomDevice>>>(
      *env_.services->runner, [store, owner] { return store->rooms_of(owner); },
      [this, iq](Result<std::vector<RoomDevice>> r) {
        if (!r) {
          internal_error(iq, "listing rooms", r.error());
          return;
        }
        Element answer("rooms", std::string(kMlsNs));
        for (const RoomDevice& rd : *r) {
          Element& item = answer.add_child("room", std::string(kMlsNs));
          item.set_attr("jid", rd.room.str());
          item.set_attr("device", rd.device);
        }
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

}  // namespace conclave::component::ds
