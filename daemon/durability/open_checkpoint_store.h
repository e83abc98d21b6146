// Opens the checkpoint store the config names (checkpoint.store): files under
// checkpoint.dir for one member, or the state topic checkpoint.topic for several members
// of one consumer group (docs/durability.md). Called once at start-up by the Daemon.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "daemon/durability/checkpoint_store.h"

namespace handoff {

// `api_url`: where this member's HTTP API answers, written into its claims so that the
// other members can find it. An error says what is wrong and how to fix it.
Result<std::unique_ptr<CheckpointStore>> OpenCheckpointStore(const Config& config,
                                                             const std::string& api_url);

// Who this member is in the state topic's claims: kafka.group_instance_id when set (it is
// unique in the group), else "<host name>/<pid>".
std::string MemberName(const KafkaConfig& kafka);

}  // namespace handoff
