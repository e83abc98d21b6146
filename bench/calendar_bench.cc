// Business calendar cost (issue 4: a deadline five working days away in <= 1 us median),
// against AlwaysOpenCalendar measured in the same run. Run with
//   calendar_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
// and the ratios of the medians are printed at the end.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "handlers/business_calendar.h"
#include "handlers/calendar.h"
#include "handlers/time.h"

namespace handoff {
namespace {

constexpr DurationMs kFiveWorkingDays = 5 * 9 * kHour;  // 45h on a 9h office day

// Europe/Berlin, mon-fri 08:00-12:00 and 13:00-18:00, with the 2026-2027 public holidays.
std::shared_ptr<const BusinessCalendar> BerlinOffice() {
  CalendarSpec spec;
  spec.timezone = "Europe/Berlin";
  for (int d = 0; d < 5; ++d) spec.hours[d] = {{8 * 60, 12 * 60}, {13 * 60, 18 * 60}};
  for (const char* day : {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
                          "2026-05-25", "2026-10-03", "2026-12-24", "2026-12-25", "2026-12-26",
                          "2026-12-31", "2027-01-01", "2027-03-26", "2027-03-29"}) {
    spec.holidays.push_back(
        static_cast<std::int32_t>(*ParseRfc3339(std::string(day) + "T00:00:00Z") / kDay));
  }
  auto result = BusinessCalendar::Create(spec);
  if (!result.ok()) {
    std::fprintf(stderr, "calendar: %s\n", result.error().message.c_str());
    std::abort();
  }
  return result.value();
}

// 256 starts through 2026 at odd times of day (weekends, nights, DST weeks included), so
// the branch predictor cannot learn one path.
const std::vector<TimeMs>& Starts() {
  static const std::vector<TimeMs> starts = [] {
    std::vector<TimeMs> out;
    const TimeMs first = *ParseRfc3339("2026-01-02T00:00:00Z");
    for (int i = 0; i < 256; ++i) out.push_back(first + i * (34 * kHour + 17 * kMinute + 3));
    return out;
  }();
  return starts;
}

void Deadline(benchmark::State& state, const Calendar& cal, DurationMs work) {
  const auto& starts = Starts();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.AddWorkingTime(starts[i], work));
    i = (i + 1) % starts.size();
  }
}

void WorkingTime(benchmark::State& state, const Calendar& cal, DurationMs work) {
  const auto& starts = Starts();
  std::vector<TimeMs> ends;
  for (TimeMs s : starts) ends.push_back(cal.AddWorkingTime(s, work));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.WorkingTime(starts[i], ends[i]));
    i = (i + 1) % starts.size();
  }
}

const Calendar& Berlin() {
  static const auto cal = BerlinOffice();
  return *cal;
}
const Calendar& Always() { return *AlwaysOpenCalendar::Shared(); }

void BM_DeadlineFiveWorkingDays_Berlin(benchmark::State& s) {
  Deadline(s, Berlin(), kFiveWorkingDays);
}
void BM_DeadlineFiveWorkingDays_AlwaysOpen(benchmark::State& s) {
  Deadline(s, Always(), kFiveWorkingDays);
}
void BM_WorkingTimeFiveWorkingDays_Berlin(benchmark::State& s) {
  WorkingTime(s, Berlin(), kFiveWorkingDays);
}
void BM_WorkingTimeFiveWorkingDays_AlwaysOpen(benchmark::State& s) {
  WorkingTime(s, Always(), kFiveWorkingDays);
}
// Twelve weeks of working time (540h): whole weeks are skipped, so not 12x the cost.
void BM_DeadlineTwelveWeeks_Berlin(benchmark::State& s) {
  Deadline(s, Berlin(), 12 * kFiveWorkingDays);
}

void BM_Create_Berlin(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(BerlinOffice());
}

BENCHMARK(BM_DeadlineFiveWorkingDays_Berlin);
BENCHMARK(BM_DeadlineFiveWorkingDays_AlwaysOpen);
BENCHMARK(BM_WorkingTimeFiveWorkingDays_Berlin);
BENCHMARK(BM_WorkingTimeFiveWorkingDays_AlwaysOpen);
BENCHMARK(BM_DeadlineTwelveWeeks_Berlin);
BENCHMARK(BM_Create_Berlin);

// Remembers the median (or the single run) of each benchmark to print ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      ns_[run.run_name.function_name] = run.GetAdjustedRealTime();
    }
  }

  void PrintRatios() const {
    std::printf("\n");
    Ratio("BM_DeadlineFiveWorkingDays_Berlin", "BM_DeadlineFiveWorkingDays_AlwaysOpen");
    Ratio("BM_WorkingTimeFiveWorkingDays_Berlin", "BM_WorkingTimeFiveWorkingDays_AlwaysOpen");
    Ratio("BM_DeadlineTwelveWeeks_Berlin", "BM_DeadlineFiveWorkingDays_Berlin");
  }

 private:
  void Ratio(const std::string& name, const std::string& baseline) const {
    auto a = ns_.find(name);
    auto b = ns_.find(baseline);
    if (a == ns_.end() || b == ns_.end() || b->second <= 0) return;
    std::printf("%-40s %8.1f ns = %6.1f x %s\n", name.c_str(), a->second, a->second / b->second,
                baseline.c_str());
  }

  std::map<std::string, double> ns_;
};

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  handoff::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
