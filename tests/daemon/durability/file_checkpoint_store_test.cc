#include "daemon/durability/file_checkpoint_store.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace handoff {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ckpt-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Checkpoint Sample() {
  Checkpoint c;
  c.engine_state = std::string("engine\0state", 12) + std::string(300, 'x');
  c.offsets = {{"handoffs", 12345678901}, {"orders", 0}};
  c.attachment = "timeline bytes";
  return c;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(FileCheckpointStore, RoundTrip) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*store)->Save(7, Sample()));
  auto loaded = (*store)->Load(7);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->engine_state, Sample().engine_state);
  EXPECT_EQ((*loaded)->offsets, Sample().offsets);
  EXPECT_EQ((*loaded)->attachment, Sample().attachment);
  EXPECT_TRUE(fs::exists(dir.path() + "/partition-7.ckpt"));
}

TEST(FileCheckpointStore, EmptyCheckpointRoundTrips) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Save(0, Checkpoint{}));
  auto loaded = (*store)->Load(0);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE((*loaded)->engine_state.empty());
  EXPECT_TRUE((*loaded)->offsets.empty());
}

TEST(FileCheckpointStore, SaveReplacesThePreviousCheckpoint) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Save(1, Sample()));
  Checkpoint second{.engine_state = "short", .offsets = {{"orders", 9}}};
  ASSERT_TRUE((*store)->Save(1, second));
  auto loaded = (*store)->Load(1);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->engine_state, "short");
  EXPECT_EQ((*loaded)->offsets, second.offsets);
}

TEST(FileCheckpointStore, MissingCheckpointIsNotAnError) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto loaded = (*store)->Load(3);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(FileCheckpointStore, OpenCreatesMissingDirectories) {
  TempDir dir;
  std::string nested = dir.path() + "/a/b/c";
  auto store = FileCheckpointStore::Open(nested);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(fs::is_directory(nested));
  // Removed while running: the next save recreates it.
  fs::remove_all(nested);
  EXPECT_TRUE((*store)->Save(2, Sample()));
  EXPECT_TRUE((*store)->Load(2)->has_value());
}

TEST(FileCheckpointStore, OpenRejectsAFileAndAnUncreatableDirectory) {
  TempDir dir;
  std::string file = dir.path() + "/plain";
  WriteFile(file, "x");
  auto not_dir = FileCheckpointStore::Open(file);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_NE(not_dir.error().message.find(file), std::string::npos) << not_dir.error().message;
  auto under_file = FileCheckpointStore::Open(file + "/sub");
  ASSERT_FALSE(under_file.ok());
  EXPECT_NE(under_file.error().message.find("cannot create checkpoint directory"),
            std::string::npos)
      << under_file.error().message;
  EXPECT_FALSE(FileCheckpointStore::Open("").ok());
}

TEST(FileCheckpointStore, EveryTruncationIsAnError) {
  std::string bytes = FileCheckpointStore::Encode(4, Sample());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto decoded = FileCheckpointStore::Decode(4, std::string_view(bytes).substr(0, length), "f");
    ASSERT_FALSE(decoded.ok()) << "length " << length;
    EXPECT_TRUE(decoded.error().message.starts_with("f: checkpoint ")) << decoded.error().message;
  }
  EXPECT_TRUE(FileCheckpointStore::Decode(4, bytes, "f").ok());
}

TEST(FileCheckpointStore, EveryBitFlipIsAnError) {
  std::string bytes = FileCheckpointStore::Encode(4, Sample());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      ASSERT_FALSE(FileCheckpointStore::Decode(4, damaged, "f").ok())
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(FileCheckpointStore, TrailingBytesAreAnError) {
  std::string bytes = FileCheckpointStore::Encode(4, Sample()) + "zz";
  auto decoded = FileCheckpointStore::Decode(4, bytes, "f");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("trailing bytes"), std::string::npos);
}

TEST(FileCheckpointStore, WrongVersionIsNamed) {
  std::string bytes = FileCheckpointStore::Encode(4, Sample());
  bytes[8] = 3;  // the version's low byte
  auto decoded = FileCheckpointStore::Decode(4, bytes, "p.ckpt");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message,
            "p.ckpt: checkpoint has format version 3, this build reads versions 1 to 2");
}

// Version 1, written before the attachment (the order timeline) was part of a checkpoint,
// is read with none: an upgrade keeps every partition's state.
TEST(FileCheckpointStore, VersionOneIsReadWithoutAnAttachment) {
  const std::string payload = std::string("\x01\x08handoffs\x0e", 11) + "\x05state";
  std::string bytes = "HNDFCKPT";
  auto le = [&](std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  le(1, 4);  // version
  le(4, 4);  // partition
  le(payload.size(), 8);
  le(crc32_z(0, reinterpret_cast<const Bytef*>(payload.data()), payload.size()), 4);
  bytes += payload;
  auto decoded = FileCheckpointStore::Decode(4, bytes, "p.ckpt");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->engine_state, "state");
  EXPECT_EQ(decoded->offsets, (std::map<std::string, std::int64_t>{{"handoffs", 7}}));
  EXPECT_EQ(decoded->attachment, "");
}

TEST(FileCheckpointStore, CheckpointOfAnotherPartitionIsAnError) {
  std::string bytes = FileCheckpointStore::Encode(4, Sample());
  auto decoded = FileCheckpointStore::Decode(5, bytes, "f");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("belongs to partition 4, not 5"), std::string::npos);
}

TEST(FileCheckpointStore, CorruptFileOnDiskIsAnErrorNamingThePath) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Save(6, Sample()));
  std::string path = (*store)->PathOf(6);
  std::string bytes = ReadFile(path);
  bytes[bytes.size() - 5] ^= 0x40;
  WriteFile(path, bytes);
  auto loaded = (*store)->Load(6);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, path + ": checkpoint is corrupt (checksum mismatch)");
  WriteFile(path, bytes.substr(0, 20));
  loaded = (*store)->Load(6);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("truncated"), std::string::npos);
}

TEST(FileCheckpointStore, LeftoverTemporaryFileIsIgnored) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Save(2, Sample()));
  // A crash mid-save leaves a half-written temporary file next to the good checkpoint.
  WriteFile((*store)->PathOf(2) + ".tmp", "half a checkp");
  WriteFile((*store)->PathOf(9) + ".tmp", "a first save that never finished");
  WriteFile(dir.path() + "/notes.txt", "unrelated");
  auto loaded = (*store)->Load(2);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->engine_state, Sample().engine_state);
  EXPECT_FALSE((*store)->Load(9)->has_value());
  auto listed = (*store)->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::int32_t>({2}));
  // The next save of that partition overwrites the leftover.
  ASSERT_TRUE((*store)->Save(9, Sample()));
  EXPECT_FALSE(fs::exists((*store)->PathOf(9) + ".tmp"));
  EXPECT_EQ(*(*store)->List(), std::vector<std::int32_t>({2, 9}));
}

TEST(FileCheckpointStore, ListIsSortedAndEmptyForANewDirectory) {
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->List()->empty());
  for (int p : {10, 2, 33}) ASSERT_TRUE((*store)->Save(p, Sample()));
  EXPECT_EQ(*(*store)->List(), std::vector<std::int32_t>({2, 10, 33}));
}

TEST(FileCheckpointStore, UnwritableDirectoryIsAClearSaveError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
  TempDir dir;
  auto store = FileCheckpointStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ::chmod(dir.path().c_str(), 0500);
  Status saved = (*store)->Save(1, Sample());
  ::chmod(dir.path().c_str(), 0700);
  ASSERT_FALSE(saved);
  EXPECT_NE(saved.error().message.find("cannot create"), std::string::npos)
      << saved.error().message;
}

}  // namespace
}  // namespace handoff
