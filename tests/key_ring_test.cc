// link/key_ring: which keys may connect to a tree ROUTER, as which node -- and,
// with the real ZAP handler and receiver, that a replaced (older incarnation's)
// key is refused.
#include "link/key_ring.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "status_matchers.h"
#include "transport/curve.h"

namespace arbor::link {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;

std::string NewKey() { return testing::NewKeys().public_z85; }

constexpr char kToken[] = "0123456789abcdef0123456789abcdef";
constexpr char kOtherToken[] = "fedcba9876543210fedcba9876543210";

TEST(KeyRingTest, AnAllowedKeyNamesItsNode) {
  KeyRing ring;
  std::string k5 = NewKey();
  std::string k6 = NewKey();
  ASSERT_THAT(ring.Allow(5, k5, kToken), IsOk());
  ASSERT_THAT(ring.Allow(6, k6, kToken), IsOk());
  EXPECT_EQ(ring.UserIdFor(k5), absl::StrCat("5.", kToken));
  EXPECT_EQ(ring.UserIdFor(k6), absl::StrCat("6.", kToken));
  EXPECT_EQ(*ring.RoutingIdOf(6), absl::StrCat("6.", kToken));
  EXPECT_EQ(ring.RoutingIdOf(7), nullptr);
  EXPECT_EQ(ring.UserIdFor(NewKey()), std::nullopt);
  EXPECT_EQ(ring.Policy()({"arbor", "127.0.0.1", k6}), absl::StrCat("6.", kToken));
  EXPECT_EQ(ring.size(), 2u);
}

TEST(KeyRingTest, ANewIncarnationsKeyReplacesTheOld) {
  KeyRing ring;
  std::string old_key = NewKey();
  std::string new_key = NewKey();
  ASSERT_THAT(ring.Allow(5, old_key, kToken), IsOk());
  ASSERT_THAT(ring.Allow(5, new_key, kOtherToken), IsOk());
  EXPECT_EQ(ring.UserIdFor(old_key), std::nullopt);
  EXPECT_EQ(ring.UserIdFor(new_key), absl::StrCat("5.", kOtherToken));
  ASSERT_THAT(ring.Allow(5, new_key, kOtherToken), IsOk());  // again: the same
  EXPECT_EQ(ring.size(), 1u);
}

TEST(KeyRingTest, ForgetRefusesTheKey) {
  KeyRing ring;
  std::string k = NewKey();
  ASSERT_THAT(ring.Allow(5, k, kToken), IsOk());
  ring.Forget(5);
  ring.Forget(5);  // twice: nothing
  ring.Forget(77);
  EXPECT_EQ(ring.UserIdFor(k), std::nullopt);
  EXPECT_EQ(ring.size(), 0u);
}

TEST(KeyRingTest, BadInputIsRefusedAndChangesNothing) {
  KeyRing ring;
  std::string k = NewKey();
  ASSERT_THAT(ring.Allow(5, k, kToken), IsOk());
  EXPECT_THAT(ring.Allow(6, k, kToken),
              StatusIs(absl::StatusCode::kAlreadyExists));  // one key, one node
  EXPECT_THAT(ring.Allow(6, "short", kToken), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ring.Allow(6, std::string(40, ' '), kToken),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ring.Allow(-1, NewKey(), kToken), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ring.Allow(kMaxNodeId + 1, NewKey(), kToken),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ring.Allow(6, NewKey(), "0123"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ring.Allow(6, NewKey(), "0123456789ABCDEF0123456789ABCDEF"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // lowercase only
  EXPECT_EQ(ring.UserIdFor(k), absl::StrCat("5.", kToken));
  EXPECT_EQ(ring.size(), 1u);
}

}  // namespace
}  // namespace arbor::link
