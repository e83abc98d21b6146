// ChunkedVector against std::vector, with chunks of 4 elements so that every operation
// crosses chunk boundaries; and its one promise beyond std::vector: growth moves nothing.
#include "handlers/chunked_vector.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace handoff {
namespace {

TEST(ChunkedVector, AgreesWithStdVectorUnderRandomOperations) {
  std::mt19937 rng(7);
  ChunkedVector<int, 2> chunked;
  std::vector<int> reference;
  for (int step = 0; step < 20000; ++step) {
    switch (rng() % 5) {
      case 0:
      case 1:
        chunked.push_back(step);
        reference.push_back(step);
        break;
      case 2:
        if (!reference.empty()) {
          chunked.pop_back();
          reference.pop_back();
        }
        break;
      case 3:
        if (!reference.empty()) {
          std::size_t i = rng() % reference.size();
          chunked[i] = -step;
          reference[i] = -step;
        }
        break;
      case 4: {
        std::size_t size = reference.size() + rng() % 9;
        chunked.resize(size, 42);
        reference.resize(size, 42);
        break;
      }
    }
    ASSERT_EQ(chunked.size(), reference.size());
    ASSERT_GE(chunked.capacity(), chunked.size());
    if (!reference.empty()) {
      ASSERT_EQ(chunked.back(), reference.back()) << step;
    }
  }
  EXPECT_EQ(std::vector<int>(chunked.begin(), chunked.end()), reference);
  for (std::size_t i = 0; i < reference.size(); ++i) ASSERT_EQ(chunked[i], reference[i]) << i;
}

TEST(ChunkedVector, GrowingMovesNoElement) {
  ChunkedVector<int, 2> chunked;
  chunked.push_back(1);
  const int* first = &chunked[0];
  chunked.reserve(100);
  for (int i = 0; i < 1000; ++i) chunked.push_back(i);
  EXPECT_EQ(&chunked[0], first);
  EXPECT_EQ(chunked.front(), 1);
  EXPECT_EQ(chunked.capacity() % 4, 0u);
}

}  // namespace
}  // namespace handoff
