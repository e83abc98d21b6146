// Small helpers around librdkafka shared by the ingest wing's .cc files (never included
// by a header outside daemon/ingest/): owning handles, properties, the library's log.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "handlers/result.h"

namespace handoff {

struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using TopicPartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, TopicPartitionListDeleter>;

// Sets every property on `conf`; the first one librdkafka refuses is the error.
Status SetAll(rd_kafka_conf_t* conf, const std::vector<std::pair<std::string, std::string>>& props);

// librdkafka's own log lines go through our logger (any librdkafka thread).
void OnLibraryLog(const rd_kafka_t*, int level, const char* facility, const char* message);

// Logs `error` (if any) under `what` and frees it.
void LogAndFree(std::string_view what, rd_kafka_error_t* error);

}  // namespace handoff
