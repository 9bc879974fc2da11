#pragma once
// Logger: leveled log lines on stderr, safe from any thread. Callers never pass secrets or
// message bodies (docs/configuration.md, Logging).
#include <mutex>
#include <string_view>

namespace conclave::component {

// The level of a log line; log.level names them debug, info, warn and error (config.cpp).
enum class LogLevel { debug, info, warn, error };
std::string_view log_level_name(LogLevel level);  // "debug", "info", "warn", "error"

class Logger {
 public:
  explicit Logger(LogLevel min) : min_(min) {}
  void log(LogLevel level, std::string_view line);

 private:
  LogLevel min_;
  std::mutex mutex_;
};

}  // namespace conclave::component
