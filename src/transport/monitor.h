// Connection events of one socket (zmq_socket_monitor), read as a socket in the
// event loop. Workers use it on their upstream DEALER to tell a dead parent (the
// connection dropped and reconnecting is refused) from a silent one; over CURVE
// only a handshake success shows a live peer (CONNECTED fires before it).
#ifndef ARBOR_TRANSPORT_MONITOR_H_
#define ARBOR_TRANSPORT_MONITOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "transport/socket.h"

namespace arbor::transport {

enum class LinkEvent {
  kConnected,
  kDisconnected,
  kConnectRetried,
  kHandshakeSucceeded,  // only with MonitorScope::kWithHandshakes
  kHandshakeFailed,     // only with MonitorScope::kWithHandshakes; see last_failure()
  // Only with kWithHandshakes: the peer accepted the connection and never
  // finished the handshake (ZMQ_HANDSHAKE_IVL ran out: NO_DETAIL with
  // EAGAIN) -- a frozen peer, not a wrong key.
  kHandshakeTimedOut,
  kOther,
};

// Why the latest kHandshakeFailed happened.
enum class HandshakeFailure {
  kNone,      // no handshake has failed
  kAuth,      // the ZAP handler refused the key (either side sees it)
  kProtocol,  // a peer without CURVE, or a key that does not decrypt
  kNoDetail,  // e.g. a CURVE server whose context has no ZAP handler
};

// Which events a Monitor subscribes to: connections only (what the worker's
// parent link has always used), or the handshake events too.
enum class MonitorScope { kConnections, kWithHandshakes };

class Monitor {
 public:
  // Starts monitoring `watched`, which must outlive the Monitor. `name` makes the
  // inproc endpoint unique within the context.
  static absl::StatusOr<std::unique_ptr<Monitor>> Attach(
      Context& context, Socket& watched, const std::string& name,
      MonitorScope scope = MonitorScope::kConnections);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // The next queued event; nullopt when none is waiting.
  std::optional<LinkEvent> Read();
  HandshakeFailure last_failure() const { return last_failure_; }

  Socket& events() { return pair_; }

 private:
  Monitor(Socket& watched, Socket pair) : watched_(watched), pair_(std::move(pair)) {}

  Socket& watched_;
  Socket pair_;
  Frames frames_;
  HandshakeFailure last_failure_ = HandshakeFailure::kNone;
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_MONITOR_H_
