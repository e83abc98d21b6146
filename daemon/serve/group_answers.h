// The whole group's answers to /api/v1/instances and /api/v1/orders/{key} when several
// members share one consumer group (docs/reference/http-api.md, "Several members"): every
// member's own answer (asked with local=1), merged into one that is the same whichever
// member was asked. Pure: JSON text in, JSON text out; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handoff {

// One member's answer to a local=1 request, or why there is none.
struct MemberAnswer {
  std::string url;                   // the member's API address
  std::optional<std::string> error;  // set: it did not answer (status and body unset)
  int status = 0;
  std::string body;
};

struct MergedAnswer {
  int status = 200;
  std::string body;
};

// Every member's open instances ranked as one list, as each member ranks its own: with a
// deadline first, most overdue first, then by start, key, SLA and cycle; cut to `limit`.
// How overdue comes from `overdue_seconds`, the last field of each instance of a local=1
// answer, which the merged answer leaves out. `matched` is the sum. Members that did not answer (or answered anything
// but 200 with the local shape) are listed under `unreachable` with the reason.
// Always status 200.
std::string MergeInstances(const std::vector<MemberAnswer>& answers, std::size_t limit);

// The order's timeline from every member that has one: each instance (SLA, cycle, start)
// from the member whose view of it is the newest (`as_of`: a partition's new owner carries
// on where the old one stopped), ordered by start, SLA and cycle; `truncated` when any
// member's was. 404 when no member that answered knows the order.
MergedAnswer MergeOrder(std::string_view key, const std::vector<MemberAnswer>& answers);

}  // namespace handoff
