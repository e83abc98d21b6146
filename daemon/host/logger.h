// Structured log lines on stderr, as logfmt (the default) or JSON, filtered by level.
// Process-wide: main configures it once; any thread may log (lines never interleave).
#pragma once

#include <initializer_list>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace handoff {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kLogfmt, kJson };

std::optional<LogLevel> ParseLogLevel(std::string_view text);    // debug|info|warn|error
std::optional<LogFormat> ParseLogFormat(std::string_view text);  // logfmt|json

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  static Logger& Get();

  void Configure(LogLevel level, LogFormat format, std::ostream* out);
  bool Enabled(LogLevel level) const { return level >= level_; }
  void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields);

 private:
  std::mutex mutex_;
  LogLevel level_ = LogLevel::kInfo;
  LogFormat format_ = LogFormat::kLogfmt;
  std::ostream* out_ = nullptr;  // nullptr: std::cerr
};

inline void LogDebug(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Logger::Get().Log(LogLevel::kDebug, message, fields);
}
inline void LogInfo(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Logger::Get().Log(LogLevel::kInfo, message, fields);
}
inline void LogWarn(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Logger::Get().Log(LogLevel::kWarn, message, fields);
}
inline void LogError(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Logger::Get().Log(LogLevel::kError, message, fields);
}

}  // namespace handoff
