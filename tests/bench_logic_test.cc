// The pure parts of arbor-bench: percentiles, tree shapes, /proc parsing, JSON
// lines, placing a chain on hosts.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/bench/arbor_cluster.h"
#include "tools/bench/chain_hosts.h"
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

// ---- a chain on hosts ----

hosts::HostsFile ThreeHosts() {
  return *hosts::HostsFile::Parse(
      "local 10.200.9.1\n"
      "h1 10.200.9.2 ip netns exec n1\n"
      "h2 10.200.9.3 ip netns exec n2\n");
}

std::vector<std::string> Names(const std::vector<hosts::Host>& hosts) {
  std::vector<std::string> names;
  for (const hosts::Host& h : hosts) names.push_back(h.name);
  return names;
}

TEST(ChainHostsTest, OneKnownHostPerLevel) {
  hosts::HostsFile file = ThreeHosts();
  auto levels = ChainHosts("h1,h2", file, 2);
  ASSERT_TRUE(levels.ok()) << levels.status();
  EXPECT_THAT(Names(*levels), ::testing::ElementsAre("h1", "h2"));
  EXPECT_EQ((*levels)[1].address, "10.200.9.3");
  EXPECT_THAT(Names(*ChainHosts("local,h1,h1", file, 3)),
              ::testing::ElementsAre("local", "h1", "h1"));
}

TEST(ChainHostsTest, BadListsAreRefused) {
  hosts::HostsFile file = ThreeHosts();
  for (const auto& [list, depth] : std::vector<std::pair<std::string, int>>{
           {"h3", 1}, {"", 1}, {"h1,,h2", 3}, {"h1", 2}, {"h1,h2", 1}, {"H1", 1}}) {
    EXPECT_EQ(ChainHosts(list, file, depth).status().code(), absl::StatusCode::kInvalidArgument)
        << "'" << list << "' for depth " << depth;
  }
}

TEST(ChainHostsTest, CrossesHostsWhenALevelLeavesItsParentsHost) {
  hosts::HostsFile file = ThreeHosts();
  EXPECT_FALSE(CrossesHosts({}));
  EXPECT_FALSE(CrossesHosts(*ChainHosts("local,local", file, 2)));
  EXPECT_TRUE(CrossesHosts(*ChainHosts("h1", file, 1)));
  EXPECT_TRUE(CrossesHosts(*ChainHosts("local,h2", file, 2)));
}

TEST(RawKeysTest, FormatThenParseIsTheSame) {
  RawKeys keys;
  const std::string a(40, 'a');
  const std::string b(40, 'B');
  keys.front_secret = a;
  keys.back_server = b;
  keys.back_public = a;
  keys.back_secret = b;
  std::string text = FormatRawKeys(keys);
  EXPECT_EQ(text.substr(0, 13), "front-secret ");
  auto parsed = ParseRawKeys(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->front_secret, a);
  EXPECT_EQ(parsed->back_secret, b);
  EXPECT_EQ(FormatRawKeys(RawKeys{}), "");
  EXPECT_TRUE(ParseRawKeys("").ok()) << "no keys: plaintext";
}

TEST(RawKeysTest, BadTextIsRefused) {
  const std::string key(40, 'a');
  for (const std::string& text : std::vector<std::string>{
           "front-secret\n",                                  // no key
           "front-secret " + key + " x\n",                    // a third word
           "side-secret " + key + "\n",                       // unknown word
           "front-secret " + key + "\nfront-secret " + key + "\n",  // twice
           "front-secret " + std::string(39, 'a') + "\n",     // not 32 bytes
           "front-secret " + std::string(40, '~') + "\n",     // not Z85
           "back-server " + key + "\n",                       // only part of the back
       }) {
    EXPECT_EQ(ParseRawKeys(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(PlanRawChainTest, IpcOnOneHostTcpBetweenAndCurveOnlyThere) {
  hosts::HostsFile file = ThreeHosts();
  const hosts::Host& local = file.local();
  std::vector<hosts::Host> placement = {local, *file.Find("h1"), *file.Find("h1"),
                                        *file.Find("h2")};
  std::vector<RawProcess> plan = PlanRawChain(local, placement, "/tmp/d", "c-3", true);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0].bind, "ipc:///tmp/d/raw-c-3-0");
  EXPECT_TRUE(plan[0].launcher.empty());
  EXPECT_EQ(plan[1].bind, "tcp://10.200.9.2:*");
  EXPECT_THAT(plan[1].launcher, ::testing::ElementsAre("ip", "netns", "exec", "n1"));
  EXPECT_EQ(plan[2].bind, "ipc:///tmp/d/raw-c-3-2") << "h1 to h1";
  EXPECT_EQ(plan[3].bind, "tcp://10.200.9.3:*");
  std::vector<bool> front;
  std::vector<bool> back;
  for (const RawProcess& p : plan) {
    front.push_back(p.curve_front);
    back.push_back(p.curve_back);
  }
  EXPECT_THAT(front, ::testing::ElementsAre(false, true, false, true));
  EXPECT_THAT(back, ::testing::ElementsAre(true, false, true, false));
  for (const RawProcess& p : PlanRawChain(local, placement, "/tmp/d", "c-3", false)) {
    EXPECT_FALSE(p.curve_front || p.curve_back) << "plaintext";
  }
}

}  // namespace
}  // namespace arbor::bench
