#include "mls/framing/ratchet_tree.h"

namespace conclave::mls {

void write(Writer& w, const Node& v) {
  write(w, v.type());
  std::visit([&](const auto& n) { write(w, n); }, v.value);
}

bool read(Reader& r, Node& v) {
  NodeType type{};
  if (!read(r, type)) return false;
  switch (type) {
    case NodeType::leaf: {
      LeafNode n;
      if (!read(r, n)) return false;
      v.value = std::move(n);
      return true;
    }
    case NodeType::parent: {
      ParentNode n;
      if (!read(r, n)) return false;
      v.value = std::move(n);
      return true;
    }
  }
  return r.fail(Errc::invalid_value);
}

}  // namespace conclave::mls
