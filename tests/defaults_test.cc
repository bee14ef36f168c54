// api/defaults.h: the defaults the controller and its clients share.
#include "api/defaults.h"

#include "client/options.h"
#include "controller/options.h"
#include "gtest/gtest.h"
#include "wire/codec.h"

namespace arbor::api {
namespace {

TEST(DefaultsTest, CreateCoversAskingTheParentThenTheHello) {
  EXPECT_EQ(kCreateTimeout, kRequestTimeout + kHelloTimeout);
}

TEST(DefaultsTest, ControllerAndClientAgree) {
  controller::ControllerOptions controller;
  client::ClientOptions client;
  EXPECT_EQ(client.controller_request_timeout, controller.request_timeout);
  EXPECT_EQ(client.controller_create_timeout, controller.request_timeout + controller.hello_timeout);
  EXPECT_EQ(client.max_in_flight, controller.max_client_in_flight);
}

TEST(DefaultsTest, TheProtocolVersionIsTheSchemas) {
  EXPECT_EQ(wire::kProtocolVersion, static_cast<uint32_t>(v1::VERSION_CURRENT));
}

}  // namespace
}  // namespace arbor::api
