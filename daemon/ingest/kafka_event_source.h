// The Kafka side of the daemon: one member of a consumer group on the configured topics.
// A consumer thread reads records in batches, decodes them, dead-letters bad ones and
// hands everything (assignments, events, rejections, lag, readiness) to the EngineHost
// through a mailbox that the engine thread drains, in order. Offsets are stored only
// after the engine thread has applied their records. Owner: the Daemon. Start() and
// Stop() run on the engine thread; librdkafka stays in this folder's .cc files.
// The parts, each in its own file: ConsumerLoop (the thread and the callbacks),
// DeadLetterProducer, WatermarkTracker (lag, caught-up, readiness), BatchMailbox (the
// hand-off) and BatchApplier (the engine thread's side).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "daemon/host/clock.h"
#include "handlers/result.h"

namespace handoff {

class ConsumerLoop;
class EngineHost;

// Headers of a dead-lettered record, besides the original ones: why and where it was.
inline constexpr const char* kRejectReasonHeader = "handoff-reject-reason";
inline constexpr const char* kOriginalTopicHeader = "handoff-original-topic";
inline constexpr const char* kOriginalPartitionHeader = "handoff-original-partition";
inline constexpr const char* kOriginalOffsetHeader = "handoff-original-offset";

// The librdkafka properties of the consumer, in the order they are set: our defaults,
// then kafka.properties unchanged, then the two settings correctness depends on
// (manual offset store, end-of-partition events), which win over the user's.
std::vector<std::pair<std::string, std::string>> ConsumerProperties(const KafkaConfig& kafka);

class KafkaEventSource {
 public:
  // Runs a task on the engine thread, after the ones posted before it.
  using Poster = std::function<void(std::function<void()>)>;

  using Offsets = std::map<std::string, std::int64_t>;  // topic -> next offset to read

  // How the Daemon's checkpoints take part (docs/durability.md); each one may be empty.
  struct Hooks {
    // Consumer thread, once per assignment, with the partition numbers it newly assigns,
    // before any is read: the offsets to start each topic of each at (a partition or a
    // topic missing from the answer starts at the committed offset). Whoever answers
    // keeps what the engine thread will need to restore the partitions, and may prepare
    // them all at once.
    std::function<std::map<std::int32_t, Offsets>(const std::vector<std::int32_t>& partitions)>
        start_offsets;
    // Engine thread, instead of EngineHost::Assign/Revoke: before the partition's first
    // event, and after its last one was applied (and reported through `applied`).
    std::function<void(std::int32_t partition)> assign;
    std::function<void(std::int32_t partition)> revoke;
    // Engine thread: the engine has been given every record of the topic's partition
    // before `next_offset`.
    std::function<void(std::int32_t partition, const std::string& topic,
                       std::int64_t next_offset)>
        applied;
  };

  struct Options {
    std::size_t max_batch = 4096;          // records per consume call and per mailbox entry
    std::size_t max_queued_batches = 16;   // the consumer waits when the engine is this far behind
    Hooks hooks;
  };

  // `host` and `clock` must outlive this object; `post` must keep working until Stop().
  KafkaEventSource(std::shared_ptr<const Config> config, EngineHost& host, const Clock& clock,
                   Poster post, Options options);
  KafkaEventSource(std::shared_ptr<const Config> config, EngineHost& host, const Clock& clock,
                   Poster post)
      : KafkaEventSource(std::move(config), host, clock, std::move(post), Options()) {}
  ~KafkaEventSource();  // Stop()s
  KafkaEventSource(const KafkaEventSource&) = delete;
  KafkaEventSource& operator=(const KafkaEventSource&) = delete;

  // Creates the consumer (and the dead-letter producer), subscribes and starts the
  // consumer thread. An error means a bad property or topic list: nothing was started.
  Status Start();

  // Leaves the group: the consumer thread stops reading, the engine thread (this one)
  // applies what is still in the mailbox, the final offsets are committed, and the
  // thread is joined. Safe to call twice or without Start().
  void Stop();

  // Records read so far by the consumer thread (for the demo's summary); any thread.
  std::uint64_t records_read() const;

 private:
  std::shared_ptr<ConsumerLoop> loop_;  // shared with tasks posted to the engine (weakly)
};

}  // namespace handoff
