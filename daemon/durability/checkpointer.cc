#include "daemon/durability/checkpointer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"

namespace handoff {
namespace {

// A frontier moves only with accepted event times and the wall clock, so one more than
// time.max_future ahead of the clock was moved by an event from the future that a build
// before the future_time check accepted (docs/durability.md, "A frontier from the future").
Status FrontierFromTheFuture(const SlaEngine& engine, DurationMs max_future, TimeMs now) {
  if (engine.frontier() == kNoTime || !IsTooFarAhead(engine.frontier(), now, max_future)) {
    return Status();
  }
  return Error{"frontier " + FormatRfc3339(engine.frontier()) +
               " is more than time.max_future (" + FormatDuration(max_future) +
               ") ahead of the clock (" + FormatRfc3339(now) + "); an event from the future moved it"};
}

using SteadyClock = std::chrono::steady_clock;

DurationMs MsSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

void Count(Checkpointer::Report& report, const Status& written, bool lost) {
  if (!written) {
    ++report.failed;
    if (!report.first_error) report.first_error = written.error();
  } else {
    ++report.saved;
  }
  report.decisions_lost = report.decisions_lost || lost;
}

}  // namespace

// SaveNow's jobs report here; the engine thread waits on it.
struct Checkpointer::SyncWait {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t remaining = 0;
  Checkpointer::Report report;
};

struct Checkpointer::Round {
  std::uint64_t id = 0;
  std::vector<std::int32_t> todo;
  std::size_t next = 0;       // index into todo
  std::size_t in_flight = 0;  // snapshots handed to the writer, not yet written
  bool snapshot_posted = false;
  SteadyClock::time_point start;
  Report report;
  OnReport on_report;
};

struct Checkpointer::Writer {
  struct Job {
    std::int32_t partition = 0;
    Checkpoint checkpoint;
    std::optional<std::uint64_t> mark;  // decisions to wait for; none without a publisher
    std::uint64_t round_id = 0;         // 0: a SaveNow job
    std::shared_ptr<SyncWait> sync;
  };

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Job> queue;
  bool stop = false;
  std::atomic<bool> lost{false};
  std::thread thread;
};

Checkpointer::Checkpointer(EngineHost& host, CheckpointStore& store, DecisionPublisher* publisher,
                           const Clock& clock, Poster post, Options options)
    : host_(host),
      store_(store),
      publisher_(publisher),
      clock_(clock),
      post_(std::move(post)),
      options_(options),
      writer_(std::make_unique<Writer>()),
      alive_(std::make_shared<int>(0)) {
  writer_->thread = std::thread([this] {
    NameThisThread("handoff-ckpt");
    Writer& w = *writer_;
    for (;;) {
      Writer::Job job;
      {
        std::unique_lock lock(w.mutex);
        w.changed.wait(lock, [&] { return w.stop || !w.queue.empty(); });
        if (w.stop) return;  // what is still queued stays unwritten: older checkpoints hold
        job = std::move(w.queue.front());
        w.queue.pop_front();
      }
      Status written;
      bool lost = false;
      if (w.lost) {
        written = Error{"a decision was not delivered earlier; checkpoints are suspended"};
      } else if (job.mark && publisher_) {
        // The checkpoint covers every decision made before it; none may be lost after
        // it is written, so they must be acknowledged first.
        written = AwaitDecisions(*job.mark);
        lost = w.lost;
      }
      if (written) written = store_.Save(job.partition, job.checkpoint);
      if (job.sync) {
        std::lock_guard lock(job.sync->mutex);
        Count(job.sync->report, written, lost);
        --job.sync->remaining;
        job.sync->done.notify_all();
      } else {
        post_([this, weak = std::weak_ptr<int>(alive_), partition = job.partition, written,
               lost, round_id = job.round_id] {
          if (weak.lock()) OnWritten(partition, written, lost, round_id);
        });
      }
    }
  });
}

// Waits in short slices, so that a stopping daemon does not wait for a broker.
Status Checkpointer::AwaitDecisions(std::uint64_t mark) {
  auto give_up = SteadyClock::now() + std::chrono::milliseconds(options_.delivery_timeout);
  for (;;) {
    Result<bool> delivered = publisher_->WaitDelivered(mark, 100);
    if (!delivered.ok()) {
      writer_->lost = true;
      return delivered.error();
    }
    if (*delivered) return {};
    if (SteadyClock::now() >= give_up) {
      return Error{"decisions not acknowledged within " +
                   FormatDuration(options_.delivery_timeout) + "; checkpoint not written"};
    }
    std::lock_guard lock(writer_->mutex);
    if (writer_->stop) return Error{"stopping"};
  }
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(writer_->mutex);
    writer_->stop = true;
  }
  writer_->changed.notify_all();
  writer_->thread.join();
}

bool Checkpointer::decisions_lost() const { return writer_->lost; }

void Checkpointer::RecordApplied(std::int32_t partition, const std::string& topic,
                                 std::int64_t next_offset) {
  applied_[partition][topic] = next_offset;
}

std::optional<Checkpointer::Offsets> Checkpointer::RestorePartition(std::int32_t partition) {
  return RestorePartition(RestoreFromStore(store_, partition, host_.basis()));
}

std::optional<Checkpointer::Offsets> Checkpointer::RestorePartition(RestoredPartition restored) {
  const std::int32_t partition = restored.partition;
  applied_.erase(partition);
  Status usable = restored.error ? Status(std::move(*restored.error)) : Status();
  if (usable && restored.engine) {
    usable = FrontierFromTheFuture(*restored.engine, host_.config().time.max_future, clock_.Now());
  }
  if (usable && restored.engine) {
    usable = host_.Install(partition, std::move(*restored.engine), restored.basis,
                           restored.dropped_open);
    if (usable) {
      applied_[partition] = *restored.offsets;
      if (PartitionAttachment* attachment = host_.attachment()) {
        if (Status put = attachment->Restore(partition, restored.attachment, host_.config().slas);
            !put) {
          LogWarn("checkpoint's order timeline unusable; the partition's starts empty",
                  {{"partition", std::to_string(partition)}, {"error", put.error().message}});
        }
      }
      if (restored.dropped_open > 0) {
        LogWarn("checkpoint held open instances of SLAs no longer configured; dropped them",
                {{"partition", std::to_string(partition)},
                 {"dropped_open_instances", std::to_string(restored.dropped_open)}});
      }
      std::string resume;  // where each topic is read on from: "handoffs:1200"
      for (const auto& [topic, offset] : *restored.offsets)
        resume += (resume.empty() ? "" : ",") + topic + ":" + std::to_string(offset);
      LogInfo("partition restored from checkpoint",
              {{"partition", std::to_string(partition)},
               {"open_instances",
                std::to_string(host_.partitions().at(partition).engine.open_instances())},
               {"resume_at", resume}});
      return restored.offsets;
    }
  }
  if (!usable) {
    LogError("checkpoint unusable; rebuilding the partition from the committed offset",
             {{"partition", std::to_string(partition)}, {"error", usable.error().message}});
  }
  host_.Revoke(partition);  // a fresh engine, whatever was there
  host_.Assign(partition);
  return std::nullopt;
}

bool Checkpointer::Enqueue(std::int32_t partition, std::uint64_t round_id,
                           const std::shared_ptr<SyncWait>& sync) {
  auto it = host_.partitions().find(partition);
  if (it == host_.partitions().end()) return false;  // revoked meanwhile
  Writer::Job job;
  job.partition = partition;
  job.checkpoint.engine_state = it->second.engine.SaveState();
  if (const PartitionAttachment* attachment = host_.attachment()) {
    job.checkpoint.attachment = attachment->Save(partition, host_.config().slas);
  }
  auto applied = applied_.find(partition);
  if (applied != applied_.end()) job.checkpoint.offsets = applied->second;
  job.checkpoint.handover = round_id == 0;  // SaveNow: a revoke or the shutdown
  if (publisher_) job.mark = publisher_->Mark();
  job.round_id = round_id;
  job.sync = sync;
  {
    std::lock_guard lock(writer_->mutex);
    writer_->queue.push_back(std::move(job));
  }
  writer_->changed.notify_all();
  return true;
}

bool Checkpointer::StartRound(OnReport on_report) {
  if (round_) return false;
  round_ = std::make_unique<Round>();
  round_->id = next_round_id_++;
  round_->start = SteadyClock::now();
  round_->on_report = std::move(on_report);
  for (const auto& [partition, _] : host_.partitions()) round_->todo.push_back(partition);
  SnapshotNext();
  return true;
}

// One partition per call: the engine thread returns to its loop between snapshots, so
// events and HTTP requests are served while a round runs.
void Checkpointer::SnapshotNext() {
  Round& r = *round_;
  r.snapshot_posted = false;
  if (r.next < r.todo.size() && r.in_flight < options_.max_in_flight) {
    std::int32_t partition = r.todo[r.next++];
    if (Enqueue(partition, r.id, nullptr)) ++r.in_flight;
    if (r.next < r.todo.size() && r.in_flight < options_.max_in_flight) {
      r.snapshot_posted = true;
      post_([this, weak = std::weak_ptr<int>(alive_), id = r.id] {
        if (weak.lock() && round_ && round_->id == id) SnapshotNext();
      });
      return;
    }
  }
  if (r.next == r.todo.size() && r.in_flight == 0) {
    r.report.duration = MsSince(r.start);
    r.report.finished_at = clock_.Now();
    std::unique_ptr<Round> done = std::move(round_);
    if (done->on_report) done->on_report(done->report);
  }
}

void Checkpointer::OnWritten(std::int32_t partition, const Status& written, bool lost,
                             std::uint64_t round_id) {
  if (!written) {
    LogError("checkpoint not written",
             {{"partition", std::to_string(partition)}, {"error", written.error().message}});
  }
  if (!round_ || round_->id != round_id) return;
  Count(round_->report, written, lost);
  --round_->in_flight;
  if (!round_->snapshot_posted) SnapshotNext();
}

Checkpointer::Report Checkpointer::SaveNow(const std::vector<std::int32_t>& partitions,
                                           DurationMs timeout) {
  auto start = SteadyClock::now();
  auto sync = std::make_shared<SyncWait>();
  std::size_t queued = 0;
  for (std::int32_t partition : partitions) {
    {
      std::lock_guard lock(sync->mutex);
      ++sync->remaining;
    }
    if (Enqueue(partition, 0, sync)) {
      ++queued;
    } else {
      std::lock_guard lock(sync->mutex);
      --sync->remaining;
    }
  }
  std::unique_lock lock(sync->mutex);
  sync->done.wait_for(lock, std::chrono::milliseconds(timeout),
                      [&] { return sync->remaining == 0; });
  Report report = sync->report;
  if (sync->remaining != 0) {
    report.failed += sync->remaining;
    if (!report.first_error) {
      report.first_error = Error{std::to_string(sync->remaining) + " of " + std::to_string(queued) +
                                 " checkpoints not written within " + FormatDuration(timeout)};
    }
  }
  report.duration = MsSince(start);
  report.finished_at = clock_.Now();
  return report;
}

}  // namespace handoff
