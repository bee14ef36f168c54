// The ZAP handler (RFC 27): decides, in the event loop, which CURVE keys may
// connect to this process's CURVE servers, and names each accepted peer.
#ifndef ARBOR_TRANSPORT_ZAP_H_
#define ARBOR_TRANSPORT_ZAP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/event_loop.h"
#include "transport/socket.h"

namespace arbor::transport {

// Where libzmq asks, in every context.
inline constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";

// One CURVE handshake to decide.
struct ZapRequest {
  std::string domain;      // the server socket's ZAP domain (kZapDomain for ours)
  std::string address;     // tcp: the peer's IP address; ipc: "localhost:UID:GID:PID"
                           // of the peer process (SO_PEERCRED)
  std::string public_z85;  // the key the peer proved it holds, in Z85
};

// The user id to accept the peer as (non-empty: it becomes the User-Id of every
// message on that connection, e.g. the node id in decimal), or nullopt to
// refuse it. It decides for one domain (ZapHandler::Serve). Runs inside the loop, so a
// handshake waits for the loop's turn: it must not block.
using ZapPolicy = std::function<std::optional<std::string>(const ZapRequest&)>;

struct ZapCounters {
  uint64_t accepted = 0;   // answered 200
  uint64_t rejected = 0;   // answered 400: refused by the policy, or not CURVE
  uint64_t malformed = 0;  // answered 400 without asking the policy: not RFC 27
};

class ZapHandler {
 public:
  // Binds kZapEndpoint in `context` and serves it on `loop`, `policy` deciding
  // for domain kZapDomain (the tree's sockets). One per context:
  // a second is ALREADY_EXISTS. Bind it before any CURVE socket of the context
  // binds or connects; until then their handshakes are refused
  // (ZMQ_ZAP_ENFORCE_DOMAIN). `loop` must outlive the handler, and the handler
  // (a socket) must be destroyed before `context`. Keep it for the context's
  // life: libzmq frees a closed handler's endpoint later, so binding another
  // right after is ALREADY_EXISTS too, and meanwhile every handshake fails.
  static absl::StatusOr<std::unique_ptr<ZapHandler>> Bind(Context& context, EventLoop& loop,
                                                          ZapPolicy policy);
  // The same, serving no domain yet: every key is refused until a CURVE
  // server Serves its own.
  static absl::StatusOr<std::unique_ptr<ZapHandler>> Bind(Context& context, EventLoop& loop);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;

  // `policy` decides for CURVE servers of `domain` from now on (replacing any
  // policy it had): one handler per context serves every domain, e.g. the
  // tree's (kZapDomain) and the clients' (kClientZapDomain). A request for a
  // domain nobody serves is refused.
  void Serve(const std::string& domain, ZapPolicy policy);
  // `domain` is served no more: its requests are refused from now on (its
  // server is closing, and its policy may read state about to go).
  void Stop(const std::string& domain) { policies_.erase(domain); }
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Answers every request waiting; the loop calls it when the socket is readable.
  void ServeReady();

  const ZapCounters& counters() const { return counters_; }

 private:
  ZapHandler(EventLoop& loop, Socket socket) : loop_(loop), socket_(std::move(socket)) {}
  enum class Outcome { kAccepted, kRejected, kMalformed };
  struct Verdict {
    Outcome outcome;
    std::string_view text;  // the reply's status text
    std::string user_id;    // when accepted
  };
  // `request`: the frames after the envelope.
  Verdict Decide(absl::Span<const std::string> request);
  void Answer();

  EventLoop& loop_;
  Socket socket_;  // a ROUTER: garbage from any peer is seen and answered
  absl::flat_hash_map<std::string, ZapPolicy> policies_;  // domain -> its policy
  ZapCounters counters_;
  Frames frames_;
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_ZAP_H_
