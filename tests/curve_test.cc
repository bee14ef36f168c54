// transport/curve.h: key pairs and their checks, and Socket's CURVE options.
#include "transport/curve.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "status_matchers.h"
#include "transport/socket.h"

namespace arbor::transport {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;

CurveKeyPair NewKeys() {
  auto keys = GenerateCurveKeyPair();
  EXPECT_THAT(keys, IsOk());
  return keys.ok() ? *keys : CurveKeyPair{};
}

TEST(CurveKeysTest, GeneratedPairsAreDistinctValidAndConsistent) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    CurveKeyPair keys = NewKeys();
    EXPECT_TRUE(IsZ85Key(keys.public_z85)) << keys.public_z85;
    EXPECT_TRUE(IsZ85Key(keys.secret_z85));
    auto derived = PublicFromSecret(keys.secret_z85);
    ASSERT_THAT(derived, IsOk());
    EXPECT_EQ(*derived, keys.public_z85);
    EXPECT_TRUE(seen.insert(keys.public_z85).second);
    EXPECT_TRUE(seen.insert(keys.secret_z85).second);
  }
}

TEST(CurveKeysTest, IsZ85Key) {
  const std::string good = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";  // RFC 32's example
  struct Row {
    std::string text;
    bool valid;
  } rows[] = {
      {good, true},
      {std::string(40, '0'), true},
      {"%nSc0" + std::string(35, '0'), true},   // 2^32 - 1: the largest group
      {"%nSc1" + std::string(35, '0'), false},  // 2^32: one past it
      {std::string(40, '#'), false},            // every group overflows
      {"", false},
      {good.substr(0, 39), false},
      {good + "0", false},
      {good.substr(0, 39) + " ", false},
      {good.substr(0, 39) + "\"", false},
      {good.substr(0, 39) + ",", false},
      {good.substr(0, 39) + "~", false},
      {good.substr(0, 39) + std::string(1, '\0'), false},
      {good.substr(0, 39) + "\xc3", false},
  };
  for (const Row& row : rows) EXPECT_EQ(IsZ85Key(row.text), row.valid) << '"' << row.text << '"';
}

TEST(CurveKeysTest, PublicFromSecretRefusesBadKeys) {
  EXPECT_THAT(PublicFromSecret("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CurveKeysTest, SocketsRefuseBadKeys) {
  Context context;
  auto router = Socket::Router(context, SocketOptions());
  ASSERT_THAT(router, IsOk());
  router->SetLinger(0);
  EXPECT_THAT(router->EnableCurveServer("x"), StatusIs(absl::StatusCode::kInvalidArgument));
  CurveKeyPair keys = NewKeys();
  EXPECT_THAT(router->EnableCurveClient(keys.public_z85, keys.secret_z85, "bad"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace arbor::transport
