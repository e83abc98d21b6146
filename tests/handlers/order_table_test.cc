// OrderTable against std::unordered_map under random inserts and erases, with hashes
// squeezed into a few values so that probe runs collide, wrap around the end and are
// shifted back on erase; and KeyArena's two length encodings.
#include "handlers/order_table.h"

#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace handoff {
namespace {

// Keys are numbers; a key's "slot" is the key itself, so the table's answer names it.
class OrderTableModel {
 public:
  explicit OrderTableModel(std::uint32_t hash_values) : hash_values_(hash_values) {}

  // The top of the 32-bit range homes at the table's last entries, so runs wrap.
  std::uint32_t HashOf(std::uint32_t key) const {
    return UINT32_MAX - (key % hash_values_) * (UINT32_MAX / hash_values_);
  }
  OrderTable::Slot* Find(std::uint32_t key) {
    return table_.Find(HashOf(key), [key](OrderTable::Slot slot) { return slot == key; });
  }
  // One random key of [0, keys): erased if present, else inserted.
  void Step(std::mt19937& rng, std::uint32_t keys = 500) {
    std::uint32_t key = rng() % keys;
    OrderTable::Slot* found = Find(key);
    ASSERT_EQ(found != nullptr, reference_.contains(key)) << key;
    if (found) {
      EXPECT_EQ(*found, key);
      table_.Erase(found);
      reference_.erase(key);
    } else {
      EXPECT_EQ(*table_.Insert(HashOf(key), key), key);
      reference_.insert(key);
    }
    ASSERT_EQ(table_.size(), reference_.size());
  }
  void ExpectSameContents(std::uint32_t keys = 500) {
    for (std::uint32_t key = 0; key < keys; ++key) {
      ASSERT_EQ(Find(key) != nullptr, reference_.contains(key)) << key;
    }
    std::size_t visited = 0;
    table_.ForEach([&](OrderTable::Slot slot) {
      EXPECT_TRUE(reference_.contains(slot));
      ++visited;
    });
    EXPECT_EQ(visited, reference_.size());
  }
  const OrderTable& table() const { return table_; }

 private:
  std::uint32_t hash_values_;
  OrderTable table_;
  std::unordered_set<std::uint32_t> reference_;
};

TEST(OrderTable, AgreesWithAReferenceMapUnderCollidingInsertsAndErases) {
  for (std::uint32_t hash_values : {1u, 3u, 17u, 1000u}) {
    std::mt19937 rng(hash_values);
    OrderTableModel model(hash_values);
    for (int step = 0; step < 20000; ++step) {
      model.Step(rng);
      if (step % 1000 == 0) model.ExpectSameContents();
    }
    model.ExpectSameContents();
  }
}

// The table grows a slice per Insert or Erase: orders keep arriving and leaving while its
// entries move, and every answer, from either table, must still be right.
TEST(OrderTable, AgreesWithAReferenceMapWhileGrowingASliceAtATime) {
  for (std::uint32_t hash_values : {1000u, 1u << 20}) {
    std::mt19937 rng(hash_values);
    OrderTableModel model(hash_values);
    int checked_while_moving = 0;
    for (std::uint32_t keys = 64; keys <= 16384; keys *= 2) {
      // Inserts outnumber erases 3 to 1 until about half of [0, keys) is present.
      for (int step = 0; step < static_cast<int>(keys); ++step) {
        model.Step(rng, rng() % 4 == 0 ? keys / 2 : keys);
        if (model.table().moving() && step % 29 == 0) {
          model.ExpectSameContents(keys);
          ++checked_while_moving;
        }
      }
    }
    model.ExpectSameContents(16384);
    EXPECT_GT(checked_while_moving, 20) << hash_values;
  }
}

TEST(OrderTable, FindsNothingWhenEmpty) {
  OrderTable table;
  EXPECT_EQ(table.Find(7, [](OrderTable::Slot) { return true; }), nullptr);
  table.Reserve(100);
  EXPECT_EQ(table.Find(7, [](OrderTable::Slot) { return true; }), nullptr);
}

TEST(KeyArena, StoresShortAndLongKeysByOffset) {
  KeyArena arena;
  std::vector<std::string> keys = {"", "o-1", std::string(127, 'a'), std::string(128, 'b'),
                                   std::string(70000, 'c')};
  std::vector<KeyArena::Offset> offsets;
  for (const auto& key : keys) offsets.push_back(arena.Add(key));
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(arena.Get(offsets[i]), keys[i]) << i;
}

TEST(KeyArena, AsksForCompactionOnceHalfIsReleased) {
  KeyArena arena;
  KeyArena::Offset a = arena.Add("aaaa");  // 5 bytes stored each
  KeyArena::Offset b = arena.Add("bbbb");
  arena.Add("cccc");
  arena.Release(a);
  EXPECT_FALSE(arena.NeedsCompaction());  // 5 of 15
  arena.Release(b);
  EXPECT_TRUE(arena.NeedsCompaction());  // 10 of 15
}

}  // namespace
}  // namespace handoff
