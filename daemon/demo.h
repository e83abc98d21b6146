// `handoffd demo`: an in-process Kafka (DemoCluster), synthetic orders (DemoGenerator)
// and the full Daemon on the embedded demo config, with a one-line summary every few
// seconds. Runs on the calling thread, which becomes the engine thread; Ctrl-C stops it.
#pragma once

#include <cstdint>

#include "daemon/host/runtime_flags.h"

namespace handoff {

int RunDemo(std::uint32_t rate, const RuntimeFlags& flags);

}  // namespace handoff
