#include "component/store/errors.h"

#include <string>

namespace conclave::component {
namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "conclave.component.store"; }
  std::string message(int c) const override {
    switch (static_cast<StoreErrc>(c)) {
      case StoreErrc::ok:
        return "ok";
      case StoreErrc::not_found:
        return "not found";
      case StoreErrc::conflict:
        return "already exists";
      case StoreErrc::fenced:
        return "the shard lease is no longer held (fenced)";
      case StoreErrc::unknown_device:
        return "a leaf names a device that is not on its account's device list";
    }
    return "unknown store error";
  }
};

}  // namespace

const std::error_category& component_store_category() noexcept {
  static const Category c;
  return c;
}

}  // namespace conclave::component
