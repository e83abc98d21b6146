// Checkpoints as one file per partition, `<dir>/partition-<n>.ckpt`: a small header
// (magic, format version, partition, payload length, CRC-32 of the payload) and the
// payload (offsets, attachment, engine state). Saves are atomic: a temporary file in the same
// directory is written and fsynced, renamed over the old file, and the directory is
// fsynced. Any thread; Saves of the same partition must not overlap (the caller
// serializes them), everything else may run concurrently. Format: docs/durability.md.
#pragma once

#include <memory>
#include <string>

#include "daemon/durability/checkpoint_store.h"

namespace handoff {

// The file format version this build writes; it reads this one and every one before
// (version 1 had no attachment).
inline constexpr std::uint32_t kCheckpointFormatVersion = 2;

class FileCheckpointStore final : public CheckpointStore {
 public:
  // Creates `dir` (and its parents) when missing. An error names the directory and the
  // reason (not a directory, permission denied, ...).
  static Result<std::unique_ptr<FileCheckpointStore>> Open(const std::string& dir);

  Status Save(std::int32_t partition, const Checkpoint& checkpoint) override;
  Result<std::optional<Checkpoint>> Load(std::int32_t partition) override;
  Result<std::vector<std::int32_t>> List() override;

  const std::string& dir() const { return dir_; }
  std::string PathOf(std::int32_t partition) const;  // "<dir>/partition-<n>.ckpt"

  // The file's bytes for a checkpoint, and back; exposed for tests and tools. Decode
  // checks everything (magic, version, partition, length, checksum, payload) and names
  // what is wrong; `source` (a path) prefixes its messages.
  static std::string Encode(std::int32_t partition, const Checkpoint& checkpoint);
  static Result<Checkpoint> Decode(std::int32_t partition, std::string_view bytes,
                                   std::string_view source);

 private:
  explicit FileCheckpointStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace handoff
