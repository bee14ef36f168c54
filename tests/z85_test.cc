// common/z85.h: Z85 against RFC 32's test vector and libzmq's own keys, and
// the hex form keys take on a worker's command line.
#include "common/z85.h"

#include <string>

#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "transport/curve.h"

namespace arbor {
namespace {

TEST(Z85Test, MatchesTheRfcVector) {
  const std::string bytes = "\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B";
  EXPECT_EQ(Z85Encode(bytes), "HelloWorld");
  EXPECT_EQ(Z85Decode("HelloWorld"), bytes);
}

TEST(Z85Test, RefusesWhatIsNotZ85) {
  EXPECT_FALSE(Z85Decode("Hell").has_value());        // not a multiple of 5
  EXPECT_FALSE(Z85Decode("Hello Worl").has_value());  // a space is not in the alphabet
  EXPECT_FALSE(Z85Decode("#####").has_value());       // 85^5 - 1 > 2^32 - 1
  EXPECT_EQ(Z85Encode("abc"), "");                    // not a multiple of 4
  EXPECT_EQ(Z85Decode(""), "");
}

TEST(Z85Test, KeysRoundTripThroughHex) {
  transport::CurveKeyPair keys = testing::NewKeys();
  std::string hex = Z85ToHex(keys.public_z85);
  ASSERT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(HexToZ85(hex), keys.public_z85);
  EXPECT_EQ(Z85Decode(keys.secret_z85).value_or("").size(), 32u);
  EXPECT_EQ(Z85ToHex("not a key"), "");
  EXPECT_FALSE(HexToZ85(hex.substr(1)).has_value());
  EXPECT_FALSE(HexToZ85(std::string(64, 'g')).has_value());
  EXPECT_TRUE(HexToZ85(std::string(64, 'F')).has_value());  // upper case is read too
}

}  // namespace
}  // namespace arbor
