#include "xmpp/stream_parser.h"

#include <expat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace conclave::xmpp {
namespace {

constexpr char kSep = '\x1f';              // Expat namespace separator (never valid in XML)
constexpr std::size_t kChunk = 16 * 1024;  // input is fed in slices so limits apply early

// ---- Expat memory accounting -------------------------------------------------------------
// Expat's allocation hooks take no user pointer, so the account to charge is a thread-local set
// around each Expat call; every block records its account and size in a header, so frees and
// reallocs need no context. A refused allocation makes Expat fail with XML_ERROR_NO_MEMORY.
struct MemoryAccount {
  std::size_t in_use = 0;
  std::size_t peak = 0;
  std::size_t cap = 0;
};

thread_local MemoryAccount* t_account = nullptr;

struct alignas(std::max_align_t) BlockHeader {
  MemoryAccount* account;
  std::size_t size;
};

class AccountScope {
 public:
  explicit AccountScope(MemoryAccount* a) : saved_(t_account) { t_account = a; }
  ~AccountScope() { t_account = saved_; }
  AccountScope(const AccountScope&) = delete;
  AccountScope& operator=(const AccountScope&) = delete;

 private:
  MemoryAccount* saved_;
};

bool charge(MemoryAccount* a, std::size_t old_size, std::size_t new_size) {
  if (a == nullptr) return true;
  const std::size_t next = a->in_use - old_size + new_size;
  if (new_size > old_size && next > a->cap) return false;
  a->in_use = next;
  a->peak = std::max(a->peak, next);
  return true;
}

void* counted_malloc(std::size_t size) {
  if (!charge(t_account, 0, size)) return nullptr;
  auto* h = static_cast<BlockHeader*>(std::malloc(sizeof(BlockHeader) + size));
  if (h == nullptr) {
    charge(t_account, size, 0);
    return nullptr;
  }
  h->account = t_account;
  h->size = size;
  return h + 1;
}

void counted_free(void* p) {
  if (p == nullptr) return;
  auto* h = static_cast<BlockHeader*>(p) - 1;
  charge(h->account, h->size, 0);
  std::free(h);
}

void* counted_realloc(void* p, std::size_t size) {
  if (p == nullptr) return counted_malloc(size);
  auto* h = static_cast<BlockHeader*>(p) - 1;
  MemoryAccount* a = h->account;
  const std::size_t old = h->size;
  if (!charge(a, old, size)) return nullptr;
  auto* n = static_cast<BlockHeader*>(std::realloc(h, sizeof(BlockHeader) + size));
  if (n == nullptr) {
    charge(a, size, old);
    return nullptr;
  }
  n->size = size;
  return n + 1;
}

const XML_Memory_Handling_Suite kMemorySuite{&counted_malloc, &counted_realloc, &counted_free};

// ---- Names -------------------------------------------------------------------------------
// With XML_SetReturnNSTriplet, Expat gives "uri<sep>local<sep>prefix", "uri<sep>local", or
// "local" (no namespace).
struct QName {
  std::string_view uri;
  std::string_view local;
  std::string_view prefix;
};

QName split_name(const XML_Char* raw) {
  std::string_view s(raw);
  const auto a = s.find(kSep);
  if (a == std::string_view::npos) return {{}, s, {}};
  QName q{s.substr(0, a), s.substr(a + 1), {}};
  const auto b = q.local.find(kSep);
  if (b != std::string_view::npos) {
    q.prefix = q.local.substr(b + 1);
    q.local = q.local.substr(0, b);
  }
  return q;
}

std::string attribute_name(const QName& q) {
  if (q.uri.empty()) return std::string(q.local);
  if (q.uri == ns::kXml) return "xml:" + std::string(q.local);
  std::string out = "{";
  out += q.uri;
  out += '}';
  out += q.local;
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

StreamCondition condition_for(XML_Error code) {
  switch (code) {
    case XML_ERROR_UNDEFINED_ENTITY:
    case XML_ERROR_ENTITY_DECLARED_IN_PE:
    case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
    case XML_ERROR_RECURSIVE_ENTITY_REF:
    case XML_ERROR_BINARY_ENTITY_REF:
    case XML_ERROR_ATTRIBUTE_EXTERNAL_ENTITY_REF:
      return StreamCondition::restricted_xml;  // RFC 6120 §11.1: only the predefined entities
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING:
      return StreamCondition::unsupported_encoding;  // RFC 6120 §11.6: UTF-8 only
    case XML_ERROR_NO_MEMORY:
      return StreamCondition::policy_violation;  // our memory cap refused an allocation
    default:
      return StreamCondition::not_well_formed;
  }
}

}  // namespace

struct StreamParser::Impl {
  ParserLimits limits;
  MemoryAccount account;
  XML_Parser parser = nullptr;
  std::vector<StreamEvent>* out = nullptr;

  // Stream state.
  std::size_t depth = 0;       // 0 before the root, 1 inside the root between stanzas
  std::size_t elements = 0;    // elements in the current stanza
  std::vector<Element> stack;  // the stanza being assembled, root first
  std::optional<StreamFailed> failure;
  bool closed = false;
  bool opened = false;
  // Namespace declarations of the stream root and its prefix, replayed when Expat is recycled.
  std::vector<std::pair<std::string, std::string>> root_bindings;
  std::string root_prefix;

  // Positions: global = Expat byte index + index_offset.
  long long index_offset = 0;
  long long consumed = 0;    // global bytes handed to Expat so far
  long long mark = 0;        // start of what is pending (current stanza, or after the last)
  bool recycle = false;      // swap Expat instances at the stanza boundary just passed
  long long recycle_at = 0;  // global position of that boundary

  explicit Impl(ParserLimits l) : limits(l) {
    if (limits.max_parser_memory == 0)
      limits.max_parser_memory = 4 * limits.max_stanza_bytes + 256 * 1024;
    account.cap = limits.max_parser_memory;
    create();
  }
  ~Impl() { destroy(); }

  void destroy() {
    if (parser != nullptr) {
      AccountScope scope(&account);
      XML_ParserFree(parser);
      parser = nullptr;
    }
  }

  void create() {
    AccountScope scope(&account);
    const XML_Char sep[2] = {kSep, '\0'};
    // The encoding argument overrides any declaration: XMPP is UTF-8 only (RFC 6120 §11.6).
    parser = XML_ParserCreate_MM("UTF-8", &kMemorySuite, sep);
    if (parser == nullptr) return;
    XML_SetReturnNSTriplet(parser, XML_TRUE);
    // Debian's Expat 2.5 carries the 2.6 "reparse deferral" (CVE-2023-52425): an incomplete token
    // is re-parsed only once the buffer has grown enough, so a stanza could wait for the next
    // one to arrive, forever on a quiet stream. Streams need every complete token at once; the
    // re-parse cost it guards against is bounded here by max_stanza_bytes. Builds of 2.5.0
    // from before that update have neither the deferral nor the call (xmpp/CMakeLists.txt).
#if defined(CONCLAVE_HAVE_EXPAT_REPARSE_DEFERRAL)
    XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &on_start, &on_end);
    XML_SetCharacterDataHandler(parser, &on_text);
    XML_SetStartNamespaceDeclHandler(parser, &on_ns_decl);
    XML_SetXmlDeclHandler(parser, &on_xml_decl);
    // RFC 6120 §11.1: no DTDs, comments, processing instructions or entity declarations.
    XML_SetStartDoctypeDeclHandler(parser, &on_doctype);
    XML_SetEntityDeclHandler(parser, &on_entity_decl);
    XML_SetCommentHandler(parser, &on_comment);
    XML_SetProcessingInstructionHandler(parser, &on_pi);
    XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
  }

  long long position() const {
    return static_cast<long long>(XML_GetCurrentByteIndex(parser)) + index_offset;
  }
  long long event_end() const {
    return position() + static_cast<long long>(XML_GetCurrentByteCount(parser));
  }

  void fail(StreamCondition c, std::string detail) {
    if (!failure) failure = StreamFailed{c, std::move(detail)};
    XML_StopParser(parser, XML_FALSE);
  }
  bool over_size(long long at) const {
    return at - mark > static_cast<long long>(limits.max_stanza_bytes);
  }

  static Impl* self(void* ud) { return static_cast<Impl*>(ud); }

  static void XMLCALL on_xml_decl(void* ud, const XML_Char*, const XML_Char* encoding, int) {
    if (encoding != nullptr && !iequals(encoding, "UTF-8")) {
      self(ud)->fail(StreamCondition::unsupported_encoding, encoding);
    }
  }
  static void XMLCALL on_doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    self(ud)->fail(StreamCondition::restricted_xml, "DTD");
  }
  static void XMLCALL on_entity_decl(void* ud, const XML_Char*, int, const XML_Char*, int,
                                     const XML_Char*, const XML_Char*, const XML_Char*,
                                     const XML_Char*) {
    self(ud)->fail(StreamCondition::restricted_xml, "entity declaration");
  }
  static void XMLCALL on_comment(void* ud, const XML_Char*) {
    self(ud)->fail(StreamCondition::restricted_xml, "comment");
  }
  static void XMLCALL on_pi(void* ud, const XML_Char*, const XML_Char*) {
    self(ud)->fail(StreamCondition::restricted_xml, "processing instruction");
  }
  static void XMLCALL on_ns_decl(void* ud, const XML_Char* prefix, const XML_Char* uri) {
    Impl* p = self(ud);
    if (p->depth == 0) p->root_bindings.emplace_back(prefix ? prefix : "", uri ? uri : "");
  }

  static void XMLCALL on_start(void* ud, const XML_Char* raw, const XML_Char** atts) {
    Impl* p = self(ud);
    const QName q = split_name(raw);
    std::size_t n_atts = 0;
    while (atts[2 * n_atts] != nullptr) ++n_atts;
    if (n_atts > p->limits.max_attributes) {
      return p->fail(StreamCondition::policy_violation, "too many attributes");
    }
    if (p->depth == 0) {
      // RFC 6120 §4.9.3.10: the root must be <stream> in the streams namespace.
      if (q.uri != ns::kStream || q.local != "stream") {
        return p->fail(StreamCondition::invalid_namespace, "root is not <stream:stream>");
      }
      p->root_prefix = std::string(q.prefix);
      if (!p->opened) {
        StreamOpened opened{Element("stream", std::string(ns::kStream)), {}};
        for (std::size_t i = 0; i < n_atts; ++i) {
          opened.header.set_attr(attribute_name(split_name(atts[2 * i])), atts[2 * i + 1]);
        }
        for (const auto& [prefix, uri] : p->root_bindings) {
          if (prefix.empty()) opened.content_ns = uri;
        }
        p->out->emplace_back(std::in_place_type<StreamOpened>, std::move(opened));
        p->opened = true;
      }
      p->depth = 1;
      p->mark = p->event_end();
      return;
    }
    if (p->depth == 1) {
      p->elements = 0;
      p->mark = p->position();
    } else if (p->depth - 1 >= p->limits.max_depth) {
      return p->fail(StreamCondition::policy_violation, "stanza nested too deeply");
    }
    if (++p->elements > p->limits.max_elements) {
      return p->fail(StreamCondition::policy_violation, "too many elements in stanza");
    }
    if (p->over_size(p->event_end())) {
      return p->fail(StreamCondition::policy_violation, "stanza too large");
    }
    Element e{std::string(q.local), std::string(q.uri)};
    for (std::size_t i = 0; i < n_atts; ++i) {
      e.set_attr(attribute_name(split_name(atts[2 * i])), atts[2 * i + 1]);
    }
    p->stack.push_back(std::move(e));
    ++p->depth;
  }

  static void XMLCALL on_end(void* ud, const XML_Char*) {
    Impl* p = self(ud);
    if (p->depth == 1) {
      p->depth = 0;
      p->closed = true;
      p->out->emplace_back(std::in_place_type<StreamClosed>);
      XML_StopParser(p->parser, XML_FALSE);
      return;
    }
    --p->depth;
    Element done = std::move(p->stack.back());
    p->stack.pop_back();
    if (!p->stack.empty()) {
      p->stack.back().add_child(std::move(done));
      return;
    }
    const long long end = p->event_end();
    if (p->over_size(end)) return p->fail(StreamCondition::policy_violation, "stanza too large");
    p->out->emplace_back(std::in_place_type<StanzaReceived>, StanzaReceived{std::move(done)});
    p->mark = end;
    // Expat keeps names it has seen for its lifetime; when its memory has grown past half the
    // cap, continue on a fresh instance from this boundary so a long stream stays bounded.
    if (p->account.in_use > p->account.cap / 2) {
      p->recycle = true;
      p->recycle_at = end;
      XML_StopParser(p->parser, XML_TRUE);
    }
  }

  static void XMLCALL on_text(void* ud, const XML_Char* s, int len) {
    Impl* p = self(ud);
    if (p->stack.empty()) {
      // Whitespace between stanzas (keepalives) moves the pending window forward.
      p->mark = p->event_end();
      return;
    }
    if (p->over_size(p->event_end())) {
      return p->fail(StreamCondition::policy_violation, "stanza too large");
    }
    Element& top = p->stack.back();
    std::string& target =
        top.children().empty() ? top.mutable_text() : top.children().back().mutable_tail();
    target.append(s, static_cast<std::size_t>(len));
  }

  // Replaces Expat with a fresh instance primed with the stream root's start tag.
  void recycle_parser() {
    destroy();
    create();
    if (parser == nullptr) {
      failure = StreamFailed{StreamCondition::internal_server_error, "parser allocation failed"};
      return;
    }
    std::string head = "<";
    if (!root_prefix.empty()) head += root_prefix + ":";
    head += "stream";
    const auto bindings = std::move(root_bindings);
    root_bindings.clear();
    for (const auto& [prefix, uri] : bindings) {
      head += prefix.empty() ? " xmlns='" : " xmlns:" + prefix + "='";
      append_escaped_attr(head, uri);
      head += "'";
    }
    head += ">";
    index_offset = recycle_at - static_cast<long long>(head.size());
    std::vector<StreamEvent> ignored;
    std::vector<StreamEvent>* saved = out;
    out = &ignored;
    depth = 0;
    {
      AccountScope scope(&account);
      XML_Parse(parser, head.data(), static_cast<int>(head.size()), XML_FALSE);
    }
    out = saved;
    mark = recycle_at;
    recycle = false;
  }

  void feed(std::string_view data, std::vector<StreamEvent>& sink) {
    out = &sink;
    if (parser == nullptr && !failure) {
      failure = StreamFailed{StreamCondition::internal_server_error, "parser allocation failed"};
      sink.emplace_back(std::in_place_type<StreamFailed>, *failure);
    }
    while (!data.empty() && !closed && !failure) {
      const std::string_view chunk = data.substr(0, kChunk);
      XML_Status status;
      {
        AccountScope scope(&account);
        status = XML_Parse(parser, chunk.data(), static_cast<int>(chunk.size()), XML_FALSE);
      }
      if (status == XML_STATUS_SUSPENDED && recycle) {
        const auto used = static_cast<std::size_t>(recycle_at - consumed);
        consumed = recycle_at;
        data.remove_prefix(used);
        recycle_parser();
        continue;
      }
      if (status == XML_STATUS_ERROR && !failure && !closed) {
        const XML_Error code = XML_GetErrorCode(parser);
        failure = StreamFailed{condition_for(code), XML_ErrorString(code)};
      }
      consumed += static_cast<long long>(chunk.size());
      data.remove_prefix(chunk.size());
      // Whatever Expat still buffers (an unfinished tag, a stanza in progress) counts against
      // the stanza limit, so a peer cannot grow it by never finishing a token.
      if (!failure && !closed && over_size(consumed)) {
        failure = StreamFailed{StreamCondition::policy_violation, "stanza too large"};
      }
    }
    if (failure && !reported_failure) {
      reported_failure = true;
      stack.clear();
      sink.emplace_back(std::in_place_type<StreamFailed>, *failure);
    }
    out = nullptr;
  }

  bool reported_failure = false;
};

StreamParser::StreamParser(ParserLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
StreamParser::~StreamParser() = default;

void StreamParser::feed(std::string_view data, std::vector<StreamEvent>& out) {
  impl_->feed(data, out);
}

std::vector<StreamEvent> StreamParser::feed(std::string_view data) {
  std::vector<StreamEvent> out;
  impl_->feed(data, out);
  return out;
}

void StreamParser::reset() { impl_ = std::make_unique<Impl>(impl_->limits); }

bool StreamParser::finished() const { return impl_->closed || impl_->failure.has_value(); }
std::size_t StreamParser::parser_memory() const { return impl_->account.in_use; }
std::size_t StreamParser::peak_parser_memory() const { return impl_->account.peak; }
std::size_t StreamParser::pending_bytes() const {
  return static_cast<std::size_t>(impl_->consumed - impl_->mark);
}

}  // namespace conclave::xmpp
