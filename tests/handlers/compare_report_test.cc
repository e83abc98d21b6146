// `replay --compare` on hand-checked data: a tighter target turns one met instance into a
// breach and one running instance overdue; a renamed SLA is removed + added unless
// paired with --rename.
#include "handlers/compare_report.h"

#include <gtest/gtest.h>

#include "tests/fakes/sla_builder.h"
#include "tests/handlers/report_lines.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

ReplayOptions Options() {
  return ReplayOptions{.format = ReportFormat(), .engine = {.lateness = 5 * kSecond},
                       .as_of = kNoTime, .instances = false, .pretty = false};
}

// o1 stops after 10m, o2 after 20m; o3 is open at as_of (10:20).
std::string Compare(std::vector<SlaDefinition> base, std::vector<SlaDefinition> candidate,
                    std::map<std::string, std::string> renames = {}) {
  auto pairs = PairSlas(base, candidate, renames);
  EXPECT_TRUE(pairs.ok());
  CompareReport report(Slas(base), Options(), Slas(candidate), Options(), pairs.value());
  for (const std::string& line :
       {RequestedLine("o1", "10:00:00"), RequestedLine("o2", "10:00:00"),
        RequestedLine("o3", "10:00:00"), AcceptedLine("o1", "10:10:00"),
        AcceptedLine("o2", "10:20:00")}) {
    report.AddLine(line);
  }
  return report.Finish(/*pretty=*/false);
}

SlaDefinition Renamed(SlaDefinition sla, std::string name) {
  sla.name = std::move(name);
  return sla;
}

constexpr const char* kTightened =
    R"("status":"changed","candidate_name":"%s",)"
    R"("started":{"base":3,"candidate":3,"change":0},)"
    R"("met":{"base":2,"candidate":1,"change":-1},)"
    R"("breached":{"base":0,"candidate":2,"change":2},)"
    R"("cancelled":{"base":0,"candidate":0,"change":0},)"
    R"("open":{"running":{"base":1,"candidate":0,"change":-1},)"
    R"("paused":{"base":0,"candidate":0,"change":0},)"
    R"("overdue":{"base":0,"candidate":1,"change":1}},)"
    R"("elapsed_seconds":{"p50":{"base":600,"candidate":600,"change":0},)";

constexpr const char* kDifferingInstances =
    R"("instances":[{"sla":"sales_to_ops_accept","key":"o2","cycle":1,)"
    R"("base":{"state":"met","deadline":"2026-11-27T11:00:00Z","breached_at":null,)"
    R"("ended_at":"2026-11-27T10:20:00Z","elapsed_seconds":1200},)"
    R"("candidate":{"state":"breached","deadline":"2026-11-27T10:15:00Z",)"
    R"("breached_at":"2026-11-27T10:15:00Z","ended_at":"2026-11-27T10:20:00Z",)"
    R"("elapsed_seconds":1200}},)"
    R"({"sla":"sales_to_ops_accept","key":"o3","cycle":1,)"
    R"("base":{"state":"running","deadline":"2026-11-27T11:00:00Z",)";

std::string Expect(const char* format, const std::string& name) {
  std::string out = format;
  auto at = out.find("%s");
  if (at != std::string::npos) out.replace(at, 2, name);
  return out;
}

TEST(CompareReport, TighterTargetChangesCountsAndListsDifferingInstances) {
  std::string report = Compare({AcceptSla(kHour)}, {AcceptSla(15 * kMinute)});
  EXPECT_NE(report.find(Expect(kTightened, "sales_to_ops_accept")), std::string::npos) << report;
  EXPECT_NE(report.find(R"("instances_differing":2})"), std::string::npos) << report;
  EXPECT_NE(report.find(kDifferingInstances), std::string::npos) << report;
  EXPECT_NE(report.find(R"("slas_added":[],"slas_removed":[])"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("as_of":{"base":"2026-11-27T10:20:00Z",)"
                        R"("candidate":"2026-11-27T10:20:00Z"})"),
            std::string::npos)
      << report;
}

TEST(CompareReport, SameConfigIsUnchangedWithNoInstances) {
  std::string report = Compare({AcceptSla(kHour)}, {AcceptSla(kHour)});
  EXPECT_NE(report.find(R"("status":"unchanged")"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("instances":[]})"), std::string::npos) << report;
}

TEST(CompareReport, RenamedSlaIsRemovedAndAddedWithoutRename) {
  std::string report =
      Compare({AcceptSla(kHour)}, {Renamed(AcceptSla(15 * kMinute), "accept_v2")});
  EXPECT_NE(report.find(R"("sales_to_ops_accept":{"status":"removed","candidate_name":null,)"
                        R"("started":{"base":3,"candidate":null,"change":null},)"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find(R"("accept_v2":{"status":"added","candidate_name":"accept_v2",)"
                        R"("started":{"base":null,"candidate":3,"change":null},)"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find(R"("slas_added":["accept_v2"],"slas_removed":["sales_to_ops_accept"],)"
                        R"("instances":[]})"),
            std::string::npos)
      << report;
}

TEST(CompareReport, RenamePairsTheOldSlaWithItsNewName) {
  std::string report = Compare({AcceptSla(kHour)}, {Renamed(AcceptSla(15 * kMinute), "accept_v2")},
                               {{"sales_to_ops_accept", "accept_v2"}});
  EXPECT_NE(report.find(Expect(kTightened, "accept_v2")), std::string::npos) << report;
  EXPECT_NE(report.find(kDifferingInstances), std::string::npos) << report;
  EXPECT_NE(report.find(R"("slas_added":[],"slas_removed":[])"), std::string::npos) << report;
}

TEST(CompareReport, RenameErrorsNameTheProblem) {
  std::vector<SlaDefinition> base{AcceptSla(kHour)};
  std::vector<SlaDefinition> candidate{Renamed(AcceptSla(kHour), "v2")};
  auto missing = PairSlas(base, candidate, {{"nope", "v2"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "--rename nope=v2: the base config has no SLA `nope`");
  auto absent = PairSlas(base, candidate, {{"sales_to_ops_accept", "v3"}});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().message,
            "--rename sales_to_ops_accept=v3: the candidate has no SLA `v3`");
  candidate.push_back(AcceptSla(kHour));
  auto ambiguous = PairSlas(base, candidate, {{"sales_to_ops_accept", "v2"}});
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.error().message.find("still has an SLA `sales_to_ops_accept`"),
            std::string::npos);
}

}  // namespace
}  // namespace handoff
