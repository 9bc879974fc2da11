#include "component/log.h"

#include <cstdio>

#include "component/stanza_util.h"

namespace conclave::component {

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
