#pragma once
// MucService: the router of the component. Every stanza the XEP-0114 connection receives comes
// here; stanzas to the service domain are answered by the service (disco, room list, ping),
// stanzas to room@domain[/nick] go to that room, creating it on a first join.
//
// Threading: everything runs on the I/O thread (the connection's strand); store calls go
// through BlockingRunner (component/core/blocking_runner.h).
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "component/muc/room.h"
#include "xmpp/adhoc.h"

namespace conclave::component {

struct ServiceInfo {
  std::string domain;  // the component's JID, e.g. mls.example.org
  std::string name = "Conclave rooms";
};

class MucService {
 public:
  MucService(ServiceInfo info, RoomEnv env);

  // load: reads persistent rooms (and their recent history) from the stores and forgets
  // temporary rooms a crash left behind. Blocking: call before the I/O loop runs, or from a
  // worker thread. Returns the number of rooms loaded.
  Result<std::size_t> load();

  // shutdown: every room tells its occupants the service is going down (status 332).
  void shutdown();

  // forget_all: drops every room from memory without a word to anyone: another instance serves
  // them now (docs/cluster.md). Persistent rooms come back with the next load().
  void forget_all();

  // dispatch: one received stanza. Never throws.
  void dispatch(xmpp::Element stanza);

  using RoomMap = std::map<RoomJid, std::shared_ptr<Room>>;

  std::size_t room_count() const { return rooms_.size(); }
  // room, find_room: the live room at `jid`, or null.
  const Room* room(const RoomJid& jid) const { return find_room(jid).get(); }
  std::shared_ptr<Room> find_room(const RoomJid& jid) const;
  // room: the same by the room's address as text (tests, tools); null if not a room JID.
  const Room* room(std::string_view jid) const;
  const RoomMap& rooms() const { return rooms_; }
  RoomEnv& env() { return env_; }
  TimePoint started() const { return started_; }
  void log(LogLevel level, const std::string& line) const;
  // commands: the XEP-0050 commands of the service JID; app/ registers the admin commands.
  xmpp::CommandRegistry& commands() { return commands_; }

 private:
  void on_service_stanza(const xmpp::Element& stanza);

  ServiceInfo info_;
  RoomEnv env_;
  RoomMap rooms_;
  TimePoint started_;
  xmpp::CommandRegistry commands_;  // XEP-0050 on the service JID
};

}  // namespace conclave::component
