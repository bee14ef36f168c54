// A raw ZeroMQ DEALER for the hostile-input tests (libzmq's C API: the test
// speaks the wire itself, so it can send what no real peer would).
#ifndef ARBOR_TESTS_HARNESS_RAW_PEER_H_
#define ARBOR_TESTS_HARNESS_RAW_PEER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace arbor::testing::hostile {

// A libzmq context; it must outlive every RawDealer made from it.
class ZmqContext {
 public:
  ZmqContext();
  ~ZmqContext();  // every socket is closed with linger 0
  ZmqContext(const ZmqContext&) = delete;
  ZmqContext& operator=(const ZmqContext&) = delete;
  void* get() { return context_; }

 private:
  void* context_;
};

class RawDealer {
 public:
  // Connects to `endpoint`; `routing_id` empty: libzmq picks one (it starts
  // with a 0 byte, so it is never a node id).
  RawDealer(ZmqContext& context, const std::string& endpoint, const std::string& routing_id = "");
  ~RawDealer();
  RawDealer(const RawDealer&) = delete;
  RawDealer& operator=(const RawDealer&) = delete;

  // One message of `frames` (blocks at most 5 s on a full queue).
  bool Send(const std::vector<std::string>& frames);
  bool Send(const std::string& frame) { return Send(std::vector<std::string>{frame}); }

  // The next message; nullopt when none came by `deadline`.
  std::optional<std::vector<std::string>> Receive(absl::Time deadline);

  int sent() const { return sent_; }

 private:
  void* socket_;
  int sent_ = 0;
};

}  // namespace arbor::testing::hostile

#endif  // ARBOR_TESTS_HARNESS_RAW_PEER_H_
