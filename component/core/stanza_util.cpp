#include "component/core/stanza_util.h"

#include <algorithm>
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

namespace {

// The number in s[pos, pos + n) when those are all ASCII digits (sscanf would take signs and
// spaces too).
std::optional<int> digits_at(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<TimePoint> parse_timestamp(std::string_view s) {
  // XEP-0082 §3.2 DateTime: CCYY-MM-DDThh:mm:ss[.sss](Z|(+|-)hh:mm), every field in range.
  auto year = digits_at(s, 0, 4), mon = digits_at(s, 5, 2), day = digits_at(s, 8, 2);
  auto hour = digits_at(s, 11, 2), min = digits_at(s, 14, 2), sec = digits_at(s, 17, 2);
  if (!year || !mon || !day || !hour || !min || !sec || s[4] != '-' || s[7] != '-' ||
      s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (*mon < 1 || *mon > 12 || *day < 1 || *day > 31 || *hour > 23 || *min > 59 || *sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *mon - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *min;
  tm.tm_sec = *sec;
  std::size_t i = 19;
  long millis = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  long long offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    auto hh = digits_at(s, i + 1, 2), mm = digits_at(s, i + 4, 2);
    if (!hh || !mm || s[i + 3] != ':' || *hh > 23 || *mm > 59) return std::nullopt;
    offset = (*hh * 60LL + *mm) * 60 * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // Every field is in range and time_t has 64 bits, so timegm cannot fail here (its -1 is
  // 1969-12-31T23:59:59, a valid answer).
  static_assert(sizeof(std::time_t) >= 8);
  const std::time_t t = timegm(&tm);
  // A TimePoint counts nanoseconds in 64 bits (years 1678 to 2261): a date beyond, such as a
  // MAM filter "until 9999", means "as late (or early) as can be" and is clamped, never
  // overflowed.
  using std::chrono::seconds;
  constexpr long long kMax =
      std::chrono::duration_cast<seconds>(TimePoint::max().time_since_epoch()).count() - 1;
  constexpr long long kMin =
      std::chrono::duration_cast<seconds>(TimePoint::min().time_since_epoch()).count() + 1;
  const long long secs = std::clamp(static_cast<long long>(t) - offset, kMin, kMax);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(seconds(secs))) +
         std::chrono::milliseconds(millis);
}

}  // namespace conclave::component
