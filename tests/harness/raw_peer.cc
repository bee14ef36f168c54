// A raw ZeroMQ DEALER over libzmq's C API, for the hostile-input tests.
#include "harness/raw_peer.h"

#include <zmq.h>

#include <algorithm>
#include <cerrno>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace arbor::testing::hostile {

ZmqContext::ZmqContext() : context_(zmq_ctx_new()) {}

ZmqContext::~ZmqContext() { zmq_ctx_term(context_); }

RawDealer::RawDealer(ZmqContext& context, const std::string& endpoint,
                     const std::string& routing_id)
    : socket_(zmq_socket(context.get(), ZMQ_DEALER)) {
  int zero = 0, hwm = 100000, send_timeout_ms = 5000;
  zmq_setsockopt(socket_, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(socket_, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(socket_, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt(socket_, ZMQ_SNDTIMEO, &send_timeout_ms, sizeof send_timeout_ms);
  if (!routing_id.empty()) {
    zmq_setsockopt(socket_, ZMQ_ROUTING_ID, routing_id.data(), routing_id.size());
  }
  if (zmq_connect(socket_, endpoint.c_str()) != 0) {
    ADD_FAILURE() << "connect " << endpoint << ": " << zmq_strerror(zmq_errno());
  }
}

RawDealer::~RawDealer() { zmq_close(socket_); }

bool RawDealer::Send(const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    int flags = i + 1 < frames.size() ? ZMQ_SNDMORE : 0;
    if (zmq_send(socket_, frames[i].data(), frames[i].size(), flags) < 0) {
      ADD_FAILURE() << "zmq_send: " << zmq_strerror(zmq_errno());
      return false;
    }
  }
  ++sent_;
  return true;
}

std::optional<std::vector<std::string>> RawDealer::Receive(absl::Time deadline) {
  for (;;) {
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
    int n = zmq_poll(&item, 1, absl::ToInt64Milliseconds(left) + 1);
    if (n < 0 && zmq_errno() == EINTR) continue;
    if (n <= 0) return std::nullopt;
    std::vector<std::string> frames;
    int more = 0;
    do {
      zmq_msg_t msg;
      zmq_msg_init(&msg);
      if (zmq_msg_recv(&msg, socket_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return std::nullopt;
      }
      frames.emplace_back(static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg));
      more = zmq_msg_more(&msg);
      zmq_msg_close(&msg);
    } while (more);
    return frames;
  }
}

}  // namespace arbor::testing::hostile
