// The options every Arbor socket gets, as plain values: headers that only pass
// them on (the C++ client's options) need not include ZeroMQ.
#ifndef ARBOR_TRANSPORT_SOCKET_OPTIONS_H_
#define ARBOR_TRANSPORT_SOCKET_OPTIONS_H_

#include <cstdint>

namespace arbor::transport {

// Options every Arbor socket gets. Defaults documented in README "Limits".
struct SocketOptions {
  // Messages queued per peer before sends answer RESOURCE_EXHAUSTED (ZMQ_SNDHWM)
  // or the peer is throttled (ZMQ_RCVHWM).
  int high_water_mark = 10000;
  // Larger inbound messages drop the connection (ZMQ_MAXMSGSIZE).
  int64_t max_message_bytes = 1 << 20;
  // ZMTP heartbeats, so a connection to a frozen peer is dropped and re-made.
  int zmtp_heartbeat_ms = 2000;
  int zmtp_heartbeat_timeout_ms = 6000;
  // Pending connections a ROUTER's listener accepts (ZMQ_BACKLOG).
  int backlog = 1024;
  // Reconnect period of a DEALER (ZMQ_RECONNECT_IVL).
  int reconnect_ms = 100;
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_SOCKET_OPTIONS_H_
