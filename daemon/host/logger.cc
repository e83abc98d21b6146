#include "daemon/host/logger.h"

#include <chrono>
#include <iostream>

#include "handlers/json_writer.h"
#include "handlers/time.h"

namespace handoff {
namespace {

constexpr std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// logfmt quotes a value only when it must: empty, or with spaces, quotes or '='.
void AppendLogfmtValue(std::string& out, std::string_view value) {
  bool quote = value.empty() || value.find_first_of(" \"=\t\n\\") != std::string_view::npos;
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  AppendJsonEscaped(out, value);
  out += '"';
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(level)) return level;
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "logfmt") return LogFormat::kLogfmt;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

Logger& Logger::Get() {
  static Logger logger;
  return logger;
}

void Logger::Configure(LogLevel level, LogFormat format, std::ostream* out) {
  std::lock_guard lock(mutex_);
  level_ = level;
  format_ = format;
  out_ = out;
}

void Logger::Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string line;
  if (format_ == LogFormat::kJson) {
    JsonWriter json;
    json.BeginObject();
    json.Key("ts").Time(now).Key("level").String(LevelName(level)).Key("msg").String(message);
    for (const auto& [key, value] : fields) json.Key(key).String(value);
    json.EndObject();
    line = json.Take();
  } else {
    line = "ts=" + FormatRfc3339(now) + " level=" + std::string(LevelName(level)) + " msg=";
    AppendLogfmtValue(line, message);
    for (const auto& [key, value] : fields) {
      line += ' ';
      line += key;
      line += '=';
      AppendLogfmtValue(line, value);
    }
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  std::ostream& out = out_ ? *out_ : std::cerr;
  out << line << std::flush;
}

}  // namespace handoff
