#include "transport/socket.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "transport/curve.h"

namespace arbor::transport {

absl::Status ZmqStatus(const zmq::error_t& error, std::string_view what) {
  std::string message = absl::StrCat(Sv(what), ": ", error.what());
  switch (error.num()) {
    case EHOSTUNREACH:
      return absl::UnavailableError(message);
    case EAGAIN:
      return absl::ResourceExhaustedError(message);
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
      return absl::InvalidArgumentError(message);
    case EADDRINUSE:
      return absl::AlreadyExistsError(message);
    case EMFILE:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<Socket> Socket::Make(Context& context, zmq::socket_type type) {
  try {
    return Socket(zmq::socket_t(context.get(), type));
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "socket");
  }
}

namespace {

void ApplyCommon(zmq::socket_t& s, const SocketOptions& o) {
  s.set(zmq::sockopt::sndhwm, o.high_water_mark);
  s.set(zmq::sockopt::rcvhwm, o.high_water_mark);
  s.set(zmq::sockopt::maxmsgsize, o.max_message_bytes);
  s.set(zmq::sockopt::heartbeat_ivl, o.zmtp_heartbeat_ms);
  s.set(zmq::sockopt::heartbeat_timeout, o.zmtp_heartbeat_timeout_ms);
  s.set(zmq::sockopt::heartbeat_ttl, o.zmtp_heartbeat_timeout_ms);
  // Until the shutdown handshake, queued messages may still go out on close.
  s.set(zmq::sockopt::linger, 1000);
}

}  // namespace

absl::StatusOr<Socket> Socket::Router(Context& context, const SocketOptions& options) {
  auto socket = Make(context, zmq::socket_type::router);
  if (!socket.ok()) return socket.status();
  try {
    zmq::socket_t& s = socket->socket_;
    ApplyCommon(s, options);
    s.set(zmq::sockopt::router_mandatory, 1);
    s.set(zmq::sockopt::router_handover, 1);
    s.set(zmq::sockopt::backlog, options.backlog);
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "router options");
  }
  return socket;
}

absl::StatusOr<Socket> Socket::Dealer(Context& context, const SocketOptions& options,
                                      const std::string& routing_id) {
  auto socket = Make(context, zmq::socket_type::dealer);
  if (!socket.ok()) return socket.status();
  try {
    zmq::socket_t& s = socket->socket_;
    ApplyCommon(s, options);
    s.set(zmq::sockopt::routing_id, zmq::buffer(routing_id));
    s.set(zmq::sockopt::reconnect_ivl, options.reconnect_ms);
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "dealer options");
  }
  return socket;
}

absl::StatusOr<Socket> Socket::Pair(Context& context) {
  return Make(context, zmq::socket_type::pair);
}

namespace {

// A draft option in 4.3.4's header, honoured by number: with it a CURVE server
// whose context has no ZAP handler refuses every peer instead of accepting any.
constexpr int kZapEnforceDomain = 93;

}  // namespace

absl::Status Socket::EnableCurveServer(std::string_view secret_z85, const char* domain) {
  if (!IsZ85Key(secret_z85)) return absl::InvalidArgumentError("curve server: bad secret key");
  try {
    socket_.set(zmq::sockopt::curve_server, true);
    socket_.set(zmq::sockopt::curve_secretkey, secret_z85);
    socket_.set(zmq::sockopt::zap_domain, domain);
    int enforce = 1;
    if (zmq_setsockopt(socket_.handle(), kZapEnforceDomain, &enforce, sizeof(enforce)) != 0) {
      return ZmqStatus(zmq::error_t(), "zap enforce domain");
    }
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "curve server options");
  }
}

absl::Status Socket::EnableCurveClient(std::string_view public_z85, std::string_view secret_z85,
                                       std::string_view server_public_z85) {
  if (!IsZ85Key(public_z85) || !IsZ85Key(secret_z85) || !IsZ85Key(server_public_z85)) {
    return absl::InvalidArgumentError("curve client: bad key");
  }
  try {
    socket_.set(zmq::sockopt::curve_serverkey, server_public_z85);
    socket_.set(zmq::sockopt::curve_publickey, public_z85);
    socket_.set(zmq::sockopt::curve_secretkey, secret_z85);
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "curve client options");
  }
}

absl::StatusOr<std::string> Socket::Bind(const std::string& endpoint) {
  try {
    socket_.bind(endpoint);
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, absl::StrCat("bind ", endpoint));
  }
}

absl::Status Socket::Connect(const std::string& endpoint) {
  try {
    socket_.connect(endpoint);
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, absl::StrCat("connect ", endpoint));
  }
}

absl::Status Socket::Send(absl::Span<const std::string_view> frames) {
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      auto flags = zmq::send_flags::dontwait;
      if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
      auto sent = socket_.send(zmq::const_buffer(frames[i].data(), frames[i].size()), flags);
      // EAGAIN on the first frame: nothing was queued. Later frames of a message
      // cannot fail with EAGAIN once the first is accepted.
      if (!sent) return absl::ResourceExhaustedError("send: peer queue full");
    }
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "send");
  }
}

absl::StatusOr<bool> Socket::Receive(Frames& frames, std::string* user_id) {
  // The strings are reused in place: their buffers outlive the message, so a
  // steady stream of messages allocates nothing here. Without `user_id` the
  // metadata is never looked at.
  size_t count = 0;
  try {
    while (true) {
      auto received = socket_.recv(message_, zmq::recv_flags::dontwait);
      if (!received) {
        if (count == 0) {
          frames.clear();
          if (user_id != nullptr) user_id->clear();
          return false;
        }
        continue;  // the rest of a multi-part message is always ready
      }
      if (count < frames.size()) {
        frames[count].assign(static_cast<const char*>(message_.data()), message_.size());
      } else {
        frames.emplace_back(static_cast<const char*>(message_.data()), message_.size());
      }
      ++count;
      if (!message_.more()) {
        frames.resize(count);
        if (user_id != nullptr) ReadUserId(user_id);
        return true;
      }
    }
  } catch (const zmq::error_t& e) {
    frames.resize(count);
    return ZmqStatus(e, "receive");
  }
}

void Socket::ReadUserId(std::string* user_id) {
  // Every frame from a connection carries its metadata except a ROUTER's
  // routing-id frame, which the ROUTER makes: so the last frame is asked.
  const char* value = zmq_msg_gets(message_.handle(), "User-Id");
  if (value == nullptr) {
    user_id->clear();
  } else {
    user_id->assign(value);
  }
}

void Socket::SetLinger(int ms) {
  try {
    socket_.set(zmq::sockopt::linger, ms);
  } catch (const zmq::error_t&) {
    // Only fails on a closed socket, where linger no longer matters.
  }
}

}  // namespace arbor::transport
