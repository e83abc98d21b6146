// config/examples/demo.yaml, embedded at build time, for `handoffd demo` (which replaces
// its brokers and checkpoint dir) and the ingest benchmark. Any thread.
#pragma once

#include <string_view>

namespace handoff {

std::string_view DemoConfigYaml();

}  // namespace handoff
