// MAM on the room JID (XEP-0313 §4-§5, urn:xmpp:mam:2) with RSM paging (XEP-0059 §2).
#include <charconv>

#include "component/muc/room.h"
#include "component/muc/room_feature.h"
#include "component/rooms/namespaces.h"
#include "xmpp/namespaces.h"

namespace conclave::component {

using xmpp::Element;
using xmpp::Jid;
using xmpp::StanzaCondition;

namespace {

std::optional<std::size_t> parse_max(std::string_view s) {
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void mam_form_iq(Room& room, const Element& iq) {
  // XEP-0313 §5.1: the fields this archive filters on.
  xmpp::DataForm form;
  form.type = xmpp::FormType::form;
  form.set_form_type(std::string(ns::kMam));
  form.add("with", xmpp::FieldType::jid_single);
  form.add("start", xmpp::FieldType::text_single);
  form.add("end", xmpp::FieldType::text_single);
  form.add("before-id", xmpp::FieldType::text_single);
  form.add("after-id", xmpp::FieldType::text_single);
  Element q("query", std::string(ns::kMam));
  q.add_child(form.to_element());
  room.send(xmpp::iq_result(iq, std::move(q)));
}

void mam_query_iq(Room& room, const Element& iq, const Jid& from, const Element& q) {
  const Affiliation aff = room.affiliation_of(from.bare_string());
  // docs/xmpp.md: in members-only rooms only members and up may read the archive.
  if (aff == Affiliation::outcast || (room.config().members_only && aff < Affiliation::member)) {
    room.send_error(iq, StanzaCondition::forbidden, "Only members may read the archive");
    return;
  }
  ArchiveQuery query;
  query.room = room.room_jid();
  query.max = std::min<std::size_t>(20, room.env().mam_max_page);
  if (auto form = xmpp::find_data_form(q)) {
    if (!*form) {
      room.send_error(iq, StanzaCondition::bad_request, "Malformed form");
      return;
    }
    for (const xmpp::FormField& f : (*form)->fields) {
      const std::string v = f.value();
      if (f.var == "FORM_TYPE" || v.empty()) continue;
      if (f.var == "start" || f.var == "end") {
        auto t = parse_timestamp(v);
        if (!t) {
          room.send_error(iq, StanzaCondition::bad_request, "Bad timestamp");
          return;
        }
        (f.var == "start" ? query.start : query.end) = *t;
      } else if (f.var == "with") {
        auto j = Jid::parse(v);
        if (!j || j->bare() != room.jid().bare() || j->resource().empty()) {
          // In a room archive, `with` names an occupant JID (XEP-0313 §4.1.1, MUC).
          room.send_error(iq, StanzaCondition::bad_request, "with must be an occupant JID");
          return;
        }
        query.with_nick = j->resource();
      } else if (f.var == "after-id") {
        query.after_id = v;
      } else if (f.var == "before-id") {
        query.before_id = v;
      } else {
        room.send_error(iq, StanzaCondition::bad_request, "Unsupported field " + f.var);
        return;
      }
    }
  }
  if (const Element* set = q.child("set", ns::kRsm)) {
    if (const Element* m = set->child("max", ns::kRsm)) {
      auto v = parse_max(m->text_content());
      if (!v) {
        room.send_error(iq, StanzaCondition::bad_request, "Bad RSM max");
        return;
      }
      query.max = std::min(*v, room.env().mam_max_page);
    }
    if (const Element* a = set->child("after", ns::kRsm)) query.after_id = a->text_content();
    if (const Element* b = set->child("before", ns::kRsm)) {
      const std::string id = b->text_content();
      if (id.empty()) {
        query.last_page = true;  // XEP-0059 §2.5: empty <before/> asks for the last page
      } else {
        query.before_id = id;
      }
    }
    if (set->child("index", ns::kRsm) != nullptr) {
      room.send_error(iq, StanzaCondition::feature_not_implemented, "RSM index");
      return;
    }
  }
  const std::string queryid(q.attr_or("queryid"));
  const bool show_jids =
      room.config().non_anonymous() || aff >= Affiliation::admin ||
      (room.by_session(from) != nullptr && room.by_session(from)->role == Role::moderator);
  ArchiveStore* archive = room.env().archive;
  room.await<Result<ArchivePage>>(
      [archive, query] { return archive->query(query); },
      [&room, iq, from, queryid, show_jids](Result<ArchivePage> page) {
        if (!page) {
          if (page.error() == make_error_code(StoreErrc::not_found)) {
            room.send_error(iq, StanzaCondition::item_not_found, "No such archive id");
          } else {
            room.log(LogLevel::error,
                     "MAM query in " + room.jid().bare_string() + ": " + page.error().message());
            room.send_error(iq, StanzaCondition::internal_server_error);
          }
          return;
        }
        for (const ArchivedMessage& a : page->messages) {
          auto inner = parse_stanza_xml(a.stanza);
          if (!inner) continue;
          if (show_jids && !a.from_jid.empty() && inner->child("x", ns::kMucUser) == nullptr) {
            inner->add_child("x", std::string(ns::kMucUser))
                .add_child("item", std::string(ns::kMucUser))
                .set_attr("jid", a.from_jid);
          }
          Element m = xmpp::make_stanza("message", "", room.jid().bare_string(), from.full(),
                                        room.new_id());
          Element& r = m.add_child("result", std::string(ns::kMam));
          if (!queryid.empty()) r.set_attr("queryid", queryid);
          r.set_attr("id", a.stanza_id);
          Element& fwd = r.add_child("forwarded", std::string(ns::kForward));
          fwd.add_child("delay", std::string(ns::kDelay)).set_attr("stamp", format_timestamp(a.ts));
          fwd.add_child(std::move(*inner));
          room.send(std::move(m));
        }
        Element fin("fin", std::string(ns::kMam));
        if (page->complete) fin.set_attr("complete", "true");
        Element& set = fin.add_child("set", std::string(ns::kRsm));
        if (!page->messages.empty()) {
          set.add_child("first", std::string(ns::kRsm)).set_text(page->messages.front().stanza_id);
          set.add_child("last", std::string(ns::kRsm)).set_text(page->messages.back().stanza_id);
        }
        set.add_child("count", std::string(ns::kRsm)).set_text(std::to_string(page->count));
        room.send(xmpp::iq_result(iq, std::move(fin)));
      });
}

class ArchiveFeature final : public RoomFeature {
 public:
  void describe(const Room&, xmpp::DiscoInfo& info) const override {
    info.add_feature(ns::kMam);
    info.add_feature(ns::kMamExtended);
  }

  bool on_iq(Room& room, const Element& iq, const Jid& from, const Element& q) const override {
    if (!q.is("query", ns::kMam)) return false;
    if (xmpp::iq_type_of(iq) == xmpp::IqType::set) {
      mam_query_iq(room, iq, from, q);
    } else {
      mam_form_iq(room, iq);  // XEP-0313 §6.1 (is_iq_request: get or set)
    }
    return true;
  }
};

}  // namespace

const RoomFeature& archive_feature() {
  static const ArchiveFeature feature;
  return feature;
}

}  // namespace conclave::component
