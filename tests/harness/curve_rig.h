// One context, one event loop and a CURVE server's keys, for the transport's
// CURVE and ZAP tests: sockets over tcp or ipc, and waits bounded by a deadline.
#ifndef ARBOR_TESTS_HARNESS_CURVE_RIG_H_
#define ARBOR_TESTS_HARNESS_CURVE_RIG_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "transport/curve.h"
#include "transport/endpoints.h"
#include "transport/event_loop.h"
#include "transport/monitor.h"
#include "transport/socket.h"

namespace arbor::testing {

// A fresh key pair (a test failure, and empty keys, when CURVE is missing).
inline transport::CurveKeyPair NewKeys() {
  absl::StatusOr<transport::CurveKeyPair> keys = transport::GenerateCurveKeyPair();
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? *keys : transport::CurveKeyPair{};
}

// One message as a socket received it.
struct Received {
  transport::Frames frames;
  std::string user_id;
};

class CurveRig {
 public:
  explicit CurveRig(transport::Transport transport) : transport_(transport) {
    loop_.AddBeforeWait([this] {
      if (done_ && done_()) loop_.Stop();
    });
    if (transport == transport::Transport::kIpc) {
      auto dir = transport::IpcDirectory::Create();
      EXPECT_TRUE(dir.ok()) << dir.status();
      if (dir.ok()) dir_.emplace(std::move(*dir));
    }
  }

  transport::Context& context() { return context_; }
  transport::EventLoop& loop() { return loop_; }

  // Where a server binds: tcp://127.0.0.1:* or a fresh path in the ipc dir.
  std::string BindEndpoint() {
    if (transport_ == transport::Transport::kTcp) return "tcp://127.0.0.1:*";
    return "ipc://" + (dir_ ? dir_->path() : std::string("/nonexistent")) + "/s" +
           std::to_string(++endpoints_);
  }

  // A ROUTER (linger 0) with CURVE on when `secret_z85` is given, bound; its
  // endpoint goes to `*endpoint`.
  transport::Socket Server(const std::optional<std::string>& secret_z85, std::string* endpoint) {
    auto socket = transport::Socket::Router(context_, transport::SocketOptions());
    EXPECT_TRUE(socket.ok()) << socket.status();
    socket->SetLinger(0);
    if (secret_z85) {
      EXPECT_TRUE(socket->EnableCurveServer(*secret_z85).ok());
    }
    auto bound = socket->Bind(BindEndpoint());
    EXPECT_TRUE(bound.ok()) << bound.status();
    if (bound.ok()) *endpoint = *bound;
    return std::move(*socket);
  }

  // A DEALER (linger 0) of `routing_id`, with CURVE on when `keys` is given.
  transport::Socket Client(const std::string& routing_id,
                           const std::optional<transport::CurveKeyPair>& keys,
                           const std::string& server_public_z85) {
    auto socket = transport::Socket::Dealer(context_, transport::SocketOptions(), routing_id);
    EXPECT_TRUE(socket.ok()) << socket.status();
    socket->SetLinger(0);
    if (keys) {
      EXPECT_TRUE(
          socket->EnableCurveClient(keys->public_z85, keys->secret_z85, server_public_z85).ok());
    }
    return std::move(*socket);
  }

  // Everything `socket` receives goes into `inbox`, with its User-Id.
  void Collect(transport::Socket& socket, std::vector<Received>& inbox) {
    loop_.AddSocket(socket, [&socket, &inbox] {
      Received message;
      while (true) {
        auto got = socket.Receive(message.frames, &message.user_id);
        ASSERT_TRUE(got.ok()) << got.status();
        if (!*got) return;
        inbox.push_back(message);
      }
    });
  }

  // A monitor of connections and handshakes on `socket`, its events into `events`.
  std::unique_ptr<transport::Monitor> Watch(transport::Socket& socket,
                                            std::vector<transport::LinkEvent>& events) {
    auto monitor = transport::Monitor::Attach(context_, socket, std::to_string(++monitors_),
                                              transport::MonitorScope::kWithHandshakes);
    EXPECT_TRUE(monitor.ok()) << monitor.status();
    transport::Monitor* raw = monitor->get();
    loop_.AddSocket(raw->events(), [raw, &events] {
      while (auto event = raw->Read()) events.push_back(*event);
    });
    return std::move(*monitor);
  }

  // Runs the loop until `done` holds or `bound` has passed; returns `done()`.
  bool RunUntil(std::function<bool()> done, absl::Duration bound = absl::Seconds(10)) {
    done_ = std::move(done);
    auto timer = loop_.ScheduleAfter(bound, [this] { loop_.Stop(); });
    loop_.Run();
    loop_.Cancel(timer);
    bool result = done_();
    done_ = nullptr;
    return result;
  }

 private:
  transport::Transport transport_;
  transport::Context context_;  // declared first: outlives every socket
  transport::EventLoop loop_;
  std::optional<transport::IpcDirectory> dir_;
  std::function<bool()> done_;
  int endpoints_ = 0;
  int monitors_ = 0;
};

inline int Count(const std::vector<transport::LinkEvent>& events, transport::LinkEvent which) {
  return static_cast<int>(std::count(events.begin(), events.end(), which));
}

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_CURVE_RIG_H_
