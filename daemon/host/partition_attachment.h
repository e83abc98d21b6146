// State kept beside a partition's engine that moves with the partition (the API's order
// timeline, daemon/serve/timeline_store.h): written into the partition's checkpoints, put
// back when a member restores the partition, dropped when it leaves this member, and
// re-homed when a reload changes the SLAs. So it survives restarts, failover and reloads
// like the engine state. Engine thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/result.h"
#include "handlers/sla_definition.h"

namespace handoff {

class PartitionAttachment {
 public:
  virtual ~PartitionAttachment() = default;
  // The partition's part, as bytes for its checkpoint. SLAs are written by name.
  virtual std::string Save(std::int32_t partition, const std::vector<SlaDefinition>& slas) const = 0;
  // Replaces the partition's part with the saved one; an SLA `slas` no longer has is
  // dropped. An error (bytes of another format) leaves the partition's part empty.
  virtual Status Restore(std::int32_t partition, std::string_view saved,
                         const std::vector<SlaDefinition>& slas) = 0;
  // The partition left this member.
  virtual void Forget(std::int32_t partition) = 0;
  // A reload changed the SLAs from `from` to `to`: what refers to an SLA follows it by
  // name; what refers to one `to` lacks is dropped (as the engines drop its instances).
  virtual void Rehome(const std::vector<SlaDefinition>& from,
                      const std::vector<SlaDefinition>& to) = 0;
};

}  // namespace handoff
