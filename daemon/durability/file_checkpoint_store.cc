#include "daemon/durability/file_checkpoint_store.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "handlers/byte_codec.h"

namespace handoff {
namespace {

// Header, little-endian: magic[8] version:u32 partition:i32 length:u64 crc32:u32.
constexpr char kMagic[8] = {'H', 'N', 'D', 'F', 'C', 'K', 'P', 'T'};
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8 + 4;
constexpr std::string_view kPrefix = "partition-";
constexpr std::string_view kSuffix = ".ckpt";

void PutLe(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t GetLe(std::string_view in, std::size_t pos, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  return value;
}

std::uint32_t Crc(std::uint32_t crc, std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// The payload minus the engine state's bytes: offsets, the attachment (since version 2),
// then the state's length. The state itself follows, so a multi-gigabyte state is never
// copied to be written.
std::string PayloadPrefix(const Checkpoint& checkpoint) {
  ByteWriter w;
  w.PutUnsigned(checkpoint.offsets.size());
  for (const auto& [topic, offset] : checkpoint.offsets) {
    w.PutString(topic);
    w.PutSigned(offset);
  }
  w.PutString(checkpoint.attachment);
  w.PutUnsigned(checkpoint.engine_state.size());
  return w.Take();
}

std::string Header(std::int32_t partition, std::string_view prefix, std::string_view state) {
  std::string header(kMagic, sizeof kMagic);
  PutLe(header, kCheckpointFormatVersion, 4);
  PutLe(header, static_cast<std::uint32_t>(partition), 4);
  PutLe(header, prefix.size() + state.size(), 8);
  PutLe(header, Crc(Crc(crc32_z(0, nullptr, 0), prefix), state), 4);
  return header;
}

Error SystemError(std::string_view what, const std::string& path, int error) {
  return Error{std::string(what) + " " + path + ": " + std::strerror(error)};
}

// Writes every byte of the pieces, retrying short writes and EINTR.
bool WriteAll(int fd, std::initializer_list<std::string_view> pieces) {
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      ssize_t n = ::write(fd, piece.data(), std::min<std::size_t>(piece.size(), 1 << 30));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      piece.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  return true;
}

int Fsync(int fd) {
  int rc;
  do rc = ::fsync(fd);
  while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

Result<std::unique_ptr<FileCheckpointStore>> FileCheckpointStore::Open(const std::string& dir) {
  if (dir.empty()) return Error{"checkpoint.dir is empty"};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create checkpoint directory " + dir + ": " + ec.message()};
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error{"checkpoint directory " + dir + " is not a directory"};
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return SystemError("cannot write to checkpoint directory", dir, errno);
  }
  return std::unique_ptr<FileCheckpointStore>(new FileCheckpointStore(dir));
}

std::string FileCheckpointStore::PathOf(std::int32_t partition) const {
  return dir_ + "/" + std::string(kPrefix) + std::to_string(partition) + std::string(kSuffix);
}

std::string FileCheckpointStore::Encode(std::int32_t partition, const Checkpoint& checkpoint) {
  std::string prefix = PayloadPrefix(checkpoint);
  std::string out = Header(partition, prefix, checkpoint.engine_state);
  out += prefix;
  out += checkpoint.engine_state;
  return out;
}

namespace {

// Everything Decode does but copy the engine state out: `state` is left pointing into
// `bytes`, at their end, so Load can hand the whole buffer over instead.
Result<Checkpoint> DecodeAllButState(std::int32_t partition, std::string_view bytes,
                                     std::string_view source, std::string_view& state) {
  auto bad = [&](const std::string& what) {
    return Error{std::string(source) + ": checkpoint " + what};
  };
  if (bytes.size() < kHeaderSize) {
    return bad("is truncated (" + std::to_string(bytes.size()) + " bytes, the header alone is " +
               std::to_string(kHeaderSize) + ")");
  }
  if (bytes.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    return bad("is not a handoff checkpoint (bad magic)");
  }
  auto version = static_cast<std::uint32_t>(GetLe(bytes, 8, 4));
  if (version < 1 || version > kCheckpointFormatVersion) {
    return bad("has format version " + std::to_string(version) +
               ", this build reads versions 1 to " + std::to_string(kCheckpointFormatVersion));
  }
  auto saved_partition = static_cast<std::int32_t>(GetLe(bytes, 12, 4));
  if (saved_partition != partition) {
    return bad("belongs to partition " + std::to_string(saved_partition) + ", not " +
               std::to_string(partition));
  }
  std::uint64_t length = GetLe(bytes, 16, 8);
  std::string_view payload = bytes.substr(kHeaderSize);
  if (payload.size() != length) {
    return bad(std::string(payload.size() < length ? "is truncated" : "has trailing bytes") +
               " (payload " + std::to_string(payload.size()) + " bytes, header says " +
               std::to_string(length) + ")");
  }
  auto crc = static_cast<std::uint32_t>(GetLe(bytes, 24, 4));
  if (Crc(crc32_z(0, nullptr, 0), payload) != crc) return bad("is corrupt (checksum mismatch)");

  Checkpoint checkpoint;
  ByteReader r(payload);
  std::uint64_t count = 0;
  if (!r.GetUnsigned(count) || count > payload.size()) return bad("payload is malformed (offsets)");
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string topic;
    std::int64_t offset = 0;
    if (!r.GetString(topic) || !r.GetSigned(offset)) return bad("payload is malformed (offsets)");
    checkpoint.offsets[std::move(topic)] = offset;
  }
  if (version >= 2 && !r.GetString(checkpoint.attachment)) {
    return bad("payload is malformed (attachment)");
  }
  if (!r.GetView(state) || !r.AtEnd()) return bad("payload is malformed (engine state)");
  return checkpoint;
}

}  // namespace

Result<Checkpoint> FileCheckpointStore::Decode(std::int32_t partition, std::string_view bytes,
                                               std::string_view source) {
  std::string_view state;
  auto checkpoint = DecodeAllButState(partition, bytes, source, state);
  if (checkpoint) checkpoint.value().engine_state.assign(state);
  return checkpoint;
}

Status FileCheckpointStore::Save(std::int32_t partition, const Checkpoint& checkpoint) {
  std::string path = PathOf(partition);
  // The directory may have been removed under us; recreate it rather than fail forever.
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return SystemError("cannot create", temp, errno);
  std::string prefix = PayloadPrefix(checkpoint);
  std::string header = Header(partition, prefix, checkpoint.engine_state);
  bool written = WriteAll(fd, {header, prefix, checkpoint.engine_state});
  int error = errno;
  if (written && Fsync(fd) != 0) {
    written = false;
    error = errno;
  }
  if (::close(fd) != 0 && written) {
    written = false;
    error = errno;
  }
  if (!written) {
    ::unlink(temp.c_str());
    return SystemError("cannot write", temp, error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    ::unlink(temp.c_str());
    return SystemError("cannot rename the new checkpoint to", path, error);
  }
  // The rename is durable only once the directory entry is.
  int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return SystemError("cannot open", dir_, errno);
  int rc = Fsync(dir_fd);
  error = errno;
  ::close(dir_fd);
  if (rc != 0) return SystemError("cannot fsync", dir_, error);
  return {};
}

Result<std::optional<Checkpoint>> FileCheckpointStore::Load(std::int32_t partition) {
  std::string path = PathOf(partition);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Checkpoint>();
    return SystemError("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return SystemError("cannot stat", path, error);
  }
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return SystemError("cannot read", path, error);
    }
    if (n == 0) break;  // shrank while we read: Decode reports the truncation
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  std::string_view state;
  auto checkpoint = DecodeAllButState(partition, bytes, path, state);
  if (!checkpoint) return checkpoint.error();
  // The state ends the file: drop what precedes it and keep the buffer, rather than copy
  // hundreds of megabytes into a new string.
  bytes.erase(0, static_cast<std::size_t>(state.data() - bytes.data()));
  checkpoint.value().engine_state = std::move(bytes);
  return std::optional<Checkpoint>(std::move(checkpoint).value());
}

Result<std::vector<std::int32_t>> FileCheckpointStore::List() {
  std::vector<std::int32_t> partitions;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return partitions;
    return Error{"cannot list checkpoint directory " + dir_ + ": " + ec.message()};
  }
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    std::string_view view = name;
    // Leftover temporary files (partition-<n>.ckpt.tmp) and anything else are ignored.
    if (!view.starts_with(kPrefix) || !view.ends_with(kSuffix)) continue;
    view = view.substr(kPrefix.size(), view.size() - kPrefix.size() - kSuffix.size());
    std::int32_t partition = 0;
    auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), partition);
    if (error != std::errc() || end != view.data() + view.size() || partition < 0) continue;
    partitions.push_back(partition);
  }
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

}  // namespace handoff
