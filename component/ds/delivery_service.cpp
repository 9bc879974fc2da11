#include "component/ds/delivery_service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "base/base64.h"
#include "component/ds/application_check.h"
#include "component/ds/commit_check.h"
#include "component/ds/create_check.h"
#include "component/ds/identity.h"
#include "component/ds/mls_ns.h"
#include "component/rooms/namespaces.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::component::ds {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;
using xmpp::StanzaError;

namespace {

constexpr std::string_view kHintsNs = "urn:xmpp:hints";  // XEP-0334
constexpr std::size_t kWelcomeBatch = 100;

std::string hex16(const mls::Bytes& b) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size() && i < 16; ++i) {
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

// The commit chain (docs/protocol.md §6.7) travels as a `chain` attribute, base64.
Element& with_chain(Element& e, const mls::Bytes& chain) {
  if (!chain.empty()) e.set_attr("chain", base64_encode(chain));
  return e;
}

std::optional<std::string_view> child_text_view(const Element& q, std::string_view name,
                                                std::string& holder) {
  const Element* c = q.child(name, kMlsNs);
  if (c == nullptr) return std::nullopt;
  holder = c->text_content();
  return std::string_view(holder);
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::uint64_t seconds_of(TimePoint t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return s < 0 ? 0 : static_cast<std::uint64_t>(s);
}

}  // namespace

DeliveryService::DeliveryService(DsConfig config, DsEnv env, ServiceIdentity identity)
    : config_(config),
      env_(std::move(env)),
      identity_(std::move(identity)),
      directory_(config_, env_, identity_),
      room_requests_(2 * config_.room_requests_per_minute, config_.room_requests_per_minute) {
  directory_.on_retired = [this](const std::string& owner, const std::string& device) {
    device_retired(owner, device);
  };
}

// ---------------------------------------------------------------------------------------------
// Hooks.

bool DeliveryService::on_service_iq(const Element& stanza) {
  if (xmpp::kind_of(stanza) != xmpp::StanzaKind::iq || !xmpp::is_iq_request(stanza)) return false;
  const Element* q = xmpp::iq_payload(stanza);
  if (q == nullptr || q->ns() != kMlsNs) return false;
  auto from = xmpp::from_jid(stanza);
  if (!from) return false;
  directory_.handle(stanza, *from);
  return true;
}

void DeliveryService::describe_service(xmpp::DiscoInfo& info) const { info.add_feature(kMlsNs); }

void DeliveryService::describe_room(const GroupHost& room, xmpp::DiscoInfo& info,
                                    xmpp::DataForm& form) const {
  info.add_feature(kMlsNs);
  auto it = rooms_.find(room.room_jid());
  if (it == rooms_.end() || !it->second.group) return;
  form.add("{urn:xmpp:mls:0}epoch", xmpp::FieldType::text_single, "MLS epoch",
           {std::to_string(it->second.group->epoch().value())});
}

bool DeliveryService::intercept_iq(GroupHost& room, const Element& stanza, const Jid& from,
                                   const Jid& to) {
  if (!xmpp::is_iq_request(stanza)) return false;
  const Element& q = *xmpp::iq_payload(stanza);
  const bool ours = q.ns() == kMlsNs;
  const bool disco = q.is("query", xmpp::ns::kDiscoInfo);
  if (!ours && !disco) return false;
  if (!ensure_loaded(room, &stanza,
                     [&room, stanza, from, to] { room.reprocess(stanza, from, to); })) {
    return true;
  }
  if (!ours) return false;  // disco#info: the room answers, describe_room adds the epoch
  const std::string sender = from.bare_string();
  // Counted here, once the state is loaded: a request that waited for the load comes back
  // through this function and is counted on that pass only.
  if (!admit_room_request(stanza, sender, room.jid().bare_string())) return true;
  if (!room.policy().may_be_in_group(sender)) {
    reply_error(stanza, StanzaError::of(StanzaCondition::forbidden, "The room does not allow you"));
    return true;
  }
  const xmpp::IqType type = xmpp::iq_type_of(stanza);
  if (type == xmpp::IqType::set && q.name() == "create") {
    on_create(room, stanza, q, sender);
  } else if (type == xmpp::IqType::get && q.name() == "group-info") {
    on_group_info(room, stanza, sender);
  } else if (type == xmpp::IqType::set && q.name() == "commit") {
    on_commit(room, stanza, q, sender);
  } else if (type == xmpp::IqType::get && q.name() == "commits") {
    on_commits(room, stanza, q, sender);
  } else if (type == xmpp::IqType::get && q.name() == "welcome") {
    on_welcome(room, stanza, sender);
  } else if (type == xmpp::IqType::set && q.name() == "retire-device") {
    on_retire_device(room, stanza, q, sender);
  } else {
    reply_error(stanza, StanzaError::of(StanzaCondition::service_unavailable));
  }
  return true;
}

bool DeliveryService::admit_groupchat(GroupHost& room, const Element& stanza, const Jid& from,
                                      const Jid& to) {
  if (!ensure_loaded(room, &stanza,
                     [&room, stanza, from, to] { room.reprocess(stanza, from, to); })) {
    return false;
  }
  const Entry* e = find(room.room_jid());
  const RoomGroup* group = e != nullptr && e->group ? &*e->group : nullptr;
  auto ok = check_groupchat(group, stanza, from.bare_string(), config_.epoch_window);
  if (!ok) {
    reply_error(stanza, ok.error());
    return false;
  }
  return true;
}

void DeliveryService::membership_changed(GroupHost& room) { reconcile(room); }

void DeliveryService::forget(const RoomJid& room) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  lru_.erase(it->second.lru);
  rooms_.erase(it);
}

void DeliveryService::forget_all() {
  rooms_.clear();
  lru_.clear();
}

std::optional<Epoch> DeliveryService::epoch_of(const RoomJid& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end() || !it->second.group) return std::nullopt;
  return it->second.group->epoch();
}

std::optional<Epoch> DeliveryService::epoch_of(std::string_view room) const {
  auto parsed = RoomJid::parse(room);
  return parsed ? epoch_of(*parsed) : std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The cache.

DeliveryService::Entry* DeliveryService::find(const RoomJid& room) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

void DeliveryService::install(const RoomJid& room, std::optional<RoomGroup> group) {
  forget(room);
  while (!lru_.empty() && rooms_.size() >= std::max<std::size_t>(1, config_.group_cache)) {
    rooms_.erase(lru_.back());  // the store holds it; the next stanza reloads it
    lru_.pop_back();
  }
  lru_.push_front(room);
  rooms_.emplace(room, Entry{std::move(group), lru_.begin()});
}

bool DeliveryService::ensure_loaded(GroupHost& room, const Element* stanza,
                                    std::function<void()> then, std::function<void()> on_fail) {
  const RoomJid bare = room.room_jid();
  if (find(bare) != nullptr) return true;
  MlsStore* store = env_.store;
  std::optional<Element> request;
  if (stanza != nullptr) request = *stanza;
  using Loaded = Result<std::optional<RoomGroup>>;  // nullopt: the room has no group
  room.queue().await<Loaded>(
      [store, bare]() -> Loaded {
        auto rec = store->load_group(bare);
        if (!rec) return fail(rec.error());
        if (!*rec) return std::optional<RoomGroup>();
        auto pending = store->pending_proposals(bare);
        if (!pending) return fail(pending.error());
        auto g = group_from_record(**rec, *pending);  // decoding off the I/O thread
        if (!g) return fail(g.error());
        if (!(*rec)->members_indexed) {
          // A group stored before schema 0006: its membership index (docs/protocol.md §6.13,
          // <rooms/>, BR-14) is filled from the tree now. A failure is retried at the next
          // load; the group itself loads either way.
          (void)store->index_members(bare, members_of(g->group.tree()));
        }
        return std::optional<RoomGroup>(std::move(*g));
      },
      [this, bare, request, then = std::move(then), on_fail = std::move(on_fail)](Loaded s) {
        if (!s) {
          log(LogLevel::error,
              "loading the MLS group of " + bare.str() + " failed: " + s.error().message());
          if (request) {
            reply_error(*request,
                        StanzaError{StanzaCondition::internal_server_error, xmpp::ErrorType::wait,
                                    "The group state is unavailable", std::nullopt});
          }
          if (on_fail) on_fail();
          return;
        }
        install(bare, std::move(*s));
        then();
      });
  return false;
}

// ---------------------------------------------------------------------------------------------
// Room IQs.

void DeliveryService::on_create(GroupHost& room, const Element& iq, const Element& q,
                                const std::string& sender) {
  const RoomPolicy policy = room.policy();
  if (policy.affiliation(sender) < Affiliation::admin) {
    reply_error(iq, StanzaError::of(StanzaCondition::forbidden,
                                    "Only the room's owners and admins create its group"));
    return;
  }
  const RoomJid bare = room.room_jid();
  if (find(bare)->group) {
    reply_error(iq, StanzaError::of(StanzaCondition::conflict, "The room has a group"));
    return;
  }
  std::string gi_text, tree_holder;
  const Element* gi = q.child("group-info", kMlsNs);
  if (gi == nullptr) {
    reply_error(iq, invalid_commit("no <group-info/>"));
    return;
  }
  gi_text = gi->text_content();
  auto tree = child_text_view(q, "ratchet-tree", tree_holder);
  auto checked = check_create(bare, gi_text, tree, sender, identity_, seconds_of(env_.now()),
                              config_.max_tree_leaves);
  if (!checked) {
    reply_error(iq, checked.error());
    return;
  }
  auto made = std::make_shared<CheckedCreate>(std::move(*checked));
  MlsStore* store = env_.store;
  room.queue().await<Status>(
      [store, made] { return store->create_group(made->record); },
      [this, &room, iq, bare, made](Status s) {
        if (!s) {
          if (s.error() == make_error_code(StoreErrc::conflict)) {
            reply_error(iq, StanzaError::of(StanzaCondition::conflict,
                                            "The room or the group id has a group already"));
            forget(bare);  // another instance may have created it: reload
            return;
          }
          if (s.error() == make_error_code(StoreErrc::unknown_device)) {
            reply_error(iq, unknown_device());  // CR-8
            return;
          }
          store_error(iq, "creating the MLS group of " + bare.str(), s.error());
          return;
        }
        Element answer("accepted", std::string(kMlsNs));
        answer.set_attr("epoch", "0");
        with_chain(answer, made->group.chain_hash);
        install(bare, std::move(made->group));
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
        log(LogLevel::info, "MLS group created in " + bare.str());
        room.group_created();
      });
}

void DeliveryService::on_group_info(GroupHost& room, const Element& iq, const std::string&) {
  const Entry* e = find(room.room_jid());
  if (!e->group) {
    reply_error(iq, StanzaError::of(StanzaCondition::item_not_found, "The room has no group"));
    return;
  }
  Element answer("group-info", std::string(kMlsNs));
  answer.set_attr("epoch", std::to_string(e->group->epoch().value()));
  with_chain(answer, e->group->chain_hash);
  answer.add_child("group-info", std::string(kMlsNs)).set_text(base64_encode(e->group->group_info));
  answer.add_child("ratchet-tree", std::string(kMlsNs))
      .set_text(base64_encode(e->group->group.tree().encode()));
  env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
}

void DeliveryService::on_welcome(GroupHost& room, const Element& iq, const std::string& sender) {
  const RoomJid bare = room.room_jid();
  if (!find(bare)->group) {
    reply_error(iq, StanzaError::of(StanzaCondition::item_not_found, "The room has no group"));
    return;
  }
  MlsStore* store = env_.store;
  room.queue().await<Result<std::optional<WelcomeDelivery>>>(
      [store, bare, sender] { return store->latest_welcome(bare, sender); },
      [this, iq, bare](Result<std::optional<WelcomeDelivery>> w) {
        if (!w) {
          store_error(iq, "reading a Welcome of " + bare.str(), w.error());
          return;
        }
        // Only the sender's own Welcomes: the one its other device took from offline storage.
        if (!*w || (*w)->welcome.empty()) {
          reply_error(iq, StanzaError::of(StanzaCondition::item_not_found,
                                          "No commit of this room added you"));
          return;
        }
        Element answer("welcome", std::string(kMlsNs));
        answer.set_attr("epoch", std::to_string((*w)->epoch.value()));
        with_chain(answer, (*w)->chain_hash);
        answer.set_text(base64_encode((*w)->welcome));
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

void DeliveryService::on_commits(GroupHost& room, const Element& iq, const Element& q,
                                 const std::string&) {
  const RoomJid bare = room.room_jid();
  if (!find(bare)->group) {
    reply_error(iq, StanzaError::of(StanzaCondition::item_not_found, "The room has no group"));
    return;
  }
  auto since = parse_u64(q.attr_or("since", "0"));
  if (!since) {
    reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "since: an epoch number"));
    return;
  }
  MlsStore* store = env_.store;
  room.queue().await<Result<MlsCommitPage>>(
      [store, bare, since = Epoch(*since)] {
        return store->commits_since(bare, since, kMaxCommitsPerPage);
      },
      [this, iq, bare](Result<MlsCommitPage> page) {
        if (!page) {
          store_error(iq, "reading the commits of " + bare.str(), page.error());
          return;
        }
        Element answer("commits", std::string(kMlsNs));
        if (page->more) answer.set_attr("more", "true");
        for (const MlsCommitEntry& c : page->commits) {
          with_chain(answer.add_child("commit", std::string(kMlsNs)), c.chain_hash)
              .set_attr("epoch", std::to_string(c.epoch.value()))
              .set_text(base64_encode(c.mls_message));
        }
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
      });
}

void DeliveryService::on_commit(GroupHost& room, const Element& iq, const Element& q,
                                const std::string& sender) {
  const RoomJid bare = room.room_jid();
  Entry* e = find(bare);
  if (!e->group) {
    reply_error(iq, StanzaError::of(StanzaCondition::item_not_found, "The room has no group"));
    return;
  }
  const Element* m = q.child("message", kMlsNs);
  if (m == nullptr) {
    reply_error(iq, invalid_commit("no <message/>"));
    return;
  }
  auto decoded = decode_commit(m->text_content());
  if (!decoded) {
    reply_error(iq, decoded.error());
    return;
  }
  const Epoch current = e->group->epoch();
  if (decoded->epoch != current) {
    if (decoded->epoch < current) {
      answer_stale(room, iq, sender, decoded->epoch, decoded->hash, current);
    } else {
      // A member ahead of this cache: another instance may have moved the group (docs/
      // cluster.md); read it from the store next time rather than insist on what we hold.
      reply_error(iq, commit_wrong_epoch(current));
      forget(bare);
    }
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::string welcome_holder, gi_holder;
  CommitInput input{sender, config_.max_tree_leaves, child_text_view(q, "welcome", welcome_holder),
                    child_text_view(q, "group-info", gi_holder)};
  auto checked = check_commit(*e->group, *decoded, input, room.policy(), identity_);
  if (!checked) {
    reply_error(iq, checked.error());
    return;
  }
  // A member commits as an occupant, as it speaks (XEP-0045 §7.4; a re-sent commit
  // already accepted gets its answer above, in or out of the room; checked after the commit's
  // own checks, so a bad commit gets the error that names what is wrong with it): a session the
  // room does not count as one (the service restarted or failed over and forgot it, XEP-0410 §3)
  // gets not-acceptable, enters again and reads what it missed before it moves the group on, so it
  // never leaves unread messages of epochs whose keys it would then have dropped. An external
  // commit (RFC 9420 §12.4.3.2) comes before entering and is exempt.
  if (const auto* pm = std::get_if<mls::PublicMessage>(&decoded->message.message);
      pm != nullptr && pm->content.sender.type() != mls::SenderType::new_member_commit) {
    auto from = xmpp::Jid::parse(iq.attr_or("from"));
    if (!from || !room.in_room(*from)) {
      reply_error(iq, StanzaError::of(StanzaCondition::not_acceptable,
                                      "You are not in the room: enter it, then commit"));
      return;
    }
  }
  auto c = std::make_shared<CheckedCommit>(std::move(*checked));
  if (env_.fence_for) {
    // docs/sequencing.md §A.4: stored under this instance's lease, checked by the store.
    auto fence = env_.fence_for(bare);
    if (!fence) {
      reply_error(iq, not_sequencing());
      return;
    }
    c->record.fence = std::move(*fence);
  }

  // The fan-out stanza, archived in the accept transaction (MlsCommitRecord::archived). Both its
  // ids come from the commit, so whoever sends it, first or again after a failover, sends the
  // same ones: the XEP-0359 stanza-id (unique in the room: a commit is accepted once) and the
  // message id.
  const std::string sid = "c" + hex16(decoded->hash);
  Element fanout = xmpp::make_stanza("message", "groupchat", bare.str(), "",
                                     "mls-commit-" + hex16(decoded->hash));
  with_chain(fanout.add_child("commit", std::string(kMlsNs)), c->record.chain_hash)
      .set_attr("epoch", std::to_string(decoded->epoch.value()))
      .set_text(base64_encode(decoded->wire));
  fanout.add_child("stanza-id", std::string(ns::kStanzaId))
      .set_attr("id", sid)
      .set_attr("by", bare.str());
  if (env_.archive != nullptr) {
    ArchivedMessage& archived = c->record.archived.emplace();
    archived.room = bare;
    archived.stanza_id = sid;
    archived.ts = env_.now();
    archived.from_jid = sender;
    archived.stanza = xmpp::to_string(with_namespace(fanout, xmpp::ns::kComponent, ns::kClient));
  }

  struct Stored {
    Result<CommitResult> result = fail(StoreErrc::not_found);
    // Timings for the debug line (what a commit's latency is made of): stored, done.
    Clock::time_point store_begin, store_end;
  };
  const Clock::time_point checked_at = Clock::now();
  MlsStore* store = env_.store;
  const Epoch epoch = decoded->epoch;
  room.queue().await<Stored>(
      [store, bare, epoch, c] {
        // One transaction: compare-and-set, log, nodes, Welcome rows and the archive row.
        Stored out;
        out.store_begin = Clock::now();
        out.result = store->accept_commit(bare, epoch, c->record, c->nodes, c->leaf_count);
        out.store_end = Clock::now();
        return out;
      },
      [this, &room, iq, bare, c, fanout, t0, checked_at, epoch](Stored out) {
        if (!out.result) {
          if (out.result.error() == make_error_code(StoreErrc::fenced)) {
            // Deposed between the check above and the transaction: nothing was written.
            ++fenced_;
            log(LogLevel::warn, "a commit in " + bare.str() + " was fenced: not the sequencer");
            forget(bare);
            reply_error(iq, not_sequencing());
            if (env_.on_fenced) env_.on_fenced();
            return;
          }
          if (out.result.error() == make_error_code(StoreErrc::unknown_device)) {
            reply_error(iq, unknown_device());  // CM-13: nothing was written
            return;
          }
          store_error(iq, "storing a commit in " + bare.str(), out.result.error());
          return;
        }
        const CommitResult& r = *out.result;
        if (r.outcome == CommitOutcome::wrong_epoch) {
          forget(bare);  // another instance moved the group: reload from the store
          reply_error(iq, commit_wrong_epoch(r.epoch));
          return;
        }
        Element answer("accepted", std::string(kMlsNs));
        answer.set_attr("epoch", std::to_string(r.epoch.value()));
        with_chain(answer, r.chain_hash);
        if (r.outcome == CommitOutcome::duplicate) {
          env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
          return;
        }
        if (Entry* now = find(bare); now != nullptr && now->group) {
          now->group->group = std::move(c->next);
          now->group->group_info = c->record.group_info;
          now->group->chain_hash = c->record.chain_hash;
          now->group->pending.clear();
          now->group->recount();
        }
        if (env_.after_accept) env_.after_accept();
        // Durable and archived: fan out, then answer (docs/protocol.md §6.7).
        room.reflect(fanout);
        env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
        if (c->record.archived) {
          // Sent: the outbox row may go. Lost with a crash before this, it is re-sent by
          // deliver_fanouts, and clients drop the copy they already have by its stanza-id.
          MlsStore* s = env_.store;
          env_.services->runner->run([s, bare, epoch] { (void)s->mark_fanout_sent(bare, epoch); },
                                     [] {});
        }
        if (!c->record.welcome_recipients.empty()) deliver_welcomes();
        log_commit_timing(bare.str(), epoch, t0, checked_at, out.store_begin, out.store_end);
        // An external join or a commit racing a ban may leave members the room no longer
        // allows: propose their removal in the new epoch. An external commit cannot carry the
        // pending proposals (RFC 9420 §12.4.3.2), so a retired device's leaves are proposed
        // again too (BR-14).
        reconcile(room, c->external);
      });
}

void DeliveryService::answer_stale(GroupHost& room, const Element& iq, const std::string& sender,
                                   Epoch epoch, const mls::Bytes& hash, Epoch current) {
  const RoomJid bare = room.room_jid();
  MlsStore* store = env_.store;
  room.queue().await<Result<MlsCommitPage>>(
      [store, bare, epoch] { return store->commits_since(bare, epoch, 1); },
      [this, iq, sender, bare, epoch, hash, current](Result<MlsCommitPage> page) {
        if (!page) {
          store_error(iq, "reading the commits of " + bare.str(), page.error());
          return;
        }
        // docs/protocol.md §6.7: a byte-identical re-send by its committer gets the original
        // answer; anyone else replaying it does not own its sender leaf (CM-4).
        if (!page->commits.empty() && page->commits.front().epoch == epoch &&
            page->commits.front().commit_hash == hash) {
          if (page->commits.front().sender_jid != sender) {
            reply_error(iq, StanzaError::of(StanzaCondition::forbidden,
                                            "The committer's leaf is not the sender's"));
            return;
          }
          Element answer("accepted", std::string(kMlsNs));
          answer.set_attr("epoch", std::to_string(epoch.next().value()));
          with_chain(answer, page->commits.front().chain_hash);
          env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
          return;
        }
        reply_error(iq, commit_wrong_epoch(current));
      });
}

// ---------------------------------------------------------------------------------------------
// Service proposals.

void DeliveryService::reconcile(GroupHost& room, bool devices) {
  const RoomJid bare = room.room_jid();
  if (devices) devices_due_.insert(bare);
  auto running = reconciling_.find(bare);
  if (running != reconciling_.end()) {
    running->second = true;  // one at a time per room; run again when the current one ends
    return;
  }
  if (find(bare) != nullptr) {
    reconcile_loaded(room);
    return;
  }
  reconciling_[bare] = false;
  ensure_loaded(
      room, nullptr,
      [this, &room, bare] {
        reconciling_.erase(bare);  // the state just loaded reflects every change so far
        reconcile_loaded(room);
      },
      [this, bare] {
        reconciling_.erase(bare);
        devices_due_.erase(bare);
      });
}

void DeliveryService::reconcile_loaded(GroupHost& room) {
  const RoomJid bare = room.room_jid();
  if (devices_due_.erase(bare) == 0) {
    propose_removes(room);
    return;
  }
  // BR-14: which leaves name a retired device, by the membership index, read in the room's
  // order (after every commit queued before it).
  reconciling_[bare] = false;
  MlsStore* store = env_.store;
  room.queue().await<Result<std::vector<std::uint32_t>>>(
      [store, bare] { return store->unlisted_leaves(bare); },
      [this, &room, bare](Result<std::vector<std::uint32_t>> r) {
        const bool again = reconciling_[bare];
        reconciling_.erase(bare);
        if (!r) {
          log(LogLevel::warn,
              "reading the retired devices' leaves of " + bare.str() + ": " + r.error().message());
        } else if (find(bare) != nullptr) {
          std::vector<mls::LeafIndex> retired;
          for (const std::uint32_t l : *r) retired.push_back(mls::LeafIndex{l});
          propose_removes(room, retired);
        }
        if (again) reconcile(room);
      });
}

void DeliveryService::device_retired(const std::string& owner, const std::string& device) {
  // BR-14: every room whose group holds a leaf of that device gets the Removes, from the
  // service itself: no other device of the account needs to visit each room.
  MlsStore* store = env_.store;
  run_blocking<Result<std::vector<RoomDevice>>>(
      *env_.services->runner, [store, owner] { return store->rooms_of(owner); },
      [this, owner, device](Result<std::vector<RoomDevice>> r) {
        if (!r) {
          log(LogLevel::warn, "listing the rooms of a retired device: " + r.error().message());
          return;
        }
        std::set<RoomJid> rooms;
        for (const RoomDevice& rd : *r) {
          if (rd.device == device) rooms.insert(rd.room);
        }
        for (const RoomJid& room : rooms) {
          GroupHost* host = find_room_ ? find_room_(room) : nullptr;
          if (host == nullptr) continue;  // not served here (the room is gone)
          reconcile(*host, true);
        }
      });
}

void DeliveryService::on_retire_device(GroupHost& room, const Element& iq, const Element& q,
                                       const std::string& sender) {
  const RoomJid bare = room.room_jid();
  Entry* e = find(bare);
  if (e == nullptr || !e->group) {
    reply_error(iq, StanzaError::of(StanzaCondition::item_not_found, "The room has no group"));
    return;
  }
  const std::string device(q.attr_or("id"));
  if (!is_device_id(device)) {
    reply_error(iq, StanzaError::of(StanzaCondition::bad_request, "Not a device id"));
    return;
  }
  // BR-14: only the account's own device; a member's other devices are not the sender's to
  // retire.
  const mls::PublicTree& tree = e->group->group.tree();
  std::vector<mls::LeafIndex> leaves;
  for (const mls::LeafIndex l : tree.non_blank_leaves()) {
    if (leaf_identity(tree, l) == sender && leaf_device_at(tree, l) == device) leaves.push_back(l);
  }
  if (leaves.empty()) {
    reply_error(iq, StanzaError::of(StanzaCondition::item_not_found,
                                    "The group holds no leaf of this device"));
    return;
  }
  if (reconciling_.count(bare) != 0) {
    // Service proposals of this room are being stored; proposing now could repeat one.
    reply_error(iq, StanzaError{StanzaCondition::resource_constraint, xmpp::ErrorType::wait,
                                "Busy; try again", std::nullopt});
    return;
  }
  propose_removes(room, leaves);
  Element answer("retire-device", std::string(kMlsNs));
  answer.set_attr("id", device);
  answer.set_attr("epoch", std::to_string(e->group->epoch().value()));
  env_.services->out->send(xmpp::iq_result(iq, std::move(answer)));
}

void DeliveryService::propose_removes(GroupHost& room, const std::vector<mls::LeafIndex>& also) {
  const RoomJid bare = room.room_jid();
  Entry* e = find(bare);
  if (e == nullptr || !e->group) return;
  RoomGroup& g = *e->group;
  const RoomPolicy policy = room.policy();
  std::vector<ServiceProposal> proposals;
  for (const mls::LeafIndex l : g.group.tree().non_blank_leaves()) {
    const auto id = leaf_identity(g.group.tree(), l);
    const bool retired = std::find(also.begin(), also.end(), l) != also.end();
    if (!id || (policy.may_be_in_group(*id) && !retired)) continue;
    const bool pending = std::any_of(g.pending.begin(), g.pending.end(),
                                     [&](const PendingProposal& p) { return p.removed == l; });
    if (pending) continue;
    auto p = identity_.propose_remove(g.group.context(), l);
    if (!p) {
      log(LogLevel::warn, "cannot propose removals in " + bare.str() + ": " + p.error().message());
      return;
    }
    // Validated into the view first: a proposal the view refuses is never published. If
    // storing fails below, the view is reloaded from the store.
    if (auto s = g.group.handle_proposal(p->message); !s) {
      log(LogLevel::warn,
          "a service Remove in " + bare.str() + " was refused: " + s.error().message());
      continue;
    }
    proposals.push_back(std::move(*p));
  }
  if (proposals.empty()) return;

  const Epoch epoch = g.epoch();
  auto shared = std::make_shared<std::vector<ServiceProposal>>(std::move(proposals));
  std::vector<Element> stanzas;
  std::vector<ArchivedMessage> archived;
  for (const ServiceProposal& p : *shared) {
    const std::string sid = env_.new_id();
    Element m =
        xmpp::make_stanza("message", "groupchat", bare.str(), "", "mls-proposal-" + hex16(p.ref));
    m.add_child("proposal", std::string(kMlsNs))
        .set_attr("epoch", std::to_string(epoch.value()))
        .set_text(base64_encode(p.wire));
    m.add_child("stanza-id", std::string(ns::kStanzaId))
        .set_attr("id", sid)
        .set_attr("by", bare.str());
    ArchivedMessage a;
    a.room = bare;
    a.stanza_id = sid;
    a.ts = env_.now();
    a.from_jid = env_.domain;
    a.stanza = xmpp::to_string(with_namespace(m, xmpp::ns::kComponent, ns::kClient));
    archived.push_back(std::move(a));
    stanzas.push_back(std::move(m));
  }
  // What the store kept: proposals stored before an error or a stale epoch stopped it.
  struct Stored {
    std::size_t stored = 0;
    bool stale = false;
    Status status;
  };
  MlsStore* store = env_.store;
  ArchiveStore* archive = env_.archive;
  reconciling_[bare] = false;
  room.queue().await<Stored>(
      [store, archive, bare, epoch, shared, archived] {
        Stored out;
        for (std::size_t i = 0; i < shared->size(); ++i) {
          const ServiceProposal& p = (*shared)[i];
          auto r = store->add_proposal(bare, {epoch, p.ref, p.wire});
          if (!r) {
            out.status = fail(r.error());
            return out;
          }
          if (!r->stored) {
            out.stale = true;
            return out;
          }
          ++out.stored;
          if (archive != nullptr) {
            if (auto s = archive->append(archived[i]); !s) {
              out.status = fail(s.error());
              return out;
            }
          }
        }
        return out;
      },
      [this, &room, bare, shared, stanzas](Stored out) {
        const Status& s = out.status;
        if (!s) {
          log(LogLevel::error,
              "storing service proposals of " + bare.str() + ": " + s.error().message());
        }
        Entry* entry = find(bare);
        for (std::size_t i = 0; i < out.stored; ++i) {
          if (entry != nullptr && entry->group) {
            const ServiceProposal& p = (*shared)[i];
            entry->group->pending.push_back({p.ref, p.wire, p.removed});
          }
          room.reflect(stanzas[i]);
        }
        const bool again = reconciling_[bare];
        reconciling_.erase(bare);
        if (!s || out.stale || out.stored < shared->size()) {
          forget(bare);  // the view holds proposals the store does not: reload it
          return;
        }
        if (again) reconcile(room);
      });
}

// ---------------------------------------------------------------------------------------------
// Welcomes.

void DeliveryService::deliver_welcomes() {
  if (welcomes_running_) {
    welcomes_again_ = true;
    return;
  }
  welcomes_running_ = true;
  MlsStore* store = env_.store;
  run_blocking<Result<std::vector<WelcomeDelivery>>>(
      *env_.services->runner, [store] { return store->unsent_welcomes(kWelcomeBatch); },
      [this, store](Result<std::vector<WelcomeDelivery>> r) {
        if (!r) {
          log(LogLevel::error, "reading the Welcome outbox failed: " + r.error().message());
          welcomes_running_ = false;
          return;
        }
        std::vector<std::int64_t> ids;
        for (const WelcomeDelivery& w : *r) {
          // Type normal to the bare JID: the user's server stores it while the user is
          // offline (RFC 6121 §8.5.2). Never archived in the room.
          Element m =
              xmpp::make_stanza("message", "normal", w.room.str(), w.recipient, w.stable_id);
          with_chain(m.add_child("welcome", std::string(kMlsNs)), w.chain_hash)
              .set_attr("epoch", std::to_string(w.epoch.value()))
              .set_text(base64_encode(w.welcome));
          m.add_child("store", std::string(kHintsNs));
          env_.services->out->send(std::move(m));
          ids.push_back(w.id);
        }
        const bool full = r->size() == kWelcomeBatch;
        env_.services->runner->run(
            [store, ids] {
              for (std::int64_t id : ids) (void)store->mark_welcome_sent(id);  // re-sent if not
            },
            [this, full] {
              welcomes_running_ = false;
              if (full || welcomes_again_) {
                welcomes_again_ = false;
                deliver_welcomes();
              }
            });
      });
}

// ---------------------------------------------------------------------------------------------
// Fan-outs nobody confirmed (docs/cluster.md §6).

void DeliveryService::deliver_fanouts() {
  if (fanouts_running_) return;
  fanouts_running_ = true;
  struct Pending {
    FanoutDelivery fanout;
    std::vector<std::string> members;  // bare JIDs of the group's members now
  };
  MlsStore* store = env_.store;
  run_blocking<Result<std::vector<Pending>>>(
      *env_.services->runner,
      [store]() -> Result<std::vector<Pending>> {
        auto rows = store->unsent_fanouts(kWelcomeBatch);
        if (!rows) return fail(rows.error());
        std::vector<Pending> out;
        for (FanoutDelivery& f : *rows) {
          // The members as the store has them: this instance may never have loaded the room.
          auto rec = store->load_group(f.room);
          if (!rec) return fail(rec.error());
          Pending p{std::move(f), {}};
          if (*rec) {
            auto g = group_from_record(**rec, {});
            if (g) {
              for (const auto& [bare, leaves] : g->identities) p.members.push_back(bare);
            }
          }
          out.push_back(std::move(p));
        }
        return out;
      },
      [this, store](Result<std::vector<Pending>> r) {
        if (!r) {
          log(LogLevel::error, "reading the fan-out outbox failed: " + r.error().message());
          fanouts_running_ = false;
          return;
        }
        std::vector<std::pair<RoomJid, Epoch>> sent;
        for (const Pending& p : *r) {
          const FanoutDelivery& f = p.fanout;
          for (const std::string& member : p.members) {
            // As the archive has it (id, stanza-id, payload), but to the bare JID and of type
            // normal, so the user's server stores it for a member who is offline.
            Element m = xmpp::make_stanza("message", "normal", f.room.str(), member,
                                          "mls-commit-" + hex16(f.commit_hash));
            with_chain(m.add_child("commit", std::string(kMlsNs)), f.chain_hash)
                .set_attr("epoch", std::to_string(f.epoch.value()))
                .set_text(base64_encode(f.mls_message));
            m.add_child("stanza-id", std::string(ns::kStanzaId))
                .set_attr("id", f.stanza_id)
                .set_attr("by", f.room.str());
            m.add_child("store", std::string(kHintsNs));
            env_.services->out->send(std::move(m));
          }
          sent.emplace_back(f.room, f.epoch);
        }
        if (!sent.empty()) {
          log(LogLevel::info, "re-sent " + std::to_string(sent.size()) +
                                  " commit fan-out(s) no instance had confirmed");
        }
        const bool full = r->size() == kWelcomeBatch;
        env_.services->runner->run(
            [store, sent] {
              for (const auto& [room, epoch] : sent) (void)store->mark_fanout_sent(room, epoch);
            },
            [this, full] {
              fanouts_running_ = false;
              if (full) deliver_fanouts();
            });
      });
}

// ---------------------------------------------------------------------------------------------
// Helpers.

bool DeliveryService::admit_room_request(const Element& stanza, const std::string& sender,
                                         const std::string& room) {
  if (room_requests_.allow(sender, env_.now())) {
    limited_.erase(sender);
    return true;
  }
  // One line per burst of refusals, not one per refused stanza (a flood would flood the log).
  constexpr std::size_t kMaxLimited = 10'000;
  if (limited_.size() >= kMaxLimited) limited_.clear();
  if (limited_.insert(sender).second) {
    log(LogLevel::warn,
        "rate limit (mls.room_requests_per_minute): refusing urn:xmpp:mls:0 requests of " + sender +
            " (first refused: to " + room + ")");
  }
  reply_error(stanza, StanzaError{StanzaCondition::policy_violation, xmpp::ErrorType::wait,
                                  "Too many requests; try again later", std::nullopt});
  return false;
}

void DeliveryService::reply_error(const Element& stanza, const StanzaError& e) {
  if (auto r = xmpp::error_reply(stanza, e)) env_.services->out->send(std::move(*r));
}

StanzaError DeliveryService::not_sequencing() {
  // RFC 6120 §8.3.3.18 with type wait: temporary; the client retries, and reaches the instance
  // that sequences the room once the failover is over (docs/cluster.md).
  return StanzaError{StanzaCondition::resource_constraint, xmpp::ErrorType::wait,
                     "The room's sequencer is changing; retry", std::nullopt};
}

void DeliveryService::store_error(const Element& stanza, const std::string& what,
                                  std::error_code ec) {
  log(LogLevel::error, what + " failed: " + ec.message());
  reply_error(stanza, StanzaError{StanzaCondition::internal_server_error, xmpp::ErrorType::wait,
                                  "The store is unavailable", std::nullopt});
}

void DeliveryService::log_commit_timing(const std::string& room, Epoch epoch,
                                        Clock::time_point received, Clock::time_point checked,
                                        Clock::time_point store_begin,
                                        Clock::time_point store_end) const {
  if (!env_.services->log) return;
  const auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  char line[160];
  std::snprintf(line, sizeof line,
                " epoch %llu: check %.2f ms, queued %.2f ms, store %.2f ms, answered at %.2f ms",
                static_cast<unsigned long long>(epoch.value()), ms(received, checked),
                ms(checked, store_begin), ms(store_begin, store_end), ms(received, Clock::now()));
  log(LogLevel::debug, "commit accepted in " + room + line);
}

void DeliveryService::log(LogLevel level, const std::string& line) const {
  if (env_.services->log) env_.services->log(level, line);
}

}  // namespace conclave::component::ds
