// ZeroMQ sockets as Arbor uses them: the only code that speaks cppzmq. Every send
// is non-blocking and every libzmq error comes back as an absl::Status.
#ifndef ARBOR_TRANSPORT_SOCKET_H_
#define ARBOR_TRANSPORT_SOCKET_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/curve.h"
#include "transport/socket_options.h"
#include "zmq.hpp"

namespace arbor::transport {

// One message: its frames, in order.
using Frames = std::vector<std::string>;

// The process's ZeroMQ context. Must outlive every Socket made from it. Create it
// only after the signals the process handles are blocked: its I/O threads inherit
// the signal mask.
class Context {
 public:
  Context() : context_(1) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  zmq::context_t& get() { return context_; }

 private:
  zmq::context_t context_;
};

class Socket {
 public:
  // A ROUTER with ROUTER_MANDATORY and ROUTER_HANDOVER set.
  static absl::StatusOr<Socket> Router(Context& context, const SocketOptions& options);
  // A DEALER whose routing id is `routing_id` (a node id in ASCII decimal).
  static absl::StatusOr<Socket> Dealer(Context& context, const SocketOptions& options,
                                       const std::string& routing_id);
  // A PAIR, for a monitor's event stream.
  static absl::StatusOr<Socket> Pair(Context& context);

  Socket(Socket&&) = default;
  Socket& operator=(Socket&&) = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // CURVE (transport/curve.h), before the first Bind or Connect; INVALID_ARGUMENT
  // when a key is not a Z85 key. A server authenticates every peer through the
  // ZAP handler of its context (transport/zap.h), under `domain`, and
  // refuses every peer when the context has none (ZMQ_ZAP_ENFORCE_DOMAIN): bind
  // the handler first. A client needs its own pair and the server's public key;
  // with a wrong server key it retries the handshake forever.
  absl::Status EnableCurveServer(std::string_view secret_z85, const char* domain = kZapDomain);
  absl::Status EnableCurveClient(std::string_view public_z85, std::string_view secret_z85,
                                 std::string_view server_public_z85);

  // Binds; returns the endpoint actually bound (tcp://127.0.0.1:* resolved).
  absl::StatusOr<std::string> Bind(const std::string& endpoint);
  absl::Status Connect(const std::string& endpoint);

  // Sends one message without blocking. UNAVAILABLE when a ROUTER has no peer of
  // that routing id (EHOSTUNREACH), RESOURCE_EXHAUSTED when the peer's queue is
  // full (EAGAIN). A multi-frame message is all-or-nothing.
  absl::Status Send(absl::Span<const std::string_view> frames);
  absl::Status Send(std::string_view frame) { return Send(absl::MakeConstSpan(&frame, 1)); }

  // Receives one whole message without blocking into `frames`; false when none
  // is waiting.
  absl::StatusOr<bool> Receive(Frames& frames) { return Receive(frames, nullptr); }
  // The same, and `*user_id` (when not null) becomes the User-Id that the ZAP
  // handler gave the connection the message came on (empty on a socket without
  // CURVE). A ROUTER's routing-id frame says who the peer claims to be, the
  // User-Id who it proved to be: ROUTER_HANDOVER lets any authenticated peer
  // claim any routing id, so a caller compares the two on every message.
  absl::StatusOr<bool> Receive(Frames& frames, std::string* user_id);

  // How long queued outbound messages may delay close (ZMQ_LINGER).
  void SetLinger(int ms);

 private:
  friend class EventLoop;
  friend class Monitor;
  zmq::socket_ref ref() { return socket_; }

  explicit Socket(zmq::socket_t socket) : socket_(std::move(socket)) {}
  static absl::StatusOr<Socket> Make(Context& context, zmq::socket_type type);
  // The User-Id property of message_ (the last frame received) into `user_id`.
  void ReadUserId(std::string* user_id);

  zmq::socket_t socket_;
  zmq::message_t message_;  // Receive's buffer, reused
};

// Describes a ZeroMQ error as a Status with `what` in front.
absl::Status ZmqStatus(const zmq::error_t& error, std::string_view what);

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_SOCKET_H_
