// Journeys (docs/accountability.md): who holds the order, held time by department in the
// journey's calendar, the baton and the first late stage; and pause reasons.
#include <algorithm>
#include <numeric>
#include <tuple>

#include <gtest/gtest.h>

#include "handlers/business_calendar.h"
#include "handlers/journey_stretches.h"
#include "handlers/sla_engine.h"
#include "tests/fakes/journey_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

// Buckets of JourneySlaList's journey.
constexpr std::uint8_t kSales = 0, kOperations = 1, kFulfillment = 2, kPausedBucket = 3;
constexpr std::uint8_t kNoLateStage = 2;  // == stages.size()

std::vector<DurationMs> Held(double sales, double operations, double fulfillment, double paused) {
  return {static_cast<DurationMs>(sales * kSecond), static_cast<DurationMs>(operations * kSecond),
          static_cast<DurationMs>(fulfillment * kSecond), static_cast<DurationMs>(paused * kSecond)};
}

// An engine fed events in time order, each applying as it arrives (lateness 1 ms).
class Journey {
 public:
  explicit Journey(std::vector<SlaDefinition> slas = JourneySlaList(),
                   DurationMs lateness = 1)
      : engine_(Slas(std::move(slas)), EngineOptions{.lateness = lateness}) {}

  Journey& Offer(Event event) {
    engine_.Offer(std::move(event), out_);
    return *this;
  }
  Journey& Offer(const std::vector<Event>& events) {
    for (const Event& e : events) engine_.Offer(e, out_);
    return *this;
  }
  Journey& AdvanceTo(TimeMs t) {
    engine_.AdvanceFrontier(t, out_);
    return *this;
  }
  // The one decision of `kind` about the journey on `key` (the last, if several).
  const Decision& Decided(DecisionKind kind, std::string_view key = "o",
                          std::uint16_t sla = kShip) const {
    auto it = std::find_if(out_.rbegin(), out_.rend(), [&](const Decision& d) {
      return d.kind == kind && d.instance.sla == sla && d.instance.key == key;
    });
    EXPECT_NE(it, out_.rend()) << DecisionKindName(kind) << " " << key;
    return it == out_.rend() ? empty_ : *it;
  }
  bool Has(DecisionKind kind, std::string_view key = "o") const {
    return std::any_of(out_.begin(), out_.end(), [&](const Decision& d) {
      return d.kind == kind && d.instance.sla == kShip && d.instance.key == key;
    });
  }
  // The open journey instance on `key`, as of the frontier.
  InstanceSnapshot Open(std::string_view key = "o") const {
    InstanceSnapshot found;
    engine_.VisitOpenInstances([&](const InstanceSnapshot& s) {
      if (s.sla == kShip && s.key == key) found = s;
    });
    return found;
  }
  const std::vector<Decision>& decisions() const { return out_; }
  SlaEngine& engine() { return engine_; }

 private:
  SlaEngine engine_;
  std::vector<Decision> out_;
  Decision empty_;
};

void ExpectHeldSumsToElapsed(const InstanceSnapshot& s) {
  ASSERT_EQ(s.held.size(), 4u);
  EXPECT_EQ(std::accumulate(s.held.begin(), s.held.end(), DurationMs{0}), s.elapsed);
}

// The example's order-A: a paused stage, met.
TEST(Journey, HeldTimeFollowsWhoHoldsTheOrder) {
  Journey j;
  j.Offer(OrderA("o")).AdvanceTo(T("2026-12-01T21:00:00Z"));
  const Decision& met = j.Decided(DecisionKind::kMet);
  EXPECT_EQ(met.instance.held, Held(3600, 18000, 14400, 7200));
  EXPECT_EQ(met.instance.elapsed, 12 * kHour);
  EXPECT_EQ(met.instance.baton, InstanceSnapshot::kUndecided);
  EXPECT_EQ(met.instance.first_late_stage, InstanceSnapshot::kUndecided);
  ExpectHeldSumsToElapsed(met.instance);
}

// The example's order-B: stage 1 late first, stage 2 overdue at the journey's deadline.
TEST(Journey, BreachNamesTheBatonAndTheFirstLateStage) {
  Journey j;
  j.Offer(OrderB("o")).AdvanceTo(T("2026-12-02T09:00:00Z"));
  const Decision& breached = j.Decided(DecisionKind::kBreached);
  EXPECT_EQ(breached.at, T("2026-12-02T08:00:00Z"));
  EXPECT_EQ(breached.instance.baton, kFulfillment);
  EXPECT_EQ(breached.instance.first_late_stage, 0);
  InstanceSnapshot open = j.Open();
  EXPECT_EQ(open.held, Held(1800, 41400, 46800, 0));
  ExpectHeldSumsToElapsed(open);
}

// The example's order-C: every stage on time, the promise broken all the same.
TEST(Journey, NoStageLateMeansNone) {
  Journey j;
  j.Offer(OrderC("o")).AdvanceTo(T("2026-12-02T09:00:00Z"));
  const Decision& breached = j.Decided(DecisionKind::kBreached);
  EXPECT_EQ(breached.instance.baton, kOperations);
  EXPECT_EQ(breached.instance.first_late_stage, kNoLateStage);
  EXPECT_EQ(j.Open().held, Held(600, 89400, 0, 0));
}

// Rule 4: the state after every event before d. A stage that starts at d itself does not
// hold the baton.
TEST(Journey, BatonIsWhoHeldTheOrderJustBeforeTheDeadline) {
  Journey j(JourneySlaList(2 * kHour));
  j.Offer(Created("1", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(StageRequested("2", T("2026-12-01T10:00:00Z"), "o", 0))
      .AdvanceTo(T("2026-12-01T11:00:00Z"));
  EXPECT_EQ(j.Decided(DecisionKind::kBreached).instance.baton, kSales);
}

// Rule 5: a stage that breaches at the journey's own deadline was late by it, whichever
// timer fires first.
TEST(Journey, StageBreachingAtTheSameInstantIsTheFirstLateStage) {
  Journey j(JourneySlaList(3 * kHour));
  j.Offer(Created("1", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(StageRequested("2", T("2026-12-01T09:00:00Z"), "o", 0))
      .AdvanceTo(T("2026-12-01T12:00:00Z"));
  const Decision& breached = j.Decided(DecisionKind::kBreached);
  EXPECT_EQ(breached.at, T("2026-12-01T11:00:00Z"));
  EXPECT_EQ(breached.instance.first_late_stage, 0);
  EXPECT_EQ(breached.instance.baton, kOperations);
}

// The journey's own pause stops its clock for every bucket; who holds the order still
// changes meanwhile.
TEST(Journey, JourneyPauseStopsHeldTime) {
  Journey j;
  j.Offer(Created("1", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(StageRequested("2", T("2026-12-01T09:00:00Z"), "o", 0))
      .Offer(Frozen("3", T("2026-12-01T09:30:00Z"), "o"))
      .Offer(StageAccepted("4", T("2026-12-01T10:00:00Z"), "o", 0))
      .Offer(Thawed("5", T("2026-12-01T11:30:00Z"), "o"))
      .Offer(StageRequested("6", T("2026-12-01T11:45:00Z"), "o", 1))
      .Offer(Shipped("7", T("2026-12-01T12:00:00Z"), "o"))
      .AdvanceTo(T("2026-12-01T13:00:00Z"));
  const Decision& met = j.Decided(DecisionKind::kMet);
  EXPECT_EQ(met.instance.elapsed, 2 * kHour);
  EXPECT_EQ(met.instance.held, Held(3600, 1800 + 900, 900, 0));
  ExpectHeldSumsToElapsed(met.instance);
}

// Held time is working time in the journey's calendar: Friday 16:00 to Monday 11:00 on
// office hours of 09:00-17:00 is three hours.
TEST(Journey, HeldTimeCountsInTheJourneysCalendar) {
  CalendarSpec office{.timezone = "UTC", .hours = {}, .holidays = {}};
  for (int day = 0; day < 5; ++day) office.hours[day] = {{9 * 60, 17 * 60}};
  auto calendar = BusinessCalendar::Create(office);
  ASSERT_TRUE(calendar) << calendar.error().message;
  std::vector<SlaDefinition> slas = JourneySlaList();
  slas[kShip].calendar = *calendar;
  Journey j(slas);
  j.Offer(Created("1", T("2026-12-04T16:00:00Z"), "o"))  // a Friday
      .Offer(StageRequested("2", T("2026-12-04T16:30:00Z"), "o", 0))
      .Offer(StageAccepted("3", T("2026-12-07T10:00:00Z"), "o", 0))
      .Offer(Shipped("4", T("2026-12-07T11:00:00Z"), "o"))
      .AdvanceTo(T("2026-12-07T12:00:00Z"));
  const Decision& met = j.Decided(DecisionKind::kMet);
  EXPECT_EQ(met.instance.elapsed, 3 * kHour);
  EXPECT_EQ(met.instance.held, Held(1800, 1800 + 7200, 0, 0));
}

// A new cycle's stage instances are those started since it started: a stage left open by
// cycle 1 is not cycle 2's.
TEST(Journey, EachCycleHasItsOwnStages) {
  Journey j;
  j.Offer(Created("1", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(StageRequested("2", T("2026-12-01T09:00:00Z"), "o", 0))
      .Offer(Shipped("3", T("2026-12-01T10:00:00Z"), "o"))
      .Offer(Created("4", T("2026-12-01T11:00:00Z"), "o"))
      .Offer(StageAccepted("5", T("2026-12-01T12:00:00Z"), "o", 0))
      .Offer(Shipped("6", T("2026-12-01T13:00:00Z"), "o"))
      .AdvanceTo(T("2026-12-01T14:00:00Z"));
  const Decision& second = j.Decided(DecisionKind::kMet);
  EXPECT_EQ(second.instance.cycle, 2u);
  EXPECT_EQ(second.instance.held, Held(7200, 0, 0, 0));
  auto first = std::find_if(j.decisions().begin(), j.decisions().end(), [](const Decision& d) {
    return d.kind == DecisionKind::kMet && d.instance.sla == kShip;
  });
  EXPECT_EQ(first->instance.held, Held(3600, 3600, 0, 0));
}

// Rule 1: a stage instance that started before the journey is none of its stages, nor is
// its close; one that started at the same instant is, whichever applied first.
TEST(Journey, StageStartedBeforeTheJourneyIsNotItsStage) {
  Journey before;
  before.Offer(StageRequested("1", T("2026-12-01T07:00:00Z"), "o", 0))
      .Offer(Created("2", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(StageAccepted("3", T("2026-12-01T09:00:00Z"), "o", 0))
      .Offer(StageRequested("4", T("2026-12-01T10:00:00Z"), "o", 1))
      .Offer(Shipped("5", T("2026-12-01T11:00:00Z"), "o"))
      .AdvanceTo(T("2026-12-01T12:00:00Z"));
  EXPECT_EQ(before.Decided(DecisionKind::kMet).instance.held, Held(7200, 0, 3600, 0));

  Journey same_instant;
  same_instant.Offer(StageRequested("1", T("2026-12-01T08:00:00Z"), "o", 0))
      .Offer(Created("2", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(Shipped("3", T("2026-12-01T09:00:00Z"), "o"))
      .AdvanceTo(T("2026-12-01T10:00:00Z"));
  EXPECT_EQ(same_instant.Decided(DecisionKind::kMet).instance.held, Held(0, 3600, 0, 0));
}

// A late event applies as if at the frontier: the stretch it starts starts there.
TEST(Journey, LateEventChangesTheHolderAtTheFrontier) {
  Journey j(JourneySlaList(), 10 * kMinute);
  j.Offer(Created("1", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(Created("2", T("2026-12-01T09:30:00Z"), "other"))  // F = 09:20
      .Offer(StageRequested("3", T("2026-12-01T09:00:00Z"), "o", 0))
      .Offer(Shipped("4", T("2026-12-01T10:00:00Z"), "o"))
      .AdvanceTo(T("2026-12-01T11:00:00Z"));
  EXPECT_EQ(j.engine().stats().late, 1u);
  EXPECT_EQ(j.Decided(DecisionKind::kMet).instance.held, Held(4800, 2400, 0, 0));
}

// Cancelled while a stage is open: held time stops at the cancel, and the stage's later
// close changes nothing of it.
TEST(Journey, CancelledWhileAStageIsOpen) {
  Journey j;
  j.Offer(Created("1", T("2026-12-01T08:00:00Z"), "o"))
      .Offer(StageRequested("2", T("2026-12-01T09:00:00Z"), "o", 0))
      .Offer(OrderCancelled("3", T("2026-12-01T10:00:00Z"), "o"))
      .Offer(StageAccepted("4", T("2026-12-01T11:00:00Z"), "o", 0))
      .AdvanceTo(T("2026-12-02T12:00:00Z"));
  const Decision& cancelled = j.Decided(DecisionKind::kCancelled);
  EXPECT_EQ(cancelled.instance.held, Held(3600, 3600, 0, 0));
  ExpectHeldSumsToElapsed(cancelled.instance);
  EXPECT_FALSE(j.Has(DecisionKind::kBreached));
  EXPECT_TRUE(j.Decided(DecisionKind::kMet, "o", kAccept).instance.held.empty());
}

// The API's stretches, rebuilt from the order's decisions, follow the same holders as the
// engine's held time: order A of the example.
TEST(Journey, StretchesRebuiltFromTheOrdersDecisions) {
  // Plus a second stage that starts before the journey and closes before its own stage 2.
  std::vector<Event> events = OrderA("o");
  events.insert(events.begin(), StageRequested("x1", T("2026-12-01T07:00:00Z"), "o", 1));
  events.insert(events.begin() + 4, StageAccepted("x2", T("2026-12-01T11:00:00Z"), "o", 1));
  Journey j;
  j.Offer(events).AdvanceTo(T("2026-12-01T21:00:00Z"));
  std::vector<OrderDecision> decisions;
  for (const Decision& d : j.decisions()) decisions.push_back({d.kind, d.at, &d.instance});
  const Decision& met = j.Decided(DecisionKind::kMet);
  std::vector<HeldStretch> stretches = RebuildStretches(JourneySlaList(), met.instance, decisions);
  std::vector<std::tuple<TimeMs, TimeMs, int>> got;
  for (const HeldStretch& s : stretches) got.emplace_back(s.from, s.to, s.holder);
  EXPECT_EQ(got, (std::vector<std::tuple<TimeMs, TimeMs, int>>{
                     {T("2026-12-01T08:00:00Z"), T("2026-12-01T09:00:00Z"), kSales},
                     {T("2026-12-01T09:00:00Z"), T("2026-12-01T14:00:00Z"), kOperations},
                     {T("2026-12-01T14:00:00Z"), T("2026-12-01T15:00:00Z"), kFulfillment},
                     {T("2026-12-01T15:00:00Z"), T("2026-12-01T17:00:00Z"), kPausedBucket},
                     {T("2026-12-01T17:00:00Z"), T("2026-12-01T20:00:00Z"), kFulfillment}}));
}

// docs/reference/timing.md "Pause reasons": each ended pause counts its working time under
// its reason; an unlisted or missing reason is `other`; a stop while paused ends the pause.
TEST(PauseReasons, EndedPausesCountUnderTheirReason) {
  Journey j;
  j.Offer(StageRequested("1", T("2026-12-01T08:00:00Z"), "o", 1))
      .Offer(Hold("2", T("2026-12-01T08:10:00Z"), "o", "customer_request"))
      .Offer(Release("3", T("2026-12-01T08:40:00Z"), "o"))
      .Offer(Hold("4", T("2026-12-01T09:00:00Z"), "o", "weather"))
      .Offer(Release("5", T("2026-12-01T09:05:00Z"), "o"))
      .Offer(Hold("6", T("2026-12-01T09:10:00Z"), "o"))
      .Offer(StageAccepted("7", T("2026-12-01T09:30:00Z"), "o", 1))
      .AdvanceTo(T("2026-12-01T10:00:00Z"));
  std::vector<std::pair<int, DurationMs>> ended;
  for (const Decision& d : j.decisions()) {
    if (d.pause_reason != Decision::kNoPauseReason) ended.emplace_back(d.pause_reason, d.paused);
  }
  EXPECT_EQ(ended, (std::vector<std::pair<int, DurationMs>>{
                       {1, 30 * kMinute}, {2, 5 * kMinute}, {2, 20 * kMinute}}));
}

TEST(PauseReasons, SlaWithoutReasonsRecordsNone) {
  std::vector<SlaDefinition> slas = JourneySlaList();
  slas[kPick].pause_reasons.clear();
  Journey j(slas);
  j.Offer(StageRequested("1", T("2026-12-01T08:00:00Z"), "o", 1))
      .Offer(Hold("2", T("2026-12-01T08:10:00Z"), "o", "credit_check"))
      .Offer(Release("3", T("2026-12-01T08:40:00Z"), "o"));
  for (const Decision& d : j.decisions()) EXPECT_EQ(d.pause_reason, Decision::kNoPauseReason);
}

}  // namespace
}  // namespace handoff
