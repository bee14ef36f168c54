// arbor::client::Client: drive a controller (`arbor --listen ENDPOINT`) from C++.
// Start here. Every call is one request envelope (docs/CLIENT_PROTOCOL.md) and
// comes in two forms: one returning a std::future, one taking a callback.
//
// Contract:
// - Thread-safe: any thread may make calls, concurrently, and Close().
// - Each call resolves exactly once: with the controller's answer (its status
//   code is the controller's: NOT_FOUND, UNAVAILABLE, ...), with
//   DEADLINE_EXCEEDED when no answer came by the call's timeout plus
//   ClientOptions.reply_grace, with CANCELLED when the client is closed first,
//   or with the send's error (RESOURCE_EXHAUSTED: the outbound queue is full).
// - Callbacks run on the client's single I/O thread, one at a time, in the
//   order the answers arrive (a call made after Close() runs its callback at
//   once on the caller's thread). They must not block, and never wait on a
//   future of the same client: the thread that would resolve it is theirs.
// - The Client must not be destroyed from one of its callbacks.
#ifndef ARBOR_CLIENT_CLIENT_H_
#define ARBOR_CLIENT_CLIENT_H_

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/options.h"
#include "client/types.h"
#include "common/ids.h"
#include "wire/calls.h"

namespace arbor::v1 {
class Envelope;
}

namespace arbor::client {

class Channel;

class Client {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;
  using StatusCallback = absl::AnyInvocable<void(absl::Status)>;
  // A watch's events; runs on the I/O thread.
  using EventCallback = absl::AnyInvocable<void(const NodeEvent&)>;

  // Connects to a controller's client endpoint (ipc:///path or
  // tcp://HOST:PORT) and starts the I/O thread. The connection is made in
  // the background (and re-made if it drops), so no controller needs to be
  // listening yet: calls wait for it until their deadlines. INVALID_ARGUMENT
  // for an endpoint ZeroMQ rejects, negative durations or bad CURVE keys in
  // `options` (a controller with --client-keys needs options.curve: keys.h
  // reads them from files).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const std::string& endpoint,
                                                         ClientOptions options = {});
  // Close().
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Creates worker `id` under `parent` (kControllerId: the controller).
  // ALREADY_EXISTS, NOT_FOUND (parent), UNAVAILABLE (parent unavailable),
  // FAILED_PRECONDITION (parent is a descendant of id), DEADLINE_EXCEEDED,
  // INTERNAL (spawn failed).
  std::future<absl::StatusOr<CreateResult>> Create(NodeId id, NodeId parent = kControllerId,
                                                   CallOptions options = {});
  void Create(NodeId id, NodeId parent, Callback<CreateResult> done, CallOptions options = {});
  // The same on host `host` (a name of the controller's --hosts; "" is the
  // parent's host): also INVALID_ARGUMENT `Unknown host 'x'`.
  std::future<absl::StatusOr<CreateResult>> Create(NodeId id, NodeId parent,
                                                   const std::string& host,
                                                   CallOptions options = {});
  void Create(NodeId id, NodeId parent, const std::string& host, Callback<CreateResult> done,
              CallOptions options = {});

  // Loads `key` on node `id`. NOT_FOUND (no such node), UNAVAILABLE,
  // DEADLINE_EXCEEDED, INVALID_ARGUMENT (key not [A-Za-z0-9]{1,64}).
  std::future<absl::StatusOr<ExecResult>> Exec(NodeId id, const std::string& key,
                                               CallOptions options = {});
  void Exec(NodeId id, const std::string& key, Callback<ExecResult> done, CallOptions options = {});
  // Saves `value` under `key` on node `id`: found = true. Same codes.
  std::future<absl::StatusOr<ExecResult>> Exec(NodeId id, const std::string& key, int64_t value,
                                               CallOptions options = {});
  void Exec(NodeId id, const std::string& key, int64_t value, Callback<ExecResult> done,
            CallOptions options = {});

  // Whether node `id` answered: false when it is dead or did not answer in
  // time. NOT_FOUND when there is no such node.
  std::future<absl::StatusOr<bool>> Ping(NodeId id, CallOptions options = {});
  void Ping(NodeId id, Callback<bool> done, CallOptions options = {});

  // Removes node `id`; its children move to its parent. NOT_FOUND,
  // UNAVAILABLE, DEADLINE_EXCEEDED.
  std::future<absl::Status> Remove(NodeId id, CallOptions options = {});
  void Remove(NodeId id, StatusCallback done, CallOptions options = {});

  // Sets the heartbeat period of the whole tree (0 = off); resolves with the
  // period the controller now uses.
  std::future<absl::StatusOr<uint32_t>> SetHeartbeat(uint32_t interval_ms,
                                                     CallOptions options = {});
  void SetHeartbeat(uint32_t interval_ms, Callback<uint32_t> done, CallOptions options = {});

  // Every node, depth-first, children by id (the CLI's `tree`).
  std::future<absl::StatusOr<std::vector<NodeInfo>>> Topology(CallOptions options = {});
  void Topology(Callback<std::vector<NodeInfo>> done, CallOptions options = {});

  // The controller's counters.
  std::future<absl::StatusOr<ControllerStats>> Stats(CallOptions options = {});
  void Stats(Callback<ControllerStats> done, CallOptions options = {});

  // Subscribes `on_event` to node events. Resolves with the watch's id once the
  // controller confirms; `on_event` gets every event after that, until
  // Unwatch(id) is made or the client closes (it is then destroyed on the I/O
  // thread). On failure `on_event` is never called. A watch lives in the
  // controller: one that restarts has forgotten it (no event says so).
  std::future<absl::StatusOr<WatchId>> Watch(EventCallback on_event, CallOptions options = {});
  void Watch(EventCallback on_event, Callback<WatchId> done, CallOptions options = {});
  // Ends watch `id`: from the moment the I/O thread sends the request, no event
  // of it reaches its callback. NOT_FOUND when the controller has no such watch.
  std::future<absl::Status> Unwatch(WatchId id, CallOptions options = {});
  void Unwatch(WatchId id, StatusCallback done, CallOptions options = {});

  // Resolves every call in flight with CANCELLED, ends the watches, and joins
  // the I/O thread. Idempotent; later calls resolve CANCELLED at once. Made
  // from a callback, the cancellations follow once the callback returns.
  void Close();

  // This client's own counters (sent, answered, timed out, late replies, ...).
  ClientCounters counters() const;

 private:
  // Which of the controller's default deadlines covers a call sent with budget 0.
  enum class Kind { kNodeRequest, kCreate, kControllerRequest };

  Client(std::unique_ptr<Channel> channel, ClientOptions options);

  // Stamps the call's budget and local deadline, and hands it to the channel;
  // `on_reply` gets the reply envelope or the local failure.
  void Start(v1::Envelope&& request, Kind kind, const CallOptions& options,
             wire::PendingCalls::Callback on_reply, EventCallback on_event = nullptr);

  ClientOptions options_;
  std::unique_ptr<Channel> channel_;
};

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_CLIENT_H_
