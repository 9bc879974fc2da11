#pragma once
// The client side of urn:xmpp:mls:0 (docs/protocol.md) and the XMPP extensions it leans on
// (XEP-0045 MUC, XEP-0313 MAM, XEP-0359 stanza ids, XEP-0380 EME): stanza builders for what the
// client sends and parsers for what it receives. Pure functions over xmpp::Element, so they are
// tested without a server. Stanzas are in jabber:client; MLS payloads are base64 of the TLS
// encoding (raw bytes here, MLSMessage decoding is the session's job).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/errors.h"
#include "mls/codec/bytes.h"
#include "xmpp/element.h"
#include "xmpp/stanza.h"

namespace conclave::client {

namespace ns {
inline constexpr std::string_view kMls = "urn:xmpp:mls:0";
inline constexpr std::string_view kClient = "jabber:client";
inline constexpr std::string_view kStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kMuc = "http://jabber.org/protocol/muc";           // XEP-0045
inline constexpr std::string_view kMucUser = "http://jabber.org/protocol/muc#user";  // §7
inline constexpr std::string_view kMucOwner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view kData = "jabber:x:data";                  // XEP-0004
inline constexpr std::string_view kMam = "urn:xmpp:mam:2";                  // XEP-0313
inline constexpr std::string_view kRsm = "http://jabber.org/protocol/rsm";  // XEP-0059
inline constexpr std::string_view kForward = "urn:xmpp:forward:0";          // XEP-0297
inline constexpr std::string_view kStanzaId = "urn:xmpp:sid:0";             // XEP-0359
inline constexpr std::string_view kEme = "urn:xmpp:eme:0";                  // XEP-0380
inline constexpr std::string_view kHints = "urn:xmpp:hints";                // XEP-0334
inline constexpr std::string_view kPing = "urn:xmpp:ping";                  // XEP-0199
}  // namespace ns

// The XEP-0380 fallback body of encrypted messages (docs/protocol.md §8).
inline constexpr std::string_view kFallbackBody =
    "[This message is end-to-end encrypted with MLS; your client cannot display it.]";

// --- requests (IQs carry no id: the transport assigns one) -----------------------------------
xmpp::Element external_sender_request(std::string_view service);
struct KeyPackageUpload {
  mls::Bytes message;  // MLSMessage wrapping a KeyPackage
  bool last_resort = false;
};
xmpp::Element key_packages_upload(std::string_view service,
                                  const std::vector<KeyPackageUpload>& packages);
// With a device: that device's packages only (docs/protocol.md §6.3).
xmpp::Element key_packages_count_request(std::string_view service,
                                         std::optional<std::string_view> device = std::nullopt);
xmpp::Element claim_request(std::string_view service, std::string_view jid);
// docs/protocol.md §6.3: delete our packages by KeyPackageRef, and all of `device` when given.
xmpp::Element delete_key_packages_request(std::string_view service,
                                          const std::vector<mls::Bytes>& refs,
                                          std::optional<std::string_view> device);
// docs/protocol.md §6.13: our devices, retiring one (to the service: its packages; to a room:
// Remove proposals for its leaves), and the rooms whose group holds a leaf of ours.
xmpp::Element devices_request(std::string_view service);
xmpp::Element retire_device_request(std::string_view to, std::string_view device);
xmpp::Element rooms_request(std::string_view service);
xmpp::Element create_request(std::string_view room, mls::ByteView group_info,
                             mls::ByteView ratchet_tree);
xmpp::Element group_info_request(std::string_view room);
// The Welcome of the room's latest commit that added us (docs/protocol.md §6.10).
xmpp::Element welcome_request(std::string_view room);
xmpp::Element commit_request(std::string_view room, mls::ByteView commit,
                             std::optional<mls::ByteView> welcome, mls::ByteView group_info);
xmpp::Element commits_request(std::string_view room, std::uint64_t since);
// XEP-0313 §4: a query on the room archive after `after_id` (all when empty), RSM page `max`.
xmpp::Element mam_query(std::string_view room, std::string_view query_id, std::string_view after_id,
                        std::size_t max);
// XEP-0045 §10.1.3: the new room's configuration: the defaults, but persistent (an encrypted
// group's state must survive empty moments and service restarts).
// room_config: the owner's configuration (XEP-0045 §10.2) the reference client submits: always
// persistent (docs/protocol.md BR-12); members-only unless `members_only` is false (an open
// room). Without a members-only value (std::nullopt) the field is left out: the room keeps its
// setting.
xmpp::Element room_config(std::string_view room, std::optional<bool> members_only = std::nullopt);
// muc_invitation: a mediated invitation (XEP-0045 §7.8.2) of `invitee` through the room; in a
// members-only room the room makes the invitee a member before delivering it.
xmpp::Element muc_invitation(std::string_view room, std::string_view invitee);

// --- messages and presence ---------------------------------------------------------------------
// docs/protocol.md §8: <encrypted/>, the XEP-0380 marker, the fallback body and a store hint.
xmpp::Element encrypted_message(std::string_view room, std::string_view id,
                                mls::ByteView private_message);
// XEP-0045 §7.2: enter as room/nick without discussion history (MLS history comes from MAM).
xmpp::Element muc_join(std::string_view room, std::string_view nick);
xmpp::Element muc_leave(std::string_view room, std::string_view nick);

// --- answers -------------------------------------------------------------------------------------
// ServiceError: the parts of a stanza error the client acts on or reports.
struct ServiceError {
  std::string condition;      // RFC 6120 defined condition ("conflict")
  std::string type;           // error type ("cancel")
  std::string text;           // optional human-readable text
  std::string app_condition;  // application element name ("wrong-epoch", "invalid-commit")
  std::string app_text;       // its text (the invalid-commit reason)
  std::optional<std::uint64_t> current_epoch;  // <wrong-epoch current='E'/>
};
// parse_service_error returns the error of a type='error' stanza (nullopt for other types; a
// missing <error/> gives condition "undefined-condition").
std::optional<ServiceError> parse_service_error(const xmpp::Element& stanza);

// mls_payload returns the `name` child in urn:xmpp:mls:0 of a type='result' IQ.
// Errc::stanza_error for type='error', Errc::bad_response when the child is missing.
Result<const xmpp::Element*> mls_payload(const xmpp::Element& iq, std::string_view name);
// mls_bytes decodes the base64 text of `e`; Errc::bad_response when it is not base64 or empty.
Result<mls::Bytes> mls_bytes(const xmpp::Element& e);
// parse_epoch_attr reads a decimal uint64 attribute; Errc::bad_response when absent or bad.
Result<std::uint64_t> parse_epoch_attr(const xmpp::Element& e, std::string_view attr);
// parse_chain_attr reads the optional `chain` attribute (docs/protocol.md §6.7: the commit chain
// hash, base64); nullopt when absent, Errc::bad_response when it is not base64.
Result<std::optional<mls::Bytes>> parse_chain_attr(const xmpp::Element& e);

struct KeyPackageCount {
  std::size_t count = 0;
  bool last_resort = false;
};
Result<KeyPackageCount> parse_key_package_count(const xmpp::Element& iq);

// A claim answer (docs/protocol.md §6.4): one package per device of the claimed user.
struct ClaimedKeyPackage {
  std::string device;
  mls::Bytes message;  // MLSMessage wrapping the KeyPackage
  bool last_resort = false;
};
Result<std::vector<ClaimedKeyPackage>> parse_claim_reply(const xmpp::Element& iq);

struct DeviceInfo {
  std::string device;
  std::size_t count = 0;  // its one-time packages on the service
  bool last_resort = false;
};
Result<std::vector<DeviceInfo>> parse_devices_reply(const xmpp::Element& iq);

// A room whose group holds a leaf of ours, and that leaf's device.
struct RoomLeaf {
  std::string room;
  std::string device;
};
Result<std::vector<RoomLeaf>> parse_rooms_reply(const xmpp::Element& iq);

struct GroupInfoReply {
  std::uint64_t epoch = 0;
  mls::Bytes group_info;            // MLSMessage wrapping GroupInfo
  mls::Bytes ratchet_tree;          // ratchet_tree extension data
  std::optional<mls::Bytes> chain;  // the commit chain hash of `epoch`
};
Result<GroupInfoReply> parse_group_info_reply(const xmpp::Element& iq);

struct EpochCommit {
  std::uint64_t epoch = 0;  // the epoch the commit was made in
  mls::Bytes message;
  std::optional<mls::Bytes> chain;  // the chain hash after it
};
struct CommitsReply {
  std::vector<EpochCommit> commits;
  bool more = false;
};
Result<CommitsReply> parse_commits_reply(const xmpp::Element& iq);

// RoomPayload: an urn:xmpp:mls:0 payload in a message from a room (docs/protocol.md §6, §8).
struct RoomPayload {
  enum class Kind { commit, proposal, welcome, encrypted };
  Kind kind = Kind::commit;
  std::optional<std::uint64_t> epoch;  // commit/proposal/welcome carry it; encrypted does not
  mls::Bytes data;
  std::optional<mls::Bytes> chain;  // commit: the chain hash after it; welcome: of its epoch
};
// parse_room_payload: nullopt when `msg` carries no MLS payload; Errc::bad_response for a
// payload that is malformed (bad base64, bad epoch).
std::optional<Result<RoomPayload>> parse_room_payload(const xmpp::Element& msg);
// parse_welcome_reply: the answer to welcome_request(), as the Welcome messages of §6.10 carry
// it. Errc::stanza_error for an error answer, Errc::bad_response for anything malformed.
Result<RoomPayload> parse_welcome_reply(const xmpp::Element& iq);

// stanza_id_by returns the XEP-0359 <stanza-id/> id set by `by` (the room), or "".
std::string stanza_id_by(const xmpp::Element& msg, std::string_view by);
// muc_item_jid returns the bare real JID in <x xmlns='muc#user'><item jid=…/></x>, or "".
std::string muc_item_jid(const xmpp::Element& stanza);
// muc_status_codes lists the <status code=…/> values in muc#user.
std::vector<int> muc_status_codes(const xmpp::Element& stanza);

// MamResult: one archived message of a MAM answer (XEP-0313 §4.2).
struct MamResult {
  std::string query_id;
  std::string archive_id;  // the result's id (the stanza-id in the room's archive)
  xmpp::Element message;   // the forwarded <message/>
};
std::optional<MamResult> parse_mam_result(const xmpp::Element& msg);
struct MamFin {
  bool complete = false;
  std::string last;  // RSM <last/>, for the next page
};
Result<MamFin> parse_mam_fin(const xmpp::Element& iq);

}  // namespace conclave::client
