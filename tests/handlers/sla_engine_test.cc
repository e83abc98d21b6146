// The timing rules of docs/reference/timing.md, one group of tests per rule. Time moves only through
// Offer and AdvanceFrontier; nothing here sleeps or reads a clock.
#include "handlers/sla_engine.h"

#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

class SlaEngineTest : public ::testing::Test {
 protected:
  void Make(std::vector<SlaDefinition> slas, DurationMs lateness = 0,
            DurationMs dedupe_window = kHour, DurationMs retention = 7 * kDay) {
    engine_.emplace(Slas(std::move(slas)), EngineOptions{.lateness = lateness,
                                                          .dedupe_window = dedupe_window,
                                                          .retention = retention});
  }
  SlaEngine::Admission Offer(Event event) { return engine_->Offer(std::move(event), out_); }
  void Advance(TimeMs frontier) { engine_->AdvanceFrontier(frontier, out_); }

  // The decisions of one kind for `key`, in the order they were made.
  std::vector<Decision> Decisions(DecisionKind kind, const std::string& key) const {
    std::vector<Decision> found;
    std::copy_if(out_.begin(), out_.end(), std::back_inserter(found), [&](const Decision& d) {
      return d.kind == kind && d.instance.key == key;
    });
    return found;
  }
  std::optional<Decision> Only(DecisionKind kind, const std::string& key) const {
    auto found = Decisions(kind, key);
    if (found.size() != 1) return std::nullopt;
    return found.front();
  }
  std::optional<InstanceSnapshot> OpenInstance(const std::string& key) const {
    std::optional<InstanceSnapshot> found;
    engine_->VisitOpenInstances([&](const InstanceSnapshot& s) {
      if (s.key == key) found = s;
    });
    return found;
  }

  std::optional<SlaEngine> engine_;
  std::vector<Decision> out_;
};

// --- Rule 1: instances and cycles -------------------------------------------------------

TEST_F(SlaEngineTest, StartOpensCycleOneAndStopClosesIt) {
  Make({AcceptSla(2 * kHour)});
  Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "order-42"));
  Offer(Accepted("e2", T("2026-11-27T10:30:00Z"), "order-42"));
  auto met = Only(DecisionKind::kMet, "order-42");
  ASSERT_TRUE(met);
  EXPECT_EQ(met->instance.cycle, 1u);
  EXPECT_EQ(met->instance.elapsed, 30 * kMinute);
  EXPECT_EQ(met->instance.deadline, T("2026-11-27T12:00:00Z"));
  EXPECT_EQ(engine_->open_instances(), 0u);
}

TEST_F(SlaEngineTest, NextStartAfterCloseOpensNextCycle) {
  Make({AcceptSla(kHour)});
  Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("e2", T("2026-11-27T10:10:00Z"), "o"));
  Offer(Requested("e3", T("2026-11-27T11:00:00Z"), "o"));
  Offer(Accepted("e4", T("2026-11-27T11:05:00Z"), "o"));
  auto met = Decisions(DecisionKind::kMet, "o");
  ASSERT_EQ(met.size(), 2u);
  EXPECT_EQ(met[0].instance.cycle, 1u);
  EXPECT_EQ(met[1].instance.cycle, 2u);
  EXPECT_EQ(met[1].instance.elapsed, 5 * kMinute);
}

TEST_F(SlaEngineTest, StartAfterRetentionIsCycleOneAgain) {
  Make({AcceptSla(kHour)}, 0, kHour, /*retention=*/kDay);
  Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("e2", T("2026-11-27T10:10:00Z"), "o"));
  // Closed at 10:10; remembered until 10:10 the next day, exclusive.
  Offer(Requested("e3", T("2026-11-28T10:09:59.999Z"), "o"));
  Offer(Accepted("e4", T("2026-11-28T10:20:00Z"), "o"));
  Offer(Requested("e5", T("2026-11-29T10:20:00Z"), "o"));
  auto started = Decisions(DecisionKind::kStarted, "o");
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[1].instance.cycle, 2u);
  EXPECT_EQ(started[2].instance.cycle, 1u);
}

// Starts and closes 100 orders an hour in hours [first, end) after 10:00, each forgotten
// an hour after it closed.
void Churn(SlaEngine& engine, int first, int end, std::vector<Decision>& out) {
  for (int h = first; h < end; ++h) {
    TimeMs hour = T("2026-11-27T10:00:00Z") + h * kHour;
    for (int i = 0; i < 100; ++i) {
      std::string key = "churn-" + std::to_string(h) + "-" + std::to_string(i);
      engine.Offer(Requested("s" + key, hour + i * kSecond, key), out);
      engine.Offer(Accepted("a" + key, hour + i * kSecond, key), out);
    }
    engine.AdvanceFrontier(hour + kHour - kSecond, out);
  }
}

TEST_F(SlaEngineTest, ForgottenOrdersLeaveNoMemoryBehind) {
  Make({AcceptSla(kHour)}, 0, kHour, /*retention=*/kHour);
  Churn(*engine_, 0, 3, out_);
  std::size_t steady = engine_->MemoryBytes();
  Churn(*engine_, 3, 63, out_);  // 6000 more orders, each forgotten
  EXPECT_LE(engine_->MemoryBytes(), steady);
  // A forgotten key starts again at cycle 1.
  Offer(Requested("x", T("2026-11-30T00:00:00Z"), "churn-0-5"));
  EXPECT_EQ(out_.back().instance.cycle, 1u);
}

TEST_F(SlaEngineTest, OpenOrdersKeepTheirKeysWhileForgottenOnesAreCompactedAway) {
  Make({AcceptSla(100 * kDay)}, 0, kHour, /*retention=*/kHour);
  std::vector<std::string> keys = {std::string(300, 'k'), "o-1", "o-2"};  // 300: a long prefix
  for (const auto& key : keys) Offer(Requested("s" + key, T("2026-11-27T09:00:00Z"), key));
  Churn(*engine_, 0, 30, out_);
  for (const auto& key : keys) {
    ASSERT_TRUE(OpenInstance(key)) << key.substr(0, 10);
    Offer(Accepted("a" + key, T("2026-11-29T00:00:00Z"), key));
    EXPECT_TRUE(Only(DecisionKind::kMet, key)) << key.substr(0, 10);
  }
  EXPECT_EQ(engine_->open_instances(), 0u);
}

// --- Rule 2: frontier, reorder buffer, late events -----------------------------------------

TEST_F(SlaEngineTest, EventsWaitUntilFrontierPassesThem) {
  Make({AcceptSla(kHour)}, /*lateness=*/5 * kMinute);
  Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o"));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(engine_->frontier(), T("2026-11-27T09:55:00Z"));
  Offer(Ev("n", "order.note", T("2026-11-27T10:05:00Z"), "other"));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].kind, DecisionKind::kStarted);
  EXPECT_EQ(engine_->pending(), 1u);
}

TEST_F(SlaEngineTest, OutOfOrderEventsWithinLatenessApplyInEventTimeOrder) {
  Make({AcceptSla(kHour)}, /*lateness=*/5 * kMinute);
  // The stop arrives before the start; both within lateness.
  Offer(Accepted("e2", T("2026-11-27T10:02:00Z"), "o"));
  Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o"));
  Advance(T("2026-11-27T10:10:00Z"));
  auto met = Only(DecisionKind::kMet, "o");
  ASSERT_TRUE(met);
  EXPECT_EQ(met->instance.elapsed, 2 * kMinute);
  EXPECT_EQ(engine_->stats().ignored, 0u);
  EXPECT_EQ(engine_->stats().late, 0u);
}

TEST_F(SlaEngineTest, EqualTimesKeepArrivalOrder) {
  Make({AcceptSla(kHour)}, /*lateness=*/kMinute);
  TimeMs t = T("2026-11-27T10:00:00Z");
  // Stop first, then start: the stop finds nothing open (ignored), the start opens.
  Offer(Accepted("a", t, "x"));
  Offer(Requested("b", t, "x"));
  // Start first, then stop: met with zero elapsed.
  Offer(Requested("c", t, "y"));
  Offer(Accepted("d", t, "y"));
  Advance(t);
  EXPECT_TRUE(OpenInstance("x"));
  auto met = Only(DecisionKind::kMet, "y");
  ASSERT_TRUE(met);
  EXPECT_EQ(met->instance.elapsed, 0);
  EXPECT_EQ(engine_->stats().ignored, 1u);
}

TEST_F(SlaEngineTest, LateEventAppliesAtOnceAsIfAtFrontier) {
  Make({AcceptSla(2 * kHour)}, /*lateness=*/5 * kMinute);
  Offer(Requested("l1", T("2026-11-27T10:00:00Z"), "order-1"));
  Offer(Ev("l3", "order.note", T("2026-11-27T10:40:00Z"), "order-9"));  // F = 10:35
  EXPECT_EQ(Offer(Accepted("l4", T("2026-11-27T10:20:00Z"), "order-1")),
            SlaEngine::Admission::kLate);
  auto met = Only(DecisionKind::kMet, "order-1");
  ASSERT_TRUE(met);
  EXPECT_EQ(met->instance.ended_at, T("2026-11-27T10:35:00Z"));
  EXPECT_EQ(met->instance.elapsed, 35 * kMinute);
  EXPECT_EQ(engine_->stats().late, 1u);
}

TEST_F(SlaEngineTest, EventExactlyAtFrontierIsLate) {
  Make({AcceptSla(kHour)}, /*lateness=*/kMinute);
  Offer(Ev("n", "order.note", T("2026-11-27T10:01:00Z"), "z"));  // F = 10:00
  EXPECT_EQ(Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o")), SlaEngine::Admission::kLate);
  EXPECT_EQ(Offer(Requested("s2", T("2026-11-27T10:00:00.001Z"), "p")),
            SlaEngine::Admission::kBuffered);
}

TEST_F(SlaEngineTest, FrontierNeverMovesBack) {
  Make({AcceptSla(kHour)});
  Advance(T("2026-11-27T12:00:00Z"));
  Advance(T("2026-11-27T11:00:00Z"));
  EXPECT_EQ(engine_->frontier(), T("2026-11-27T12:00:00Z"));
}

TEST_F(SlaEngineTest, IdleFrontierAdvanceBreachesWithoutEvents) {
  Make({AcceptSla(kHour)}, /*lateness=*/5 * kSecond);
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Ev("n", "order.note", T("2026-11-27T10:00:05Z"), "z"));
  EXPECT_TRUE(Decisions(DecisionKind::kBreached, "o").empty());
  // The daemon passes wall clock - lateness for an idle, caught-up partition.
  Advance(T("2026-11-27T10:59:59.999Z"));
  EXPECT_TRUE(Decisions(DecisionKind::kBreached, "o").empty());
  Advance(T("2026-11-27T11:00:00Z"));
  auto breach = Only(DecisionKind::kBreached, "o");
  ASSERT_TRUE(breach);
  EXPECT_EQ(breach->at, T("2026-11-27T11:00:00Z"));
  EXPECT_EQ(OpenInstance("o")->state, InstanceState::kOverdue);
}

TEST_F(SlaEngineTest, FrontierCapHoldsEventsPending) {
  engine_.emplace(Slas({AcceptSla(kHour)}),
                  EngineOptions{.lateness = 0, .frontier_cap = T("2026-11-27T10:30:00Z")});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T10:45:00Z"), "o"));
  Advance(kEndOfTime);
  EXPECT_EQ(engine_->frontier(), T("2026-11-27T10:30:00Z"));
  EXPECT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(OpenInstance("o")->state, InstanceState::kRunning);
}

// --- Rule 3: which condition acts, and what is ignored ------------------------------------

TEST_F(SlaEngineTest, CancelClosesAsCancelled) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Cancelled("c", T("2026-11-27T10:20:00Z"), "o"));
  auto cancelled = Only(DecisionKind::kCancelled, "o");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->instance.state, InstanceState::kCancelled);
  EXPECT_EQ(cancelled->instance.elapsed, 20 * kMinute);
  Advance(T("2026-11-28T00:00:00Z"));
  EXPECT_TRUE(Decisions(DecisionKind::kBreached, "o").empty());
}

TEST_F(SlaEngineTest, CancelIsTriedBeforeStop) {
  SlaDefinition sla = AcceptSla(kHour);
  sla.cancel = sla.stop;  // the same event matches both
  Make({sla});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T10:10:00Z"), "o"));
  EXPECT_TRUE(Only(DecisionKind::kCancelled, "o"));
  EXPECT_TRUE(Decisions(DecisionKind::kMet, "o").empty());
}

TEST_F(SlaEngineTest, ClosingEventDoesNotAlsoOpenNextCycle) {
  SlaDefinition sla = AcceptSla(kHour);
  sla.start = Type("tick");
  sla.stop = Type("tick");
  Make({sla});
  Offer(Ev("1", "tick", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Ev("2", "tick", T("2026-11-27T10:10:00Z"), "o"));
  Offer(Ev("3", "tick", T("2026-11-27T10:20:00Z"), "o"));
  EXPECT_EQ(Decisions(DecisionKind::kStarted, "o").size(), 2u);
  EXPECT_EQ(Decisions(DecisionKind::kMet, "o").size(), 1u);
  EXPECT_EQ(OpenInstance("o")->cycle, 2u);
  EXPECT_EQ(engine_->stats().ignored, 0u);
}

TEST_F(SlaEngineTest, EveryCaseThatCannotActIsIgnoredOnce) {
  Make({AcceptSla(kHour)});
  TimeMs t = T("2026-11-27T10:00:00Z");
  Offer(Accepted("stop-none-open", t, "o"));
  Offer(OnHold("pause-none-open", t, "o"));
  Offer(Released("resume-none-open", t, "o"));
  Offer(Cancelled("cancel-none-open", t, "o"));
  EXPECT_EQ(engine_->stats().ignored, 4u);
  Offer(Requested("start", t, "o"));
  Offer(Requested("start-while-open", t + 1, "o"));
  Offer(Released("resume-while-running", t + 2, "o"));
  Offer(OnHold("pause", t + 3, "o"));
  Offer(OnHold("pause-while-paused", t + 4, "o"));
  EXPECT_EQ(engine_->stats().ignored, 7u);
  Offer(Ev("unrelated", "order.note", t + 5, "o"));
  Offer(Ev("wrong-department", "handoff.requested", t + 6, "p", "finance", "operations"));
  EXPECT_EQ(engine_->stats().ignored, 7u);
  EXPECT_EQ(engine_->stats().applied, 11u);
}

TEST_F(SlaEngineTest, StrayStopAfterCloseIsIgnored) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T10:10:00Z"), "o"));
  Offer(Accepted("a2", T("2026-11-27T10:20:00Z"), "o"));
  EXPECT_EQ(engine_->stats().ignored, 1u);
  EXPECT_EQ(Decisions(DecisionKind::kMet, "o").size(), 1u);
}

TEST_F(SlaEngineTest, EachSlaIsAppliedInConfigOrderAndIgnoredPerSla) {
  SlaDefinition second = AcceptSla(2 * kHour);
  second.name = "second";
  Make({AcceptSla(kHour), second});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[0].instance.sla, 0);
  EXPECT_EQ(out_[1].instance.sla, 1);
  Offer(Requested("s2", T("2026-11-27T10:01:00Z"), "o"));
  EXPECT_EQ(engine_->stats().ignored, 2u);  // once per SLA
}

TEST_F(SlaEngineTest, EachSlaMeetsOnlyTheConditionsThatNameTheEventsType) {
  // The second SLA starts on what stops the first; a third lists no type in its cancel
  // (config always lists one; Condition means "any type" then), so any event cancels it.
  SlaDefinition second = AcceptSla(kHour);
  second.name = "second";
  second.start = Type("handoff.accepted");
  second.stop = Type("handoff.closed");
  SlaDefinition third = AcceptSla(kHour);
  third.name = "third";
  third.stop = Type("handoff.closed");
  third.cancel = Condition{.types = {}, .where = {{kTier, {"void"}}}};
  Make({AcceptSla(kHour), second, third});
  TimeMs t = T("2026-11-27T10:00:00Z");
  Offer(Requested("s", t, "o"));                                  // starts the first and third
  Offer(Accepted("a", t + kMinute, "o"));                         // met; starts the second
  Offer(Ev("n", "order.note", t + 2 * kMinute, "o", "x", "y", "void"));  // cancels the third
  ASSERT_EQ(out_.size(), 5u);
  EXPECT_EQ(out_[2].kind, DecisionKind::kMet);
  EXPECT_EQ(out_[2].instance.sla, 0);
  EXPECT_EQ(out_[3].kind, DecisionKind::kStarted);
  EXPECT_EQ(out_[3].instance.sla, 1);
  EXPECT_EQ(out_[4].kind, DecisionKind::kCancelled);
  EXPECT_EQ(out_[4].instance.sla, 2);
  EXPECT_EQ(engine_->stats().ignored, 0u);
}

TEST_F(SlaEngineTest, MissingAttributeNeverMatches) {
  Make({AcceptSla(kHour)});
  Offer(Ev("s", "handoff.requested", T("2026-11-27T10:00:00Z"), "o", "sales", std::nullopt));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(engine_->stats().ignored, 0u);
}

// --- Rules 4 and 5: elapsed time, pauses, deadlines ---------------------------------------

TEST_F(SlaEngineTest, PauseStopsTheClockAndResumeSetsNewDeadline) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(OnHold("h", T("2026-11-27T10:20:00Z"), "o"));
  auto paused = OpenInstance("o");
  EXPECT_EQ(paused->state, InstanceState::kPaused);
  EXPECT_EQ(paused->deadline, kNoTime);
  Advance(T("2026-11-27T10:59:00Z"));
  EXPECT_EQ(OpenInstance("o")->elapsed, 20 * kMinute);  // frozen while paused
  Offer(Released("r", T("2026-11-27T11:00:00Z"), "o"));
  EXPECT_EQ(OpenInstance("o")->deadline, T("2026-11-27T11:40:00Z"));
  Advance(T("2026-11-27T11:39:59.999Z"));
  EXPECT_TRUE(Decisions(DecisionKind::kBreached, "o").empty());
  Advance(T("2026-11-27T11:40:00Z"));
  EXPECT_TRUE(Only(DecisionKind::kBreached, "o"));
}

TEST_F(SlaEngineTest, StopWhilePausedKeepsNullDeadline) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(OnHold("h", T("2026-11-27T10:20:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T12:00:00Z"), "o"));
  auto met = Only(DecisionKind::kMet, "o");
  ASSERT_TRUE(met);
  EXPECT_EQ(met->instance.deadline, kNoTime);
  EXPECT_EQ(met->instance.elapsed, 20 * kMinute);
}

TEST_F(SlaEngineTest, TargetComesFromFirstMatchingOverrideOnStartEvent) {
  SlaDefinition sla = AcceptSla(2 * kHour);
  sla.targets = {{.when = {.types = {}, .where = {{kTier, {"gold"}}}}, .target = 30 * kMinute},
                 {.when = {.types = {}, .where = {{kTier, {"gold", "silver"}}}}, .target = kHour}};
  Make({sla});
  Offer(Requested("g", T("2026-11-27T10:00:00Z"), "gold", "gold"));
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "silver", "silver"));
  Offer(Requested("n", T("2026-11-27T10:00:00Z"), "none"));
  EXPECT_EQ(OpenInstance("gold")->deadline, T("2026-11-27T10:30:00Z"));
  EXPECT_EQ(OpenInstance("silver")->deadline, T("2026-11-27T11:00:00Z"));
  EXPECT_EQ(OpenInstance("none")->deadline, T("2026-11-27T12:00:00Z"));
}

// --- Rule 6: breaches ------------------------------------------------------------------------

TEST_F(SlaEngineTest, StopExactlyAtDeadlineIsMet) {
  Make({AcceptSla(2 * kHour)}, /*lateness=*/5 * kSecond);
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T12:00:00Z"), "o"));
  Advance(T("2026-11-27T13:00:00Z"));
  EXPECT_TRUE(Only(DecisionKind::kMet, "o"));
  EXPECT_TRUE(Decisions(DecisionKind::kBreached, "o").empty());
}

TEST_F(SlaEngineTest, StopOneMillisecondAfterDeadlineResolvesBreach) {
  Make({AcceptSla(2 * kHour)}, /*lateness=*/5 * kSecond);
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T12:00:00.001Z"), "o"));
  Advance(T("2026-11-27T13:00:00Z"));
  auto breach = Only(DecisionKind::kBreached, "o");
  ASSERT_TRUE(breach);
  EXPECT_EQ(breach->at, T("2026-11-27T12:00:00Z"));
  auto resolved = Only(DecisionKind::kResolved, "o");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->instance.state, InstanceState::kBreached);
  EXPECT_EQ(resolved->instance.elapsed, 2 * kHour + 1);
  EXPECT_TRUE(Decisions(DecisionKind::kMet, "o").empty());
}

TEST_F(SlaEngineTest, BreachWaitsForEventsAtItsInstantEvenWhenStartIsLaterInArrival) {
  Make({AcceptSla(kHour)}, /*lateness=*/kHour);
  // The deadline (11:00) and the stop (11:00) are both released by one frontier jump.
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T11:00:00Z"), "o"));
  Advance(T("2026-11-27T12:00:00Z"));
  EXPECT_TRUE(Only(DecisionKind::kMet, "o"));
}

TEST_F(SlaEngineTest, PauseAfterBreachKeepsBreachAndDeadline) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Advance(T("2026-11-27T11:30:00Z"));
  Offer(OnHold("h", T("2026-11-27T11:30:00Z"), "o"));
  auto paused = OpenInstance("o");
  EXPECT_EQ(paused->state, InstanceState::kPaused);
  EXPECT_EQ(paused->breached_at, T("2026-11-27T11:00:00Z"));
  EXPECT_EQ(paused->deadline, T("2026-11-27T11:00:00Z"));
  EXPECT_EQ(engine_->open_counts(0).paused, 1u);
  EXPECT_EQ(engine_->open_counts(0).overdue, 0u);
  Offer(Released("r", T("2026-11-27T12:00:00Z"), "o"));
  EXPECT_EQ(OpenInstance("o")->state, InstanceState::kOverdue);
  Offer(Accepted("a", T("2026-11-27T12:10:00Z"), "o"));
  auto resolved = Only(DecisionKind::kResolved, "o");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->instance.elapsed, 100 * kMinute);  // 90m, pause 30m, then 10m
  EXPECT_EQ(Decisions(DecisionKind::kBreached, "o").size(), 1u);
}

TEST_F(SlaEngineTest, CancelAfterBreachIsCancelled) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Cancelled("c", T("2026-11-27T11:30:00Z"), "o"));
  EXPECT_TRUE(Only(DecisionKind::kBreached, "o"));
  auto cancelled = Only(DecisionKind::kCancelled, "o");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->instance.breached_at, T("2026-11-27T11:00:00Z"));
}

TEST_F(SlaEngineTest, ResumeWithNoTargetLeftBreachesAtResume) {
  Make({AcceptSla(kHour)});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  // A pause exactly at the deadline applies before the breach (events first).
  Offer(OnHold("h", T("2026-11-27T11:00:00Z"), "o"));
  EXPECT_TRUE(Decisions(DecisionKind::kBreached, "o").empty());
  Offer(Released("r", T("2026-11-27T15:00:00Z"), "o"));
  auto breach = Only(DecisionKind::kBreached, "o");
  ASSERT_TRUE(breach);
  EXPECT_EQ(breach->at, T("2026-11-27T15:00:00Z"));
}

TEST_F(SlaEngineTest, OpenCountsFollowStates) {
  Make({AcceptSla(kHour)});
  Offer(Requested("1", T("2026-11-27T10:00:00Z"), "a"));
  Offer(Requested("2", T("2026-11-27T10:00:00Z"), "b"));
  Offer(Requested("3", T("2026-11-27T10:30:00Z"), "c"));
  Offer(OnHold("4", T("2026-11-27T10:40:00Z"), "b"));
  Advance(T("2026-11-27T11:00:00Z"));
  const OpenCounts& counts = engine_->open_counts(0);
  EXPECT_EQ(counts.running, 1u);
  EXPECT_EQ(counts.paused, 1u);
  EXPECT_EQ(counts.overdue, 1u);
  EXPECT_EQ(engine_->open_instances(), 3u);
}

// --- Rule 7: warnings ------------------------------------------------------------------------

TEST_F(SlaEngineTest, WarningsFireOncePerThresholdInOrder) {
  Make({AcceptSla(kHour, {0.5, 0.8})});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Advance(T("2026-11-27T12:00:00Z"));
  auto warnings = Decisions(DecisionKind::kWarning, "o");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].threshold, 0.5);
  EXPECT_EQ(warnings[0].at, T("2026-11-27T10:30:00Z"));
  EXPECT_EQ(warnings[1].threshold, 0.8);
  EXPECT_EQ(warnings[1].at, T("2026-11-27T10:48:00Z"));
  ASSERT_TRUE(Only(DecisionKind::kBreached, "o"));
  EXPECT_EQ(out_.back().kind, DecisionKind::kBreached);
}

TEST_F(SlaEngineTest, WarningsCountWorkingTimeOnlyAcrossPauses) {
  Make({AcceptSla(kHour, {0.5})});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(OnHold("h", T("2026-11-27T10:20:00Z"), "o"));
  Offer(Released("r", T("2026-11-27T11:00:00Z"), "o"));
  Advance(T("2026-11-27T11:10:00Z"));
  auto warning = Only(DecisionKind::kWarning, "o");
  ASSERT_TRUE(warning);
  EXPECT_EQ(warning->at, T("2026-11-27T11:10:00Z"));  // 20m before the hold + 10m after
}

TEST_F(SlaEngineTest, StopBeforeWarningFiresNoWarning) {
  Make({AcceptSla(kHour, {0.5})});
  Offer(Requested("s", T("2026-11-27T10:00:00Z"), "o"));
  Offer(Accepted("a", T("2026-11-27T10:29:59.999Z"), "o"));
  Advance(T("2026-11-28T00:00:00Z"));
  EXPECT_TRUE(Decisions(DecisionKind::kWarning, "o").empty());
}

// --- Rule 8: duplicates ----------------------------------------------------------------------

TEST_F(SlaEngineTest, DuplicateIdIsDroppedWhateverItsContent) {
  Make({AcceptSla(kHour)}, /*lateness=*/kMinute);
  EXPECT_EQ(Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o")),
            SlaEngine::Admission::kBuffered);
  EXPECT_EQ(Offer(Accepted("e1", T("2026-11-27T10:05:00Z"), "o")),
            SlaEngine::Admission::kDuplicate);
  Advance(T("2026-11-27T10:30:00Z"));
  EXPECT_TRUE(Decisions(DecisionKind::kMet, "o").empty());
  EXPECT_EQ(engine_->stats().duplicate, 1u);
  EXPECT_EQ(engine_->stats().applied, 1u);
}

TEST_F(SlaEngineTest, LongIdsStayRecognisedAcrossTheSweepsThatDropOldOnes) {
  Make({AcceptSla(kHour)}, 0, /*dedupe_window=*/10 * kMinute);
  auto id = [](int i) { return std::string(i % 7 == 0 ? 300 : 36, 'u') + std::to_string(i); };
  TimeMs t0 = T("2026-11-27T10:00:00Z");
  for (int i = 0; i < 3000; ++i) {  // one a second: the table is swept several times
    ASSERT_EQ(Offer(Ev(id(i), "order.note", t0 + i * kSecond, "o")),
              SlaEngine::Admission::kBuffered);
  }
  // F is t0 + 2999 s: ids from t0 + 2399 s on are remembered, whatever the sweeps moved.
  for (int i : {2399, 2400, 2401, 2800, 2996, 2997, 2998, 2999}) {
    EXPECT_EQ(Offer(Ev(id(i), "order.note", t0 + 3000 * kSecond, "o")),
              SlaEngine::Admission::kDuplicate)
        << i;
  }
  EXPECT_EQ(Offer(Ev(id(2398), "order.note", t0 + 3000 * kSecond, "o")),
            SlaEngine::Admission::kBuffered);
}

TEST_F(SlaEngineTest, IdsAreForgottenOutsideDedupeWindow) {
  Make({AcceptSla(kHour)}, 0, /*dedupe_window=*/10 * kMinute);
  Offer(Ev("x", "order.note", T("2026-11-27T10:00:00Z"), "o"));
  Advance(T("2026-11-27T10:10:00Z"));  // 10:00 >= 10:10 - 10m: still remembered
  EXPECT_EQ(Offer(Ev("x", "order.note", T("2026-11-27T10:10:00Z"), "o")),
            SlaEngine::Admission::kDuplicate);
  Advance(T("2026-11-27T10:10:00.001Z"));
  EXPECT_EQ(Offer(Ev("x", "order.note", T("2026-11-27T10:20:00Z"), "o")),
            SlaEngine::Admission::kBuffered);
}

}  // namespace
}  // namespace handoff
