// The librdkafka side of KafkaCheckpointStore (kafka_checkpoint_store.h): a producer
// whose batches wait for their delivery reports, a partition's watermarks, and reads of a
// range of a state partition with the simple consumer API. Only kafka_checkpoint_store.cc
// includes it, so rdkafka.h stays out of the store's header.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "daemon/durability/kafka_checkpoint_store.h"
#include "daemon/durability/state_records.h"

namespace handoff {

struct KafkaCheckpointStore::Kafka {
  using SteadyClock = std::chrono::steady_clock;
  static constexpr int kPollMs = 50;

  // The outcome of one batch of produced records, filled in by delivery reports (the
  // producer's poll thread) while the producing thread waits.
  struct Batch {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t outstanding = 0;
    std::vector<std::int64_t> offsets;
    std::optional<std::string> error;
  };

  struct Ticket {
    std::shared_ptr<Batch> batch;
    std::size_t index;
  };

  // Sets every property on `conf`; false with the key and librdkafka's reason.
  static bool SetAll(rd_kafka_conf_t* conf,
                     const std::vector<std::pair<std::string, std::string>>& props,
                     std::string* error) {
    char errstr[512];
    for (const auto& [key, value] : props) {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
        *error = key + ": " + errstr;
        return false;
      }
    }
    return true;
  }

  ~Kafka() {
    stop = true;
    if (poller.joinable()) poller.join();
    if (producer != nullptr) {
      rd_kafka_flush(producer, 5000);
      rd_kafka_destroy(producer);
    }
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    std::unique_ptr<Ticket> ticket(static_cast<Ticket*>(message->_private));
    Batch& batch = *ticket->batch;
    std::lock_guard lock(batch.mutex);
    if (message->err) {
      if (!batch.error) batch.error = rd_kafka_err2str(message->err);
    } else {
      batch.offsets[ticket->index] = message->offset;
    }
    if (--batch.outstanding == 0) batch.done.notify_all();
  }

  // Produces `records` (key, value; a null value is a tombstone) to the partition and
  // waits for every delivery report: their offsets, in order.
  Result<std::vector<std::int64_t>> Produce(
      std::int32_t partition,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
      DurationMs timeout) {
    auto batch = std::make_shared<Batch>();
    batch->offsets.assign(records.size(), -1);
    batch->outstanding = records.size();
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::string& key = records[i].first;
      const std::optional<std::string>& value = records[i].second;
      char* value_data = value ? const_cast<char*>(value->data()) : nullptr;
      std::size_t value_size = value ? value->size() : 0;
      auto* ticket = new Ticket{batch, i};
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_OPAQUE(ticket), RD_KAFKA_V_END);
      if (err) {
        delete ticket;
        std::lock_guard lock(batch->mutex);
        batch->outstanding -= records.size() - i;  // the rest is never produced
        batch->error = rd_kafka_err2str(err);
        break;
      }
      bytes_written += value_size;
    }
    std::unique_lock lock(batch->mutex);
    if (!batch->done.wait_for(lock, std::chrono::milliseconds(timeout),
                              [&] { return batch->outstanding == 0; })) {
      return Error{"writing to " + topic + " timed out"};
    }
    if (batch->error) return Error{"writing to " + topic + ": " + *batch->error};
    return batch->offsets;
  }

  Result<std::pair<std::int64_t, std::int64_t>> Watermarks(std::int32_t partition,
                                                           DurationMs timeout) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            producer, topic.c_str(), partition, &low, &high, static_cast<int>(timeout))) {
      return Error{"reading the offsets of " + topic + " partition " + std::to_string(partition) +
                   ": " + rd_kafka_err2str(err)};
    }
    return std::make_pair(low, high);
  }

  // Every record of [from, to) of the partition, decoded; tombstones skipped. A record
  // that does not decode is an error: the topic holds something else.
  Result<std::vector<StateRecord>> Read(std::int32_t partition, std::int64_t from, std::int64_t to,
                                        DurationMs timeout, ReadStats* stats) {
    std::vector<StateRecord> out;
    if (from >= to) return out;
    auto reader = NewConsumer();
    if (!reader) return reader.error();
    rd_kafka_t* consumer = *reader;
    // The simple (legacy) consumer: no group, nothing to close. (A group consumer that
    // only assign()s works too, but its close took part in aborts of librdkafka 2.0.2
    // when the daemon stopped during a rebalance.)
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
    if (rd_kafka_consume_start(rkt, partition, from) == -1) {
      Error error{"reading " + topic + " partition " + std::to_string(partition) + ": " +
                  rd_kafka_err2str(rd_kafka_last_error())};
      rd_kafka_topic_destroy(rkt);
      rd_kafka_destroy(consumer);
      return error;
    }
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout);
    std::optional<Error> failure;
    std::string last_error = "no record arrived";
    bool done = false;
    while (!done && !failure) {
      if (SteadyClock::now() > deadline) {
        failure = Error{"reading " + topic + " partition " + std::to_string(partition) +
                        " timed out (" + last_error + ")"};
        break;
      }
      rd_kafka_message_t* m = rd_kafka_consume(rkt, partition, kPollMs);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        done = true;
      } else if (m->err) {
        last_error = rd_kafka_message_errstr(m);  // transient: retried until the deadline
      } else {
        if (m->offset >= to - 1) done = true;
        if (m->offset < to && m->payload != nullptr) {
          auto record =
              DecodeStateRecord(std::string_view(static_cast<const char*>(m->payload), m->len));
          if (!record) {
            failure = Error{topic + " partition " + std::to_string(partition) + " offset " +
                            std::to_string(m->offset) + ": " + record.error().message};
          } else {
            out.push_back(std::move(record).value());
            out.back().offset = m->offset;
            ++stats->records;
            stats->bytes += m->len;
          }
        }
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consume_stop(rkt, partition);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(consumer);
    if (failure) return *failure;
    return out;
  }

  // The partition read back from `high` towards `low`: the newest `first` records, then
  // windows 4 times as long, each put in front of those read, until `enough(records,
  // offset they start at)` says so or `low` is reached. Each read has `timeout`.
  template <typename Enough>
  Result<std::vector<StateRecord>> ReadBack(std::int32_t partition, std::int64_t low,
                                            std::int64_t high, std::int64_t first,
                                            DurationMs timeout, ReadStats* stats, Enough enough) {
    std::vector<StateRecord> records;
    for (std::int64_t start = high, window = first; start > low; window *= 4) {
      const std::int64_t from = std::max(low, high - window);
      auto older = Read(partition, from, start, timeout, stats);
      if (!older) return older.error();
      older.value().insert(older.value().end(), std::make_move_iterator(records.begin()),
                           std::make_move_iterator(records.end()));
      records = std::move(older).value();
      start = from;
      if (enough(records, start)) break;
    }
    return records;
  }

  // A consumer outside any group, for the simple consumer API.
  Result<rd_kafka_t*> NewConsumer() const {
    std::string error;
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto props = base_properties;
    props.insert(props.end(), {{"enable.auto.commit", "false"},
                               {"enable.auto.offset.store", "false"},
                               {"enable.partition.eof", "true"},
                               {"max.partition.fetch.bytes", "8388608"}});
    if (!SetAll(conf, props, &error)) {
      rd_kafka_conf_destroy(conf);
      return Error{"checkpoint store: " + error};
    }
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (consumer == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Error{std::string("checkpoint store: ") + errstr};
    }
    return consumer;
  }

  std::string topic;
  std::vector<std::pair<std::string, std::string>> base_properties;  // brokers, security
  rd_kafka_t* producer = nullptr;
  std::thread poller;  // serves delivery reports
  std::atomic<bool> stop = false;
  std::atomic<std::uint64_t> bytes_written = 0;
  std::atomic<std::uint64_t> saves_skipped = 0;
};

}  // namespace handoff
