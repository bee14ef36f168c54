// The pure parts of arbor-bench: percentiles, tree shapes, /proc parsing, JSON lines.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/bench/arbor_cluster.h"
#include "tools/bench/percentiles.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/report.h"

namespace arbor::bench {
namespace {

TEST(SummarizeTest, NearestRankOfAHundredSamples) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);  // unsorted on purpose
  LatencySummary s = Summarize(samples);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.p50_us, 50);
  EXPECT_EQ(s.p90_us, 90);
  EXPECT_EQ(s.p99_us, 99);
  EXPECT_EQ(s.p999_us, 100);  // under 1000 samples: the maximum
  EXPECT_DOUBLE_EQ(s.mean_us, 50.5);
}

TEST(SummarizeTest, OneSampleIsEveryPercentileAndNoneIsZeros) {
  std::vector<double> one = {7};
  EXPECT_EQ(Summarize(one).p50_us, 7);
  EXPECT_EQ(Summarize(one).p999_us, 7);
  std::vector<double> none;
  EXPECT_EQ(Summarize(none).count, 0u);
  EXPECT_EQ(Median(none), 0);
}

struct ShapeCase {
  int fanout;
  NodeId id;
  NodeId parent;
  int depth;
};

class TreeShapeTest : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(TreeShapeTest, ParentAndDepth) {
  TreeShape shape{1000, GetParam().fanout};
  EXPECT_EQ(shape.Parent(GetParam().id), GetParam().parent);
  EXPECT_EQ(shape.Depth(GetParam().id), GetParam().depth);
}

INSTANTIATE_TEST_SUITE_P(Shapes, TreeShapeTest,
                         ::testing::Values(ShapeCase{1, 1, kControllerId, 1},  // a chain
                                           ShapeCase{1, 2, 1, 2}, ShapeCase{1, 30, 29, 30},
                                           ShapeCase{2, 2, kControllerId, 1},
                                           ShapeCase{2, 3, 1, 2}, ShapeCase{2, 6, 2, 2},
                                           ShapeCase{2, 7, 3, 3},
                                           ShapeCase{10, 10, kControllerId, 1},
                                           ShapeCase{10, 11, 1, 2}, ShapeCase{10, 110, 10, 2},
                                           ShapeCase{10, 111, 11, 3}));

TEST(TreeShapeTest, FullCountsEveryLevel) {
  EXPECT_EQ(TreeShape::Full(1, 4).nodes, 4);
  EXPECT_EQ(TreeShape::Full(2, 3).nodes, 2 + 4 + 8);
  EXPECT_EQ(TreeShape::Full(10, 3).nodes, 1110);
}

TEST(ProcStatsTest, SmapsRollupAddsCleanAndDirtyPrivatePages) {
  std::optional<Memory> m = ParseSmapsRollup(
      "55d0c000-7ffd1000 ---p 00000000 00:00 0   [rollup]\n"
      "Rss:                9656 kB\n"
      "Pss:                1164 kB\n"
      "Private_Clean:       100 kB\n"
      "Private_Dirty:      1056 kB\n"
      "Swap:                  0 kB\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rss_kib, 9656);
  EXPECT_EQ(m->pss_kib, 1164);
  EXPECT_EQ(m->private_kib, 1156);
  EXPECT_EQ(m->private_dirty_kib, 1056);
  EXPECT_FALSE(ParseSmapsRollup("").has_value());
}

TEST(ProcStatsTest, ReadsThisProcess) {
  EXPECT_GT(ReadMemory(getpid()).value_or(Memory{}).rss_kib, 0);
  EXPECT_TRUE(CpuSeconds(getpid()).has_value());
  EXPECT_FALSE(ReadMemory(-1).has_value());
}

TEST(ReportTest, JsonLineHasLabelsThenNumbersAndEscapes) {
  Result r;
  r.Label("bench", "lat\"ency\\").Label("ctl", std::string("a\nb"));
  r.Value("depth", 2).Value("p50_us", 201.25).Value("inf", 1.0 / 0.0);
  EXPECT_EQ(ToJsonLine(r),
            R"({"bench":"lat\"ency\\","ctl":"a\u000ab","depth":2,"p50_us":201.250,"inf":null})");
  EXPECT_EQ(r.Get("p50_us"), 201.25);
  EXPECT_EQ(r.Get("missing"), 0);
}

}  // namespace
}  // namespace arbor::bench
