// "host:port" split, as listen addresses, bound addresses and the authority of a member's
// URL are written: "10.0.3.7:9464", "[fd00::7]:9464" (host without the brackets),
// ":9464" (empty host: every interface). nullopt without a port of 0..65535.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace handoff {

std::optional<std::pair<std::string, std::string>> SplitHostPort(std::string_view address);

}  // namespace handoff
