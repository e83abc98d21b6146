#include "daemon/ingest/rdkafka_util.h"

#include "daemon/host/logger.h"

namespace handoff {
namespace {

LogLevel LevelOfSyslog(int level) {
  if (level <= 3) return LogLevel::kError;
  if (level == 4) return LogLevel::kWarn;
  if (level <= 6) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

}  // namespace

void OnLibraryLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  Logger::Get().Log(LevelOfSyslog(level), "librdkafka",
                    {{"facility", facility}, {"detail", message}});
}

Status SetAll(rd_kafka_conf_t* conf,
              const std::vector<std::pair<std::string, std::string>>& props) {
  char errstr[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return Error{"kafka property " + key + ": " + errstr};
    }
  }
  return {};
}

void LogAndFree(std::string_view what, rd_kafka_error_t* error) {
  if (error == nullptr) return;
  LogError(what, {{"error", rd_kafka_error_string(error)}});
  rd_kafka_error_destroy(error);
}

}  // namespace handoff
