// libFuzzer target: any bytes given to LoadConfigString must come back as a Config or as
// errors with sane positions, never as a crash, a hang or an escaped exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  // A fixed environment, so that the override paths run too.
  handoff::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HANDOFF_TIME_IDLE_TIMEOUT") return "3s";
    return std::nullopt;
  };
  auto result = handoff::LoadConfigString(yaml, "fuzz.yaml", env);
  if (result.ok()) {
    (void)handoff::DescribeConfig(result.value());
    (void)handoff::DescribeConfigOneLine(result.value());
    return 0;
  }
  if (result.error().empty()) std::abort();  // a failure must say why
  for (const handoff::ConfigError& e : result.error()) {
    if (e.line < 0 || e.column < 0 || e.message.empty()) std::abort();
    (void)e.ToString();
  }
  return 0;
}
