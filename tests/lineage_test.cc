// wire/lineage.h: the --ancestors list and what an orphan keeps of it.
#include "wire/lineage.h"

#include "absl/strings/str_cat.h"
#include "common/z85.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "status_matchers.h"

namespace arbor::wire {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;

const std::vector<Ancestor> kChain = {{4, "ipc:///tmp/a/4.100"},
                                      {2, "tcp://127.0.0.1:5000"},
                                      {kControllerId, "ipc:///tmp/a/controller"}};

TEST(LineageTest, FormatsAndParsesBack) {
  std::string text = FormatAncestors(kChain);
  EXPECT_EQ(text, "4@ipc:///tmp/a/4.100,2@tcp://127.0.0.1:5000,-1@ipc:///tmp/a/controller");
  absl::StatusOr<std::vector<Ancestor>> parsed = ParseAncestors(text);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, kChain);
  EXPECT_EQ(FormatAncestors({}), "");
  EXPECT_THAT(ParseAncestors(""), IsOk());
}

TEST(LineageTest, RejectsMalformedLists) {
  for (const char* bad : {"4", "4@", "@x", "x@ipc://a,-1@b", "4@ipc://a",  // no controller
                          "-1@a,4@b",                                      // controller not last
                          "-1@a,-1@b", "4@a,,-1@b", "-2@a,-1@b", "2147483648@a,-1@b"}) {
    EXPECT_THAT(ParseAncestors(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_FALSE(CanCarry("ipc:///tmp/a,b/controller"));
  EXPECT_FALSE(CanCarry(""));
  EXPECT_TRUE(CanCarry("ipc:///tmp/a@b/controller"));  // only the first '@' splits
  absl::StatusOr<std::vector<Ancestor>> at = ParseAncestors("-1@ipc:///tmp/a@b/controller");
  ASSERT_THAT(at, IsOk());
  EXPECT_EQ((*at)[0].endpoint, "ipc:///tmp/a@b/controller");
}

TEST(LineageTest, CurveAncestorsCarryTheirKeyInHex) {
  const std::string key = testing::NewKeys().public_z85;
  std::vector<Ancestor> chain = {{4, "", "tcp://10.200.1.2:4000", key},
                                 {2, "ipc:///tmp/a/2.9", "tcp://10.200.0.1:4001", key},
                                 {kControllerId, "ipc:///tmp/a/controller", "", ""}};
  std::string text = FormatAncestors(chain);
  EXPECT_EQ(text,
            absl::StrCat("4:", Z85ToHex(key), ":tcp://10.200.1.2:4000@,2:", Z85ToHex(key),
                         ":tcp://10.200.0.1:4001@ipc:///tmp/a/2.9,-1@ipc:///tmp/a/controller"));
  // Shell-safe: a remote shell (ssh) passes it on unchanged.
  EXPECT_EQ(text.find_first_of(" '\"$&;|<>()*?#!`\\"), std::string::npos);
  absl::StatusOr<std::vector<Ancestor>> parsed = ParseAncestors(text);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, chain);
  for (std::string bad :
       {std::string("4:00:tcp://a:1@,-1@c"), absl::StrCat("4:", Z85ToHex(key), "@x,-1@c"),
        absl::StrCat("4:", Z85ToHex(key), ":@x,-1@c"), std::string("4:@,-1@c")}) {
    EXPECT_THAT(ParseAncestors(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(LineageTest, ProcessesOfTheControllersHostLinkByIpc) {
  const std::string key(40, 'k');
  Ancestor both{2, "ipc:///tmp/a/2.9", "tcp://10.200.0.1:4001", key};
  EXPECT_EQ(DialFor(both, true).endpoint, "ipc:///tmp/a/2.9");
  EXPECT_EQ(DialFor(both, true).server_key, "");
  EXPECT_EQ(DialFor(both, false).endpoint, "tcp://10.200.0.1:4001");
  EXPECT_EQ(DialFor(both, false).server_key, key);
  Ancestor remote{4, "", "tcp://10.200.1.2:4000", key};
  EXPECT_EQ(DialFor(remote, true).endpoint, "tcp://10.200.1.2:4000");
  EXPECT_EQ(DialFor(remote, true).server_key, key);
  Ancestor single{5, "ipc:///tmp/a/5.1", "", ""};  // one host: ipc for everyone
  EXPECT_EQ(DialFor(single, false).endpoint, "ipc:///tmp/a/5.1");
  EXPECT_EQ(DialFor(single, false).server_key, "");
}

TEST(LineageTest, TrimmedKeepsTheNearestAndTheController) {
  std::vector<Ancestor> deep;
  for (NodeId id = 1; id <= 150; ++id) deep.push_back({id, "ipc:///x"});
  deep.push_back({kControllerId, "ipc:///c"});
  std::vector<Ancestor> kept = Trimmed(deep);
  ASSERT_EQ(kept.size(), kMaxAncestors);
  EXPECT_EQ(kept.front().id, 1);
  EXPECT_EQ(kept[kMaxAncestors - 2].id, static_cast<NodeId>(kMaxAncestors - 1));
  EXPECT_EQ(kept.back().id, kControllerId);
  EXPECT_EQ(Trimmed(kChain), kChain);
}

TEST(LineageTest, PlausibleRejectsItselfAndRepeats) {
  EXPECT_TRUE(Plausible(kChain, 7));
  EXPECT_FALSE(Plausible(kChain, 4)) << "a node is not its own ancestor";
  std::vector<Ancestor> twice = {{4, "a"}, {4, "b"}, {kControllerId, "c"}};
  EXPECT_FALSE(Plausible(twice, 7));
  EXPECT_TRUE(Plausible({}, 7));
}

TEST(LineageTest, AboveKeepsWhatIsBeyondTheNewParent) {
  EXPECT_EQ(Above(kChain, 4), std::vector<Ancestor>(kChain.begin() + 1, kChain.end()));
  EXPECT_EQ(Above(kChain, 2), std::vector<Ancestor>(kChain.begin() + 2, kChain.end()));
  EXPECT_TRUE(Above(kChain, kControllerId).empty());
  EXPECT_EQ(Above(kChain, 9), kChain) << "not an ancestor: unchanged";
}

TEST(LineageTest, RoundTripsThroughTheWire) {
  v1::Lineage lineage;
  ToLineage(kChain, lineage);
  ASSERT_EQ(lineage.ancestors_size(), 3);
  EXPECT_EQ(lineage.ancestors(1).id(), 2);
  EXPECT_EQ(FromLineage(lineage), kChain);
}

}  // namespace
}  // namespace arbor::wire
