// transport/endpoints: a host's address as libzmq can bind it.
#include "transport/endpoints.h"

#include <string>

#include "gtest/gtest.h"
#include "status_matchers.h"

namespace arbor::transport {
namespace {

using ::arbor::testing::StatusIs;

TEST(BindableAddressTest, ANumericAddressStaysAsItIs) {
  EXPECT_EQ(BindableAddress("10.200.3.4").value_or(""), "10.200.3.4");
  EXPECT_EQ(BindableAddress("127.0.0.1").value_or(""), "127.0.0.1");
}

TEST(BindableAddressTest, ANameResolvesToItsIpv4Address) {
  // /etc/hosts has it on every Debian machine; no DNS server is asked.
  EXPECT_EQ(BindableAddress("localhost").value_or(""), "127.0.0.1");
}

TEST(BindableAddressTest, WhatDoesNotResolveSaysSo) {
  // Not a name any resolver can answer (a label over 63 characters), so no
  // DNS server is asked either.
  EXPECT_THAT(BindableAddress(std::string(70, 'a') + ".example"),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace arbor::transport
