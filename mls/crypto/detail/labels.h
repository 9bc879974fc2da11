#pragma once
// The label prefix of every MLS-labelled operation: ExpandWithLabel (RFC 9420 §8),
// SignWithLabel (§5.1.2) and EncryptWithLabel (§5.1.3) all prepend "MLS 1.0 " to the label.
#include <string_view>

namespace conclave::mls::detail {

inline constexpr std::string_view kMlsLabelPrefix = "MLS 1.0 ";

}  // namespace conclave::mls::detail
