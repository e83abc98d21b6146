// The process's Prometheus metrics (docs/reference/metrics.md). Decision counters and the
// elapsed-time histogram live in a prometheus-cpp registry and move as decisions arrive
// (this is a DecisionSink), the met and breached counters with an exemplar naming the
// latest order; open instances, frontiers, lag and event totals are read from the
// EngineHost when /metrics is served; process_* come from /proc. Owned by the Daemon.
// Engine thread only: OnDecisions, Scrape and the Record* calls never lock engine state.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/host/decision_sink.h"
#include "daemon/host/engine_host.h"
#include "daemon/serve/exposition_format.h"
#include "handlers/time.h"

namespace handoff {

// Fractions of an SLA's default target at which handoff_sla_elapsed_seconds has buckets.
inline constexpr double kElapsedBucketFactors[] = {0.25, 0.5, 0.75, 0.9, 1,
                                                   1.25, 1.5, 2,    3,   5};

// Where an elapsed time lands in the histogram, in seconds. An instance whose target came
// from a `targets:` override is scaled to the SLA's default target (elapsed × default /
// own target), so the bucket le=<default target> holds exactly the met instances of every
// tier. `met` instances are never placed above that bound, resolved ones (stopped after a
// breach) never at or below it, even when rounding or a calendar would put them on it.
double HistogramSeconds(DurationMs elapsed, DurationMs instance_target, DurationMs default_target,
                        bool met);

class Metrics final : public DecisionSink {
 public:
  // Creates every SLA series of `host`'s config with value 0. `start_time` (wall clock)
  // is the last successful config load.
  Metrics(const EngineHost& host, TimeMs start_time);
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void OnDecisions(std::int32_t partition, std::span<const Decision> decisions) override;

  // The whole exposition, as of now. Same as ScrapeLater(format)().
  std::string Scrape(ExpositionFormat format = ExpositionFormat::kText004);
  // Copies the host's state (and, for OpenMetrics, the exemplars) now, on the engine
  // thread, and returns what turns it into text on any thread: that reads the registry's
  // counters and histograms (atomics and per-histogram locks, as prometheus-cpp collects)
  // as they are then, so the loop pays only for the copy. Run the result before this
  // Metrics is destroyed.
  std::function<std::string()> ScrapeLater(ExpositionFormat format = ExpositionFormat::kText004);

  // Reloads and checkpoints (issue #7): the config gauges start as "loaded at start", the
  // checkpoint series at 0 until the first checkpoint is written.
  void RecordReload(bool success, TimeMs now);
  // After EngineHost::Reconfigure: series for new SLAs (at 0), none for removed ones, new
  // series for an SLA whose labels, target or thresholds changed; the rest keep counting.
  void OnReconfigured();
  void RecordCheckpoint(DurationMs duration, TimeMs now);
  // A failed HTTP login (HttpServerOptions::on_auth_failure).
  void RecordAuthFailure();

 private:
  struct Series;  // prometheus-cpp objects, kept out of this header
  const EngineHost& host_;
  std::unique_ptr<Series> series_;
};

}  // namespace handoff
