#include "daemon/ingest/watermark_tracker.h"

#include <algorithm>

#include "daemon/host/logger.h"

namespace handoff {
namespace {

constexpr DurationMs kRefreshInterval = kSecond;  // lag and caught-up of idle partitions
constexpr int kWatermarkQueryTimeoutMs = 1000;

}  // namespace

void WatermarkTracker::OnEndOfPartition(const TopicPartition& tp, std::int64_t offset) {
  auto it = assigned_.find(tp);
  if (it == assigned_.end()) return;
  it->second.next_offset = std::max(it->second.next_offset, offset);
  it->second.at_eof = true;
  brokers_down_ = false;
  touched_.insert(tp);
}

bool WatermarkTracker::Add(const TopicPartition& tp) {
  if (!assigned_.try_emplace(tp).second) return false;
  touched_.insert(tp);
  return true;
}

bool WatermarkTracker::Remove(const TopicPartition& tp) { return assigned_.erase(tp) != 0; }

bool WatermarkTracker::HasEnginePartition(std::int32_t partition) const {
  for (std::size_t t = 0; t < topics_.size(); ++t) {
    if (assigned_.count({static_cast<int>(t), partition}) != 0) return true;
  }
  return false;
}

void WatermarkTracker::Refresh(rd_kafka_t* consumer, TimeMs now, bool stopping, Batch& out) {
  if (brokers_down_) {
    confirm_watermarks_ = true;
  } else if (confirm_watermarks_) {
    confirm_watermarks_ = !ConfirmWatermarks(consumer);
  }
  if (now >= next_refresh_) {
    next_refresh_ = now + kRefreshInterval;
    for (const auto& [tp, _] : assigned_) touched_.insert(tp);
  }
  std::set<std::int32_t> partitions;
  for (const TopicPartition& tp : touched_) {
    auto it = assigned_.find(tp);
    if (it == assigned_.end()) continue;
    TopicPartitionState& state = it->second;
    std::int64_t low = -1;
    std::int64_t high = -1;
    rd_kafka_get_watermark_offsets(consumer, topics_[tp.first].c_str(), tp.second, &low, &high);
    high = std::max(high, state.confirmed_high);
    bool caught_up = false;
    if (state.next_offset >= 0 && high >= 0) {
      std::int64_t lag = std::max<std::int64_t>(0, high - state.next_offset);
      caught_up = lag == 0;
      if (lag != state.lag) {
        state.lag = lag;
        out.lag.push_back({tp.second, tp.first, lag});
      }
    } else if (state.at_eof) {
      caught_up = true;  // reached the end before any watermark was cached
    }
    state.caught_up = caught_up && !brokers_down_ && !confirm_watermarks_;
    partitions.insert(tp.second);
  }
  touched_.clear();
  for (std::int32_t partition : partitions) {
    bool all = true;
    for (std::size_t t = 0; t < topics_.size(); ++t) {
      auto it = assigned_.find({static_cast<int>(t), partition});
      if (it != assigned_.end() && !it->second.caught_up) all = false;
    }
    auto [posted, inserted] = caught_up_posted_.try_emplace(partition, all);
    if (inserted || posted->second != all) {
      posted->second = all;
      out.caught_up.emplace_back(partition, all);
    }
  }
  bool ready = assignment_received_ && !brokers_down_;
  if (ready != ready_posted_) {
    ready_posted_ = ready;
    out.ready = ready;
    if (ready) {
      LogInfo("kafka consumer ready", {{"partitions", std::to_string(assigned_.size())}});
    } else if (!stopping) {
      LogWarn(brokers_down_ ? "kafka consumer not ready: brokers unreachable"
                            : "kafka consumer not ready: rebalancing");
    }
  }
}

// After an outage the cached high watermarks may be stale, and a partition that looks
// caught up would move its frontier with the wall clock past records it has not read
// yet. So ask the brokers once (blocking, but only here, after an outage). Returns false
// if some partition could not be asked; Refresh tries again next round.
bool WatermarkTracker::ConfirmWatermarks(rd_kafka_t* consumer) {
  bool all = true;
  for (auto& [tp, state] : assigned_) {
    std::int64_t low = -1;
    std::int64_t high = -1;
    if (rd_kafka_query_watermark_offsets(consumer, topics_[tp.first].c_str(), tp.second, &low,
                                         &high, kWatermarkQueryTimeoutMs) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      state.confirmed_high = std::max(state.confirmed_high, high);
    } else {
      all = false;
    }
    touched_.insert(tp);
  }
  return all;
}

}  // namespace handoff
