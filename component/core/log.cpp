#include "component/core/log.h"

#include <cstdio>

#include "component/core/stanza_util.h"

namespace conclave::component {

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

void Logger::log(LogLevel level, std::string_view line) {
  if (level < min_) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const std::string ts = format_timestamp(std::chrono::system_clock::now());
  std::lock_guard lock(mutex_);
  std::fprintf(stderr, "%s %-5s %.*s\n", ts.c_str(), kNames[static_cast<int>(level)],
               static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace conclave::component
