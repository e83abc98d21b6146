// All SLA state of the process: one SlaEngine per assigned Kafka partition (an order's
// events all live in one partition number across the configured topics). Sources post
// decoded events here; every decision goes to the registered sinks. Engine thread only:
// nothing here locks, and every other thread reaches it by posting to the io_context.
//
// Follow one event: KafkaEventSource (consumer thread) decodes a record and posts
// Offer(partition, event) -> SlaEngine::Offer buffers or applies it -> decisions ->
// DecisionSink::OnDecisions (metrics, decisions topic, timeline). With no events, Tick()
// moves idle partitions' frontiers with the wall clock, so deadlines still fire.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "daemon/host/decision_sink.h"
#include "daemon/host/partition_attachment.h"
#include "handlers/decoder.h"
#include "handlers/sla_engine.h"

namespace handoff {

// The engine options the config asks for (time.lateness, dedupe_window, retention): the
// one place they are read, for the daemon's engines and for `handoffd replay`.
EngineOptions EngineOptionsOf(const Config& config);

class EngineHost {
 public:
  struct Partition {
    explicit Partition(SlaEngine engine) : engine(std::move(engine)) {}
    SlaEngine engine;
    TimeMs last_event_wall = kNoTime;  // wall time of the last event offered
    // When the partition was assigned or restored, as the host first saw it: the first
    // Tick after Assign or Install, or the first event offered before it (the daemon ticks
    // at least every second). Rule 2's idle clock starts no earlier.
    TimeMs assigned_wall = kNoTime;
    bool caught_up = false;            // the source has read up to the high watermark
    std::map<std::string, std::int64_t> lag;  // topic -> messages behind the high watermark
  };

  explicit EngineHost(std::shared_ptr<const Config> config);

  void AddSink(DecisionSink* sink) { sinks_.push_back(sink); }
  // What moves with each partition besides its engine (checkpointed with it, forgotten on
  // Revoke); null: nothing.
  void set_attachment(PartitionAttachment* attachment) { attachment_ = attachment; }
  PartitionAttachment* attachment() const { return attachment_; }

  // Partitions come and go with consumer-group rebalances. Assigning an assigned
  // partition, or revoking an unknown one, does nothing.
  void Assign(std::int32_t partition);
  void Revoke(std::int32_t partition);

  // What every partition's engine is built under: the config (its time options) and the
  // SLAs, shared by all engines. A reload replaces both. A copy may go to other threads.
  struct Basis {
    std::shared_ptr<const Config> config;
    SlaEngine::Slas slas;
  };
  Basis basis() const { return Basis{config_, slas_}; }

  // Checkpoints (docs/durability.md): assigns the partition with the engine state saved by
  // SlaEngine::SaveState, replacing any engine it had. Open instances of SLAs the config
  // no longer has are dropped and added to dropped_open_instances(). On error (corrupt
  // state) the partition is left as it was.
  Status Restore(std::int32_t partition, std::string_view state);
  // Restore in two steps, so that the slow one runs off the engine thread. RestoreEngine
  // (any thread, static) builds the engine under `basis`, dropping the open instances of
  // SLAs `basis` lacks (their number in *dropped_open); Install (engine thread) moves it
  // in, replacing any engine the partition had, and adds `dropped_open` to
  // dropped_open_instances(). If a reload replaced the basis in between, Install first
  // re-homes the engine under the current one, as Reconfigure does; if that fails the
  // partition is left as it was.
  static Result<SlaEngine> RestoreEngine(const Basis& basis, std::string_view state,
                                         std::size_t* dropped_open = nullptr);
  Status Install(std::int32_t partition, SlaEngine engine, const Basis& built_under,
                               std::size_t dropped_open = 0);

  // Reload: re-homes every partition's state under `config`'s SLAs and time options
  // (SlaEngine::RestoreState): a new SLA starts empty, a removed SLA's instances are
  // dropped (their number is returned and added to dropped_open_instances()), a changed
  // target applies to instances started from now on. On error nothing changed.
  Result<std::size_t> Reconfigure(std::shared_ptr<const Config> config);
  // Open instances dropped because their SLA left the config: by reloads, and by restores
  // from checkpoints written under an older config.
  std::uint64_t dropped_open_instances() const { return dropped_open_instances_; }

  // Offers events in order, each to its partition's engine; an event whose partition was
  // revoked while it was in flight is dropped. While one event is offered, the dedupe
  // entry of the one 8 places behind it is fetched (SlaEngine::Prefetch): in a large
  // table each is a cache miss, and this way they overlap.
  void Offer(std::span<std::pair<std::int32_t, Event>> events, TimeMs wall_now);
  void Offer(std::int32_t partition, Event event, TimeMs wall_now);  // one event
  void CountRejected(RejectReason reason) { ++rejected_[static_cast<std::size_t>(reason)]; }
  void SetCaughtUp(std::int32_t partition, bool caught_up);
  void SetLag(std::int32_t partition, const std::string& topic, std::int64_t lag);
  void CountConsumed(const std::string& topic, std::uint64_t n = 1) { consumed_[topic] += n; }
  // /-/ready: the source says every assigned partition is restored and consuming.
  void SetReady(bool ready) { ready_ = ready; }
  bool ready() const { return ready_; }

  // Rule 2's wall-clock frontier: each caught-up partition idle for `idle_timeout` moves
  // to wall_now - lateness. A partition is idle from its last event or from its
  // assignment (or restore), whichever is later. Returns the wall time at which calling
  // again can next decide something (kEndOfTime when nothing is pending), for the
  // daemon's single timer.
  TimeMs Tick(TimeMs wall_now);

  // Several members (checkpoint.store: kafka): after two Ticks further apart than
  // `stall` (the process was stopped, or the machine slept), no partition follows the
  // wall clock for `hold`. A member stopped past its session has lost its partitions
  // without knowing it; within `hold` its consumer's heartbeats learn that and the
  // partitions are revoked, so it never decides a wall-clock breach that the new owner,
  // which may have read the stop in time, does not. Off (0) by default.
  void GuardWallClockAfterStalls(DurationMs stall, DurationMs hold) {
    stall_ = stall;
    stall_hold_ = hold;
  }

  const Config& config() const { return *config_; }
  const std::map<std::int32_t, Partition>& partitions() const { return partitions_; }
  // Totals over the life of the process, across partitions (revoked ones included).
  const EngineStats& totals() const { return totals_; }
  const std::map<std::string, std::uint64_t>& consumed() const { return consumed_; }
  std::uint64_t rejected(RejectReason reason) const {
    return rejected_[static_cast<std::size_t>(reason)];
  }
  OpenCounts open_counts(std::size_t sla) const;
  void VisitOpenInstances(const std::function<void(std::int32_t partition,
                                                   const InstanceSnapshot&)>& visit) const;

 private:
  // Runs `step` on one partition's engine, then accounts its stats and hands the
  // decisions it made to the sinks.
  void Run(std::int32_t partition, Partition& state,
           const std::function<void(SlaEngine&, std::vector<Decision>&)>& step);

  std::shared_ptr<const Config> config_;
  SlaEngine::Slas slas_;
  std::vector<DecisionSink*> sinks_;
  PartitionAttachment* attachment_ = nullptr;
  std::map<std::int32_t, Partition> partitions_;
  std::vector<Partition*> offer_targets_;  // Offer's scratch: each event's partition
  EngineStats totals_;
  std::array<std::uint64_t, kAllRejectReasons.size()> rejected_{};
  std::map<std::string, std::uint64_t> consumed_;  // topic -> records read
  bool ready_ = false;
  DurationMs stall_ = 0;            // GuardWallClockAfterStalls; 0: off
  DurationMs stall_hold_ = 0;
  TimeMs last_tick_ = kNoTime;      // wall time of the previous Tick
  TimeMs wall_clock_held_until_ = kNoTime;
  std::vector<Decision> decisions_;  // reused between calls
  std::uint64_t dropped_open_instances_ = 0;
};

}  // namespace handoff
