// EngineHost::Reconfigure (reload) and EngineHost::Restore (checkpoints).
#include <gtest/gtest.h>

#include "daemon/host/engine_host.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/recording_decision_sink.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

// operations -> fulfillment: starts on handoff.accepted, stops on order.shipped.
SlaDefinition ShipSla(DurationMs target) {
  SlaDefinition sla;
  sla.name = "ops_to_fulfillment_ship";
  sla.from = "operations";
  sla.to = "fulfillment";
  sla.owner = "fulfillment";
  sla.start = Type("handoff.accepted");
  sla.stop = Type("order.shipped");
  sla.target = target;
  return sla;
}

std::shared_ptr<const Config> ConfigOf(std::vector<SlaDefinition> slas) {
  auto config = std::make_shared<Config>();
  config->slas = std::move(slas);
  config->time.lateness = 5 * kSecond;
  config->time.idle_timeout = 10 * kSecond;
  return config;
}

class EngineHostReloadTest : public ::testing::Test {
 protected:
  EngineHostReloadTest() : clock_(T("2026-11-27T10:00:00Z")) {}

  void Offer(Event e) { host_->Offer(0, std::move(e), clock_.Now()); }
  // Moves the wall clock and the idle partition's frontier to `t` - lateness.
  void IdleUntil(TimeMs t) {
    clock_.Set(t);
    host_->Tick(clock_.Now());
  }
  void Start(std::vector<SlaDefinition> slas) {
    host_ = std::make_unique<EngineHost>(ConfigOf(std::move(slas)));
    host_->AddSink(&sink_);
    host_->Assign(0);
    host_->SetCaughtUp(0, true);
  }
  std::size_t Count(DecisionKind kind, const std::string& key) const {
    std::size_t n = 0;
    for (const auto& [_, d] : sink_.decisions()) n += d.kind == kind && d.instance.key == key;
    return n;
  }

  FakeClock clock_;
  RecordingDecisionSink sink_;
  std::unique_ptr<EngineHost> host_;
};

TEST_F(EngineHostReloadTest, NewSlaStartsAtZeroAndOldInstancesKeepRunning) {
  Start({AcceptSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  IdleUntil(t + 10 * kSecond);  // applied, not just buffered
  auto dropped = host_->Reconfigure(ConfigOf({AcceptSla(kHour), ShipSla(kHour)}));
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ(*dropped, 0u);
  EXPECT_EQ(host_->config().slas.size(), 2u);
  EXPECT_EQ(host_->open_counts(1).running, 0u);
  EXPECT_EQ(host_->partitions().at(0).engine.open_instances(), 1u);
  // The new SLA reacts to events from now on.
  Offer(Accepted("e2", t + kMinute, "o1"));
  IdleUntil(t + 2 * kMinute);
  EXPECT_EQ(Count(DecisionKind::kMet, "o1"), 1u);
  EXPECT_EQ(host_->open_counts(1).running, 1u);
  EXPECT_TRUE(host_->partitions().at(0).caught_up);  // bookkeeping carried over
}

TEST_F(EngineHostReloadTest, RemovedSlaInstancesAreDroppedAndCounted) {
  Start({AcceptSla(kHour), ShipSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  Offer(Requested("e2", t, "o2"));
  Offer(Accepted("e3", t + kSecond, "o3"));  // ship SLA starts for o3
  IdleUntil(t + kMinute);
  ASSERT_EQ(host_->open_counts(0).running, 2u);
  ASSERT_EQ(host_->open_counts(1).running, 1u);
  auto dropped = host_->Reconfigure(ConfigOf({ShipSla(kHour)}));
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(host_->dropped_open_instances(), 2u);
  EXPECT_EQ(host_->open_counts(0).running, 1u);  // index 0 is the ship SLA now
  // Nothing of the removed SLA fires later.
  std::size_t before = sink_.decisions().size();
  IdleUntil(t + 3 * kHour);
  ASSERT_EQ(sink_.decisions().size(), before + 1);
  EXPECT_EQ(sink_.decisions().back().second.kind, DecisionKind::kBreached);
  EXPECT_EQ(sink_.decisions().back().second.instance.key, "o3");
  EXPECT_EQ(sink_.decisions().back().second.instance.sla, 0u);
}

TEST_F(EngineHostReloadTest, ChangedTargetAppliesToNewInstancesOnly) {
  Start({AcceptSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "old"));
  // Applied before the reload. (A start still in the reorder buffer would apply after it,
  // and get the new target: the target is chosen when the start applies.)
  IdleUntil(t + 10 * kSecond);
  ASSERT_TRUE(host_->Reconfigure(ConfigOf({AcceptSla(2 * kHour)})).ok());
  Offer(Requested("e2", t + kMinute, "new"));
  IdleUntil(t + kHour + 5 * kSecond);
  EXPECT_EQ(Count(DecisionKind::kBreached, "old"), 1u);  // kept its 1h target
  EXPECT_EQ(Count(DecisionKind::kBreached, "new"), 0u);
  IdleUntil(t + 2 * kHour + kMinute + 5 * kSecond);
  EXPECT_EQ(Count(DecisionKind::kBreached, "new"), 1u);
  EXPECT_EQ(host_->config().slas[0].target, 2 * kHour);
}

TEST_F(EngineHostReloadTest, ReorderedSlasKeepTheirInstancesByName) {
  Start({AcceptSla(kHour), ShipSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  IdleUntil(t + 10 * kSecond);
  ASSERT_TRUE(host_->Reconfigure(ConfigOf({ShipSla(kHour), AcceptSla(kHour)})).ok());
  EXPECT_EQ(host_->open_counts(1).running, 1u);
  IdleUntil(t + kHour + 5 * kSecond);
  ASSERT_EQ(Count(DecisionKind::kBreached, "o1"), 1u);
  EXPECT_EQ(sink_.decisions().back().second.instance.sla, 1u);
}

// What moves with the partitions (the order timeline) is re-homed by the same reload,
// from the SLAs before to the SLAs after.
TEST_F(EngineHostReloadTest, AReloadRehomesTheAttachment) {
  struct Recording : PartitionAttachment {
    std::string Save(std::int32_t, const std::vector<SlaDefinition>&) const override { return ""; }
    Status Restore(std::int32_t, std::string_view, const std::vector<SlaDefinition>&) override {
      return {};
    }
    void Forget(std::int32_t) override {}
    void Rehome(const std::vector<SlaDefinition>& from,
                const std::vector<SlaDefinition>& to) override {
      for (const auto& s : from) this->from.push_back(s.name);
      for (const auto& s : to) this->to.push_back(s.name);
    }
    std::vector<std::string> from, to;
  } attachment;
  Start({AcceptSla(kHour), ShipSla(kHour)});
  host_->set_attachment(&attachment);
  ASSERT_TRUE(host_->Reconfigure(ConfigOf({ShipSla(kHour)})).ok());
  EXPECT_EQ(attachment.from,
            (std::vector<std::string>{AcceptSla(kHour).name, "ops_to_fulfillment_ship"}));
  EXPECT_EQ(attachment.to, (std::vector<std::string>{"ops_to_fulfillment_ship"}));
}

TEST_F(EngineHostReloadTest, DedupeAndFrontierSurviveAReload) {
  Start({AcceptSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  IdleUntil(t + kMinute);
  TimeMs frontier = host_->partitions().at(0).engine.frontier();
  ASSERT_TRUE(host_->Reconfigure(ConfigOf({AcceptSla(kHour)})).ok());
  EXPECT_EQ(host_->partitions().at(0).engine.frontier(), frontier);
  Offer(Requested("e1", t + 2 * kMinute, "o1"));
  EXPECT_EQ(host_->totals().duplicate, 1u);
}

TEST_F(EngineHostReloadTest, RestoreContinuesWhereTheSavedEngineStopped) {
  Start({AcceptSla(kHour, {0.5})});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  Offer(Requested("e2", t + kSecond, "o2"));
  std::string state = host_->partitions().at(0).engine.SaveState();

  RecordingDecisionSink restored_sink;
  EngineHost restored(ConfigOf({AcceptSla(kHour, {0.5})}));
  restored.AddSink(&restored_sink);
  ASSERT_TRUE(restored.Restore(5, state));
  restored.SetCaughtUp(5, true);
  EXPECT_EQ(restored.partitions().at(5).engine.pending(), 2u);
  restored.Tick(t + 2 * kHour);  // just restored: not idle yet (rule 2)
  EXPECT_TRUE(restored_sink.decisions().empty());
  restored.Tick(t + 3 * kHour);
  host_->Tick(t + 2 * kHour);
  ASSERT_EQ(restored_sink.decisions().size(), sink_.decisions().size());
  for (std::size_t i = 0; i < sink_.decisions().size(); ++i) {
    EXPECT_EQ(restored_sink.decisions()[i].second.kind, sink_.decisions()[i].second.kind);
    EXPECT_EQ(restored_sink.decisions()[i].second.at, sink_.decisions()[i].second.at);
  }
}

TEST_F(EngineHostReloadTest, InstallAfterAReloadRehomesTheEngineUnderTheNewSlas) {
  Start({AcceptSla(kHour), ShipSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  Offer(Accepted("e2", t + kSecond, "o2"));  // opens a ship instance
  IdleUntil(t + kMinute);
  std::string state = host_->partitions().at(0).engine.SaveState();

  // Restored elsewhere under the running SLAs; a reload removes one before the install.
  EngineHost::Basis before = host_->basis();
  auto engine = EngineHost::RestoreEngine(before, state);
  ASSERT_TRUE(engine.ok());
  ASSERT_EQ(engine->slas().size(), 2u);
  ASSERT_EQ(*host_->Reconfigure(ConfigOf({AcceptSla(kHour)})), 1u);  // partition 0's
  ASSERT_TRUE(host_->Install(7, std::move(engine).value(), before));
  const SlaEngine& installed = host_->partitions().at(7).engine;
  ASSERT_EQ(installed.slas().size(), 1u);
  EXPECT_EQ(installed.open_instances(), 1u);
  EXPECT_EQ(host_->dropped_open_instances(), 2u);  // the reload's, and this partition's

  // Under the running basis nothing is re-homed.
  auto current = EngineHost::RestoreEngine(host_->basis(), installed.SaveState());
  ASSERT_TRUE(current.ok());
  ASSERT_TRUE(host_->Install(8, std::move(current).value(), host_->basis()));
  EXPECT_EQ(host_->partitions().at(8).engine.open_instances(), 1u);
  EXPECT_EQ(host_->dropped_open_instances(), 2u);
}

// A checkpoint written under a config with an SLA the running config lacks: that SLA's
// open instances are dropped on restore, and counted.
TEST_F(EngineHostReloadTest, RestoreUnderAConfigWithoutAnSlaCountsWhatItDrops) {
  Start({AcceptSla(kHour), ShipSla(kHour)});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  Offer(Accepted("e2", t + kSecond, "o2"));  // opens a ship instance
  Offer(Accepted("e3", t + kSecond, "o3"));  // and another
  IdleUntil(t + kMinute);
  std::string state = host_->partitions().at(0).engine.SaveState();

  Start({AcceptSla(kHour)});
  ASSERT_TRUE(host_->Restore(0, state));
  EXPECT_EQ(host_->partitions().at(0).engine.open_instances(), 1u);
  EXPECT_EQ(host_->dropped_open_instances(), 2u);
}

TEST_F(EngineHostReloadTest, CorruptStateLeavesThePartitionAlone) {
  Start({AcceptSla(kHour)});
  Offer(Requested("e1", clock_.Now(), "o1"));
  ASSERT_FALSE(host_->Restore(0, "garbage"));
  EXPECT_EQ(host_->partitions().at(0).engine.pending(), 1u);
  EXPECT_FALSE(host_->Restore(1, ""));  // and no partition 1 is created
  EXPECT_EQ(host_->partitions().count(1), 0u);
}

// Making a shadow SLA live is a reload that flips `shadow`: its open instances carry on
// (same cycle, start and deadline; nothing restarts) and decide as they would have.
TEST_F(EngineHostReloadTest, FlippingShadowLiveKeepsOpenInstancesRunning) {
  SlaDefinition candidate = AcceptSla(kHour);
  candidate.shadow = true;
  Start({candidate});
  TimeMs t = clock_.Now();
  Offer(Requested("e1", t, "o1"));
  Offer(Requested("e2", t + 10 * kMinute, "o2"));
  IdleUntil(t + 30 * kMinute);
  ASSERT_EQ(host_->open_counts(0).running, 2u);

  SlaDefinition live = candidate;
  live.shadow = false;
  auto dropped = host_->Reconfigure(ConfigOf({live}));
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ(*dropped, 0u);
  EXPECT_FALSE(host_->config().slas[0].shadow);
  EXPECT_EQ(host_->open_counts(0).running, 2u);
  std::vector<InstanceSnapshot> open;
  host_->VisitOpenInstances([&](std::int32_t, const InstanceSnapshot& s) { open.push_back(s); });
  ASSERT_EQ(open.size(), 2u);
  for (const InstanceSnapshot& s : open) {
    EXPECT_EQ(s.cycle, 1u);
    EXPECT_EQ(s.deadline, s.started_at + kHour) << s.key;
    EXPECT_EQ(s.elapsed, t + 30 * kMinute - 5 * kSecond - s.started_at) << s.key;
  }

  // o1 stops within its hour; o2 breaches at its deadline 1h after it started, before
  // the reload: neither starts again.
  Offer(Accepted("e3", t + 40 * kMinute, "o1"));
  IdleUntil(t + 71 * kMinute);
  EXPECT_EQ(Count(DecisionKind::kMet, "o1"), 1u);
  EXPECT_EQ(Count(DecisionKind::kBreached, "o2"), 1u);
  EXPECT_EQ(Count(DecisionKind::kStarted, "o1") + Count(DecisionKind::kStarted, "o2"), 2u);
  for (const auto& [_, d] : sink_.decisions()) {
    if (d.kind == DecisionKind::kBreached) {
      EXPECT_EQ(d.at, t + 10 * kMinute + kHour);
    }
    if (d.kind == DecisionKind::kMet) {
      EXPECT_EQ(d.instance.elapsed, 40 * kMinute);
    }
  }
}

}  // namespace
}  // namespace handoff
