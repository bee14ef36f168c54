// Connection events of one socket (zmq_socket_monitor), read as a socket in the
// event loop. Workers use it on their upstream DEALER to tell a dead parent (the
// connection dropped and reconnecting is refused) from a silent one.
#ifndef ARBOR_TRANSPORT_MONITOR_H_
#define ARBOR_TRANSPORT_MONITOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "transport/socket.h"

namespace arbor::transport {

enum class LinkEvent { kConnected, kDisconnected, kConnectRetried, kOther };

class Monitor {
 public:
  // Starts monitoring `watched`, which must outlive the Monitor. `name` makes the
  // inproc endpoint unique within the context.
  static absl::StatusOr<std::unique_ptr<Monitor>> Attach(Context& context, Socket& watched,
                                                          const std::string& name);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // The next queued event; nullopt when none is waiting.
  std::optional<LinkEvent> Read();

  Socket& events() { return pair_; }

 private:
  Monitor(Socket& watched, Socket pair) : watched_(watched), pair_(std::move(pair)) {}

  Socket& watched_;
  Socket pair_;
  Frames frames_;
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_MONITOR_H_
