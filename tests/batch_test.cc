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

TEST(BatchWriterTest, MoreThanAWriterSendsIsInvalid) {
  v1::Envelope e;
  for (size_t i = 0; i <= kMaxBatchCount; ++i) e.mutable_batch()->add_envelopes(Exec(i + 1, "k"));
  EXPECT_THAT(Decode(Encode(e)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UnbatchTest, HandsEachEnvelopeAndDropsNestedOrBrokenOnes) {
  v1::Envelope nested;
  nested.mutable_batch()->add_envelopes(Exec(9, "x"));
  v1::Envelope frame;
  frame.set_version(kProtocolVersion);
  frame.mutable_batch()->add_envelopes(Exec(1, "a"));
  frame.mutable_batch()->add_envelopes(Encode(nested));
  frame.mutable_batch()->add_envelopes("\xff");  // does not parse
  frame.mutable_batch()->add_envelopes(Exec(2, "b"));
  ScratchEnvelope inner;
  std::vector<uint64_t> handled;
  std::vector<std::string> dropped;
  int taken = Unbatch(
      frame, "", inner,
      [&](v1::Envelope& e, std::string_view bytes) {
        handled.push_back(e.correlation_id());
        EXPECT_EQ(bytes, Exec(e.correlation_id(), e.exec_request().key()));
      },
      [&](const absl::Status& why) { dropped.push_back(std::string(why.message())); },
      [] { return false; });
  EXPECT_EQ(taken, 4);
  EXPECT_THAT(handled, ::testing::ElementsAre(1, 2));
  EXPECT_THAT(dropped, ::testing::ElementsAre("nested batch", ::testing::HasSubstr("parse")));
}

TEST(UnbatchTest, ALoneEnvelopeIsHandedAsItselfAndStopEndsABatch) {
  std::string bytes = Exec(5, "k");
  absl::StatusOr<v1::Envelope> lone = Decode(bytes);
  ASSERT_THAT(lone, IsOk());
  ScratchEnvelope inner;
  int calls = 0;
  EXPECT_EQ(Unbatch(
                *lone, bytes, inner,
                [&](v1::Envelope& e, std::string_view b) {
                  ++calls;
                  EXPECT_EQ(e.correlation_id(), 5u);
                  EXPECT_EQ(b, bytes);
                },
                [](const absl::Status&) { ADD_FAILURE(); }, [] { return false; }),
            1);
  BatchWriter writer;
  for (int i = 1; i <= 3; ++i) writer.Add(Exec(i, "k"));
  absl::StatusOr<v1::Envelope> batch = Decode(writer.Frame());
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(Unbatch(
                *batch, writer.Frame(), inner, [&](v1::Envelope&, std::string_view) { ++calls; },
                [](const absl::Status&) {}, [&] { return calls >= 2; }),
            1);  // stopped after the first of the batch
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace arbor::wire
