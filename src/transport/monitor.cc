#include "transport/monitor.h"

#include <cerrno>
#include <cstring>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"

namespace arbor::transport {

absl::StatusOr<std::unique_ptr<Monitor>> Monitor::Attach(Context& context, Socket& watched,
                                                         const std::string& name,
                                                         MonitorScope scope) {
  std::string endpoint = absl::StrCat("inproc://monitor-", name);
  int events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED;
  if (scope == MonitorScope::kWithHandshakes) {
    events |= ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
  }
  if (zmq_socket_monitor(watched.ref().handle(), endpoint.c_str(), events) != 0) {
    return ZmqStatus(zmq::error_t(), "socket monitor");
  }
  auto pair = Socket::Pair(context);
  if (!pair.ok()) return pair.status();
  pair->SetLinger(0);
  absl::Status connected = pair->Connect(endpoint);
  if (!connected.ok()) return connected;
  return absl::WrapUnique(new Monitor(watched, std::move(*pair)));
}

Monitor::~Monitor() { zmq_socket_monitor(watched_.ref().handle(), nullptr, 0); }

std::optional<LinkEvent> Monitor::Read() {
  auto got = pair_.Receive(frames_);
  if (!got.ok() || !*got) return std::nullopt;
  if (frames_.empty() || frames_[0].size() < sizeof(uint16_t)) return LinkEvent::kOther;
  uint16_t event;
  std::memcpy(&event, frames_[0].data(), sizeof(event));  // libzmq's event header
  switch (event) {
    case ZMQ_EVENT_CONNECTED:
      return LinkEvent::kConnected;
    case ZMQ_EVENT_DISCONNECTED:
      return LinkEvent::kDisconnected;
    case ZMQ_EVENT_CONNECT_RETRIED:
      return LinkEvent::kConnectRetried;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      return LinkEvent::kHandshakeSucceeded;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      last_failure_ = HandshakeFailure::kAuth;
      return LinkEvent::kHandshakeFailed;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      last_failure_ = HandshakeFailure::kProtocol;
      return LinkEvent::kHandshakeFailed;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: {
      uint32_t value = 0;  // the errno, after the event number
      if (frames_[0].size() >= sizeof(event) + sizeof(value)) {
        std::memcpy(&value, frames_[0].data() + sizeof(event), sizeof(value));
      }
      if (value == EAGAIN) return LinkEvent::kHandshakeTimedOut;
      last_failure_ = HandshakeFailure::kNoDetail;
      return LinkEvent::kHandshakeFailed;
    }
    default:
      return LinkEvent::kOther;
  }
}

}  // namespace arbor::transport
