// tools/chaos/node_model.h: which loads the soak accepts.
#include "tools/chaos/node_model.h"

#include "gtest/gtest.h"

namespace arbor::chaos {
namespace {

using Code = absl::StatusCode;

TEST(NodeModelTest, AFreshNodeHasNothingAndASaveIsWhatLoadsSee) {
  NodeModel m;
  EXPECT_TRUE(m.LoadSucceeded(std::nullopt));
  EXPECT_FALSE(m.LoadSucceeded(5));
  m.SaveSucceeded(5);
  EXPECT_FALSE(m.LoadSucceeded(std::nullopt)) << "a saved value is never lost";
  EXPECT_FALSE(m.LoadSucceeded(6));
  EXPECT_TRUE(m.LoadSucceeded(5));
  m.Recreated();
  EXPECT_FALSE(m.LoadSucceeded(5)) << "a new incarnation starts empty";
  EXPECT_TRUE(m.LoadSucceeded(std::nullopt));
}

TEST(NodeModelTest, AFailedSaveMayOrMayNotHaveBeenApplied) {
  NodeModel m;
  m.SaveSucceeded(1);
  m.SaveFailed(2, Code::kDeadlineExceeded);
  m.SaveFailed(3, Code::kUnavailable);
  m.SaveFailed(4, Code::kNotFound);  // never sent to a node
  EXPECT_EQ(m.uncertain(), 2u);
  EXPECT_FALSE(m.LoadSucceeded(4));
  EXPECT_TRUE(m.LoadSucceeded(2));
  // Settled: 2 was applied, so neither 1 nor 3 can come back.
  EXPECT_FALSE(m.LoadSucceeded(1));
  EXPECT_FALSE(m.LoadSucceeded(3));
  EXPECT_TRUE(m.LoadSucceeded(2));
}

TEST(NodeModelTest, ASuccessfulSaveEndsTheUncertainty) {
  NodeModel m;
  m.SaveFailed(7, Code::kDeadlineExceeded);
  m.SaveSucceeded(8);
  EXPECT_FALSE(m.LoadSucceeded(7)) << "a timed-out save is never applied after a later one";
  EXPECT_TRUE(m.LoadSucceeded(8));
  m.SaveFailed(9, Code::kUnavailable);
  EXPECT_TRUE(m.LoadSucceeded(8)) << "the failed save was not applied";
  EXPECT_FALSE(m.LoadSucceeded(9));
}

}  // namespace
}  // namespace arbor::chaos
