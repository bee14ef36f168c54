// The controller's second front end, its ROUTER for programs (`--listen`):
// decodes each client's envelopes, runs them as operations of the core
// (api/operations.h), answers with the same correlation id and a status code,
// and streams node events to watchers. See docs/CLIENT_PROTOCOL.md.
#ifndef ARBOR_ENDPOINT_CLIENT_ENDPOINT_H_
#define ARBOR_ENDPOINT_CLIENT_ENDPOINT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "api/defaults.h"
#include "api/operations.h"
#include "arbor/v1/arbor.pb.h"
#include "common/log.h"
#include "transport/event_loop.h"
#include "transport/listen_file.h"
#include "transport/socket.h"
#include "transport/zap.h"
#include "wire/scratch.h"

namespace arbor::endpoint {

struct ClientEndpointOptions {
  // ipc:///path, or tcp://HOST:PORT (PORT * = kernel-chosen).
  std::string endpoint;
  // Allow a tcp address that is not loopback without CURVE: anyone who can
  // connect can spawn processes.
  bool insecure = false;
  // CURVE on this endpoint, whatever its address (--client-keys): a directory
  // of the clients' public keys (client_keys.h, read at Start). Empty: plaintext,
  // loopback and ipc only (unless `insecure`).
  std::string client_keys_dir;
  // The server's secret key file (--server-key, `arbor keygen`'s format); empty:
  // a fresh key pair for this run. Only with client_keys_dir.
  std::string server_key_file;
  // Calls one client may have in flight; more answer RESOURCE_EXHAUSTED.
  int max_in_flight_per_client = api::kMaxClientInFlight;
  // Watches one client may hold; more answer RESOURCE_EXHAUSTED.
  int max_watches_per_client = 64;
  transport::SocketOptions sockets;
};

class ClientEndpoint {
 public:
  // Binds (an ipc socket file with mode 0600) and starts serving on `loop`.
  // `operations`, `loop` and `context` must outlive the endpoint.
  // `after_requests` runs after each batch of requests read (the controller
  // arms its deadline timer and runs what waited). With client_keys_dir, `zap`
  // is the context's ZAP handler (it must outlive the endpoint, as must `log`):
  // the endpoint serves transport::kClientZapDomain on it. Refused, saying why:
  // a non-loopback tcp address without CURVE or `insecure`, an ipc path another
  // process listens on, a bad key directory or server key file.
  static absl::StatusOr<std::unique_ptr<ClientEndpoint>> Start(
      const ClientEndpointOptions& options, transport::Context& context, transport::EventLoop& loop,
      api::Operations& operations, const Logger& log, std::function<void()> after_requests,
      transport::ZapHandler* zap = nullptr);
  ~ClientEndpoint();
  ClientEndpoint(const ClientEndpoint&) = delete;
  ClientEndpoint& operator=(const ClientEndpoint&) = delete;

  // The endpoint actually bound (tcp port resolved).
  const std::string& endpoint() const { return endpoint_; }
  // With CURVE, the server's public key (Z85) that clients need; else empty.
  const std::string& server_public_key() const { return server_public_key_; }

 private:
  // Sends a node event to every watcher (the endpoint watches the core's).
  void Publish(const api::NodeEvent& event);

  ClientEndpoint(const ClientEndpointOptions& options, transport::EventLoop& loop,
                 api::Operations& operations, const Logger& log, transport::Socket socket);

  // What an exec needs from its arrival to its reply, owned by one closure at a
  // time (dispatch, then the operation's callback): no copies, no refcounts.
  struct ExecCall {
    std::shared_ptr<bool> alive;
    std::string client;
    uint64_t correlation_id;
    NodeId target;
    absl::Time deadline;
    std::string key;
    std::optional<int64_t> value;
  };

  // What a request's reply needs, kept once and shared by its closures (results
  // may come long after its frame is gone); answers nothing once the endpoint
  // is gone.
  class Responder {
   public:
    Responder(ClientEndpoint& endpoint, const std::string& client, const v1::Envelope& request,
              absl::Time deadline);
    void operator()(const absl::Status& status, v1::Envelope body = {}) const;
    // True (and DEADLINE_EXCEEDED answered) when the budget ran out while the
    // request waited for its node, or the endpoint is gone: nothing runs then.
    bool Expired() const;
    // What is left of the budget; zero (the core's defaults) when there is none.
    absl::Duration Timeout() const;

   private:
    struct Caller {
      std::string client;
      uint64_t correlation_id;
      NodeId target;
      absl::Time deadline;
    };
    ClientEndpoint* endpoint_;
    std::shared_ptr<bool> alive_;
    std::shared_ptr<const Caller> caller_;
  };

  void OnReadable();
  // ---- requests (requests.cc) ----
  void OnRequest(const std::string& client, v1::Envelope& request);
  void OnCreate(const v1::CreateRequest& create, absl::Time deadline, Responder reply);
  void OnPing(NodeId target, absl::Time deadline, Responder reply);
  void OnRemove(NodeId target, absl::Time deadline, Responder reply);
  void OnWatch(const std::string& client, uint64_t watch_id, const Responder& reply);
  void OnUnwatch(const std::string& client, uint64_t watch_id, const Responder& reply);
  // The hot path: an exec dispatched, run, and answered from an arena envelope.
  void StartExec(const std::string& client, const v1::Envelope& request, absl::Time deadline);
  void RunExec(std::unique_ptr<ExecCall> call);
  // A request's budget (InfiniteFuture: none): whether it ran out, what is
  // left (zero: the core's defaults), and the answer when it ran out waiting.
  bool Past(absl::Time deadline) const;
  absl::Duration Left(absl::Time deadline) const;
  static absl::Status WaitedTooLong();
  // Replies with `status` (and `body`'s oneof, when OK; `body` is completed
  // with the reply's fields and sent); counts the call done.
  void Reply(const std::string& client, uint64_t correlation_id, NodeId target,
             const absl::Status& status, v1::Envelope& body);
  void Reply(const std::string& client, uint64_t correlation_id, NodeId target,
             const absl::Status& status);
  // Sends a reply (Reply also counts the call done).
  void Answer(const std::string& client, uint64_t correlation_id, NodeId target,
              const absl::Status& status, v1::Envelope& body);
  void Reject(const std::string& client, const v1::Envelope& request, const absl::Status& status);
  bool Send(const std::string& client, const v1::Envelope& envelope);

  ClientEndpointOptions options_;
  transport::EventLoop& loop_;
  api::Operations& operations_;
  const Logger& log_;
  transport::Socket socket_;
  std::string endpoint_;
  std::string server_public_key_;
  transport::ListenFile file_;  // an ipc socket file, removed at the end if still ours
  absl::flat_hash_map<std::string, int> in_flight_;  // client routing id -> calls
  // client routing id -> its watches' correlation ids
  absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>> watchers_;
  // Each callback checks this: results that arrive after the endpoint is gone
  // are dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  transport::Frames frames_;
  wire::ScratchEnvelope scratch_;  // each request is decoded here
  wire::ScratchEnvelope answers_;  // exec replies are built here
  std::string send_buffer_;        // each reply and event is encoded here
};

}  // namespace arbor::endpoint

#endif  // ARBOR_ENDPOINT_CLIENT_ENDPOINT_H_
