// wire::BatchWriter: one envelope goes as itself, several as one Batch envelope
// that decodes back to them, in order.
#include "wire/batch.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "wire/codec.h"

namespace arbor::wire {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;

std::string Exec(uint64_t correlation_id, const std::string& key, int route = 0) {
  v1::Envelope e;
  e.set_correlation_id(correlation_id);
  e.set_target(7);
  for (int i = 0; i < route; ++i) e.add_route(1000 + i);
  e.mutable_exec_request()->set_key(key);
  return Encode(e);
}

TEST(BatchWriterTest, OneEnvelopeIsSentAsItself) {
  BatchWriter writer;
  EXPECT_TRUE(writer.empty());
  EXPECT_TRUE(writer.Frame().empty());
  std::string one = Exec(1, "a");
  writer.Add(one);
  EXPECT_EQ(writer.Frame(), one);
}

TEST(BatchWriterTest, SeveralDecodeBackInOrder) {
  BatchWriter writer;
  std::vector<std::string> sent;
  for (int i = 1; i <= 5; ++i) {
    sent.push_back(Exec(i, std::string(static_cast<size_t>(i), 'k'), i * 20));  // some over 127 bytes
    writer.Add(sent.back());
  }
  absl::StatusOr<v1::Envelope> batch = Decode(writer.Frame());
  ASSERT_THAT(batch, IsOk());
  ASSERT_TRUE(batch->has_batch());
  ASSERT_EQ(batch->batch().envelopes_size(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(batch->batch().envelopes(i), sent[static_cast<size_t>(i)]);
  writer.Clear();
  EXPECT_TRUE(writer.empty());
  writer.Add(sent[2]);
  EXPECT_EQ(writer.Frame(), sent[2]);  // nothing of the old batch is left
}

TEST(BatchWriterTest, FullAtTheCountOrTheSize) {
  BatchWriter writer;
  for (size_t i = 0; i + 1 < kMaxBatchCount; ++i) writer.Add(Exec(i + 1, "k"));
  EXPECT_FALSE(writer.full());
  writer.Add(Exec(99, "k"));
  EXPECT_TRUE(writer.full());
  BatchWriter big;
  std::string bulky(kMaxBatchBytes, 'x');  // not an envelope: the writer does not care
  big.Add(bulky);
  EXPECT_TRUE(big.full());
}

TEST(BatchWriterTest, AnEmptyBatchIsInvalid) {
  v1::Envelope e;
  e.mutable_batch();
  EXPECT_THAT(Decode(Encode(e)), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace arbor::wire
