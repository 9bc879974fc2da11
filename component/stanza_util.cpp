#include "component/stanza_util.h"

#include <cstdio>
#include <ctime>
#include <variant>

#include "xmpp/stream_parser.h"

namespace conclave::component {

xmpp::Element with_namespace(xmpp::Element e, std::string_view from, std::string_view to) {
  if (e.ns() == from) {
    xmpp::Element moved(e.name(), std::string(to));
    for (const auto& a : e.attributes()) moved.set_attr(a.name, a.value);
    moved.set_text(e.text());
    moved.mutable_tail() = e.tail();
    for (auto& c : e.children()) moved.add_child(with_namespace(std::move(c), from, to));
    return moved;
  }
  for (auto& c : e.children()) c = with_namespace(std::move(c), from, to);
  return e;
}

std::optional<xmpp::Element> parse_stanza_xml(std::string_view xml) {
  xmpp::StreamParser parser;
  std::string doc =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  doc.append(xml);
  doc.append("</stream:stream>");
  std::optional<xmpp::Element> out;
  int count = 0;
  for (auto& ev : parser.feed(doc)) {
    if (auto* s = std::get_if<xmpp::StanzaReceived>(&ev)) {
      ++count;
      out = std::move(s->stanza);
    } else if (std::holds_alternative<xmpp::StreamFailed>(ev)) {
      return std::nullopt;
    }
  }
  if (count != 1) return std::nullopt;
  return out;
}

std::string format_timestamp(TimePoint t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // generous: the compiler cannot bound tm_year
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::optional<TimePoint> parse_timestamp(std::string_view s) {
  // CCYY-MM-DDThh:mm:ss[.sss](Z|(+|-)hh:mm)
  std::tm tm{};
  int consumed = 0;
  const std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::size_t i = 19;
  long millis = 0;
  if (i < str.size() && str[i] == '.') {
    ++i;
    int digits = 0;
    while (i < str.size() && str[i] >= '0' && str[i] <= '9') {
      if (digits < 3) millis = millis * 10 + (str[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  long offset = 0;
  if (i < str.size() && str[i] == 'Z') {
    ++i;
  } else if (i < str.size() && (str[i] == '+' || str[i] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(str.c_str() + i + 1, "%2d:%2d", &hh, &mm) != 2 || str.size() != i + 6) {
      return std::nullopt;
    }
    offset = (hh * 60 + mm) * 60 * (str[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != str.size()) return std::nullopt;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t - offset) + std::chrono::milliseconds(millis);
}

}  // namespace conclave::component
