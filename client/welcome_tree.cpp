#include "client/welcome_tree.h"

namespace conclave::client {

bool tree_in_welcome(WelcomeTree mode, std::size_t encoded_tree_size) {
  switch (mode) {
    case WelcomeTree::always:
      return true;
    case WelcomeTree::never:
      return false;
    case WelcomeTree::automatic:
      break;
  }
  return encoded_tree_size <= kWelcomeTreeLimit;
}

std::optional<WelcomeTree> parse_welcome_tree(std::string_view text) {
  if (text == "auto") return WelcomeTree::automatic;
  if (text == "always") return WelcomeTree::always;
  if (text == "never") return WelcomeTree::never;
  return std::nullopt;
}

}  // namespace conclave::client
