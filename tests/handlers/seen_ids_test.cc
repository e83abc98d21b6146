// SeenIds against a std::unordered_map while its table grows and is swept a few slots at
// a time: no id that must be remembered is lost or answered twice, an expired one is gone
// once the sweep's move has passed, and ForEach sees each id once, mid-move too. Hashes
// can be squeezed into a few values homing at the table's end, so that probe runs collide
// and wrap around.
#include "handlers/seen_ids.h"

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace handoff {
namespace {

class SeenIdsModel {
 public:
  explicit SeenIdsModel(bool colliding) : colliding_(colliding) {}

  // Every seventh id is long enough for the arena's five-byte length.
  static std::string Id(int i) {
    return std::string(i % 7 == 0 ? 200 : 20, 'i') + std::to_string(i);
  }
  std::uint64_t HashOf(const std::string& id) const {
    if (!colliding_) return SeenIds::Hash(id);
    return (std::uint64_t{1} << 63) | (UINT32_MAX - std::hash<std::string>()(id) % 5);
  }

  // TryEmplace, checked against the model; a new id is stored with `time`.
  void Offer(const std::string& id, TimeMs time) {
    auto [stored, inserted] = ids_.TryEmplace(HashOf(id), id, time);
    auto it = model_.find(id);
    ASSERT_EQ(inserted, it == model_.end()) << id;
    if (inserted) {
      EXPECT_EQ(*stored, time);
      model_.emplace(id, time);
    } else {
      EXPECT_EQ(*stored, it->second) << id;
    }
  }
  void StartSweep(TimeMs since) {
    sweeping_since_ = since;
    ids_.StartSweep(since);
  }
  // Drops from the model what a sweep from `since` drops, once its move is over.
  void ForgetOlderThan(TimeMs since) {
    std::erase_if(model_, [since](const auto& entry) { return entry.second < since; });
    sweeping_since_ = kNoTime;
  }
  void ExpectSameContents() {
    std::unordered_map<std::string, TimeMs> visited;
    ids_.ForEach([&](std::string_view id, TimeMs time) {
      EXPECT_TRUE(visited.emplace(std::string(id), time).second) << "twice: " << id;
    });
    // Until the model forgets them, ids the sweep drops may or may not be there; every
    // other one must be.
    for (const auto& [id, time] : model_) {
      auto it = visited.find(id);
      if (time < sweeping_since_) continue;  // the sweep may have dropped it already
      ASSERT_NE(it, visited.end()) << id;
      EXPECT_EQ(it->second, time) << id;
    }
    if (!ids_.busy() && sweeping_since_ == kNoTime) {
      EXPECT_EQ(visited.size(), model_.size());
      EXPECT_EQ(ids_.size(), model_.size());
    }
  }

  SeenIds ids_;
  std::unordered_map<std::string, TimeMs> model_;

 private:
  bool colliding_;
  TimeMs sweeping_since_ = kNoTime;
};

// TryEmplace of id i, unchecked.
std::pair<TimeMs*, bool> OfferTo(SeenIds& ids, int i, TimeMs time) {
  std::string id = SeenIdsModel::Id(i);
  return ids.TryEmplace(SeenIds::Hash(id), id, time);
}

void GrowAndSweep(bool colliding) {
  SeenIdsModel m(colliding);
  std::mt19937 rng(7);
  int next = 0;  // ids 0..next-1 have been offered; id i has time i
  for (int round = 0; round < 6; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // New ids, with duplicates of recent ones mixed in: the table grows while it moves.
    for (int k = 0; k < 3000; ++k) {
      if (rng() % 4 == 0 && next > 0) {
        int back = static_cast<int>(rng() % std::min(next, 1000));
        m.Offer(SeenIdsModel::Id(next - 1 - back), next - 1 - back);
      } else {
        m.Offer(SeenIdsModel::Id(next), next);
        ++next;
      }
      if (k % 500 == 0) m.ExpectSameContents();
    }
    // Sweep away all but the last 1500, offering only ids the sweep keeps (or new ones)
    // until its move is over: then the older ones must be gone.
    TimeMs since = next - 1500;
    m.StartSweep(since);
    while (m.ids_.busy()) {
      int back = static_cast<int>(rng() % 1500);
      m.Offer(SeenIdsModel::Id(next - 1 - back), next - 1 - back);
      if (rng() % 2 == 0) {
        m.Offer(SeenIdsModel::Id(next), next);
        ++next;
      }
      if (rng() % 50 == 0) m.ExpectSameContents();
    }
    m.ForgetOlderThan(since);
    m.ExpectSameContents();
    for (int i = std::max(0, static_cast<int>(since) - 50); i < since; ++i) {
      m.Offer(SeenIdsModel::Id(i), next);  // forgotten: stored anew
    }
  }
}

TEST(SeenIds, AgreesWithAReferenceMapWhileGrowingAndSweeping) { GrowAndSweep(false); }

TEST(SeenIds, AgreesWithAReferenceMapWithCollidingWrappingRuns) { GrowAndSweep(true); }

// A sweep of a large table is spread over the calls that follow it: one call does not
// finish it, and the table answers throughout.
TEST(SeenIds, ASweepMovesAFewSlotsPerCall) {
  SeenIdsModel m(false);
  int i = 0;
  for (; i < 100'000 || m.ids_.busy(); ++i) m.Offer(SeenIdsModel::Id(i), i);  // growth done
  m.StartSweep(50'000);
  ASSERT_TRUE(m.ids_.busy());
  int calls = 0;
  for (; m.ids_.busy(); ++i, ++calls) m.Offer(SeenIdsModel::Id(i), i);
  EXPECT_GT(calls, 1000);
  m.ForgetOlderThan(50'000);
  m.ExpectSameContents();
}

// An expired id that arrives again halfway through a sweep is stored again (or found, not
// moved yet, and given its new time, as the engine does), and is still there afterwards.
TEST(SeenIds, AnExpiredIdSeenAgainMidSweepIsRememberedAfterIt) {
  SeenIds ids;
  auto offer = [&ids](int i, TimeMs time) { return OfferTo(ids, i, time); };
  int i = 0;
  for (; i < 100'000 || ids.busy(); ++i) offer(i, i);
  ids.StartSweep(50'000);
  while (!ids.moving()) offer(i, i), ++i;  // the new table zeroed
  for (std::size_t n = 0; n < ids.capacity() / 256; ++n, ++i) offer(i, i);  // part of the move
  ASSERT_TRUE(ids.moving());
  for (int old = 0; old < 2000; ++old) {
    auto [stored, inserted] = offer(old, i);
    if (!inserted) *stored = i;  // found before the move reached it: expired, seen anew
  }
  for (; ids.busy(); ++i) offer(i, i);
  for (int old = 0; old < 2000; ++old) {
    auto [stored, inserted] = offer(old, 0);
    EXPECT_FALSE(inserted) << old;
    EXPECT_GE(*stored, 100'000) << old;
  }
}

// A sweep with nothing old enough to drop moves nothing, and waits for the table to
// double before it is due again.
TEST(SeenIds, ASweepWithNothingExpiredMovesNothing) {
  SeenIds ids;
  for (int i = 0; i < 5000; ++i) {
    ids.TryEmplace(SeenIds::Hash(std::to_string(i)), std::to_string(i), 1000 + i);
  }
  ASSERT_TRUE(ids.SweepDue());
  ids.StartSweep(1000);
  EXPECT_FALSE(ids.busy());
  EXPECT_FALSE(ids.SweepDue());
}

// After a burst, a sweep that leaves a large table mostly empty gives the memory back,
// and keeps what it must.
TEST(SeenIds, ASweepThatEmptiesMostOfALargeTableShrinksIt) {
  SeenIds ids;
  int i = 0;
  for (; i < 800'000 || ids.busy(); ++i) OfferTo(ids, i, i);
  std::size_t before = ids.capacity();
  ASSERT_GE(before, std::size_t{1} << 20);
  TimeMs since = i - 1000;
  ids.StartSweep(since);
  for (; ids.busy(); ++i) OfferTo(ids, i, i);  // the sweep, then the shrink
  EXPECT_LE(ids.capacity() * 4, before);
  for (int kept = static_cast<int>(since); kept < i; ++kept) {
    ASSERT_FALSE(OfferTo(ids, kept, 0).second) << kept;
  }
  EXPECT_TRUE(OfferTo(ids, static_cast<int>(since) - 1, 0).second);
}

}  // namespace
}  // namespace handoff
