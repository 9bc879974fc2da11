#include "component/ds/key_package_directory.h"

#include <algorithm>
#include <memory>

#include "base/base64.h"
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
    count(iq, owner);
  } else if (type == xmpp::IqType::get && q.name() == "claim") {
    claim(iq, q, owner);
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
    auto checked = check_key_package(item->text_content(), owner, to_seconds(now), lr);
    if (!checked) {
      reply_error(iq, checked.error());  // all or nothing: nothing is stored
      return;
    }
    batch.push_back(
        {std::move(checked->ref), std::move(checked->message), lr, to_time(checked->not_after)});
  }
  if (last_resort > 1) {
    reply_error(iq, invalid_key_package("at most one last-resort package"));
    return;
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

void KeyPackageDirectory::count(const Element& iq, const std::string& owner) {
  MlsStore* store = env_.store;
  const TimePoint now = env_.now();
  run_blocking<Result<KeyPackageCount>>(
      *env_.services->runner, [store, owner, now] { return store->count_key_packages(owner, now); },
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
  run_blocking<Result<std::optional<KeyPackageRecord>>>(
      *env_.services->runner, [store, owner, now] { return store->claim_key_package(owner, now); },
      [this, iq](Result<std::optional<KeyPackageRecord>> r) {
        if (!r) {
          internal_error(iq, "claiming a key package", r.error());
          return;
        }
        if (!*r) {
          reply_error(iq, StanzaError::of(StanzaCondition::item_not_found,
                                          "No key package left for this JID"));
          return;
        }
        Element answer("key-package", std::string(kMlsNs));
        answer.set_text(base64_encode((*r)->key_package));
        if ((*r)->last_resort) answer.set_attr("last-resort", "true");
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

}  // namespace conclave::component::ds
