// libFuzzer target: a checkpoint's engine state comes back from disk or a Kafka topic,
// where it can be damaged or forged. SlaEngine::RestoreState must refuse it or build an
// engine that works: events apply, the frontier moves, and its own state saves and
// restores again. The input is the engine state's bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "handlers/sla_engine.h"
#include "tests/fakes/sla_builder.h"

namespace {

using namespace handoff::testing;  // NOLINT: the test builders

const handoff::SlaEngine::Slas& FuzzSlas() {
  static const auto slas = Slas({AcceptSla(handoff::kHour, {0.5})});
  return slas;
}

constexpr handoff::EngineOptions kOptions{.lateness = 5 * handoff::kSecond,
                                          .dedupe_window = handoff::kHour,
                                          .retention = handoff::kDay};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view state(reinterpret_cast<const char*>(data), size);
  auto restored = handoff::SlaEngine::RestoreState(FuzzSlas(), kOptions, state);
  if (!restored) return 0;
  handoff::SlaEngine* engine = &restored.value();
  std::vector<handoff::Decision> out;
  const handoff::TimeMs t = T("2026-11-27T10:00:00Z");
  engine->Offer(Requested("fuzz-1", t, "order-1"), out);
  engine->Offer(Accepted("fuzz-2", t + handoff::kMinute, "order-1"), out);
  engine->AdvanceFrontier(t + 2 * handoff::kHour, out);
  if (!handoff::SlaEngine::RestoreState(FuzzSlas(), kOptions, engine->SaveState())) {
    __builtin_trap();  // an engine must always restore from its own state
  }
  return 0;
}
