// A process's links to its children, for controller and worker alike: a plain
// ROUTER (ipc, or loopback tcp) for children on the controller's host, and —
// with more than one host — a CURVE ROUTER on the host's address for the
// others, which accepts only the keys in its ring (the controller issued them,
// one per worker incarnation, each with a secret routing token) and holds every
// message's routing id to its key (link/receiver.h). Either may be absent: a
// worker on another host has no plain one, a single host needs no CURVE one.
//
// A child links over CURVE from its first Hello there until it is forgotten,
// and a node issued for another host only ever does: the plain ROUTER drops
// whatever claims such an id (a local process that can reach the plain socket
// cannot divert a remote node's replies), and replies go to its routing id
// with its token. A CURVE frame counts only while its key is the current
// incarnation's (an old connection of a dead one stays open until it drops). A failed CURVE handshake (no
// CURVE, a key not issued) is reported as a drop, like a refused frame.
#ifndef ARBOR_LINK_CHILD_LINKS_H_
#define ARBOR_LINK_CHILD_LINKS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/ids.h"
#include "link/key_ring.h"
#include "link/receiver.h"
#include "transport/event_loop.h"
#include "transport/monitor.h"
#include "transport/socket.h"
#include "transport/zap.h"

namespace arbor::link {

struct ChildLinksOptions {
  transport::SocketOptions sockets;
  std::string plain_bind;   // e.g. ipc://DIR/ID.PID; empty: no plain ROUTER
  std::string curve_bind;   // tcp://ADDRESS:*; empty: no CURVE ROUTER
  std::string secret_z85;   // the process's own key, with curve_bind
  int receive_batch = 256;  // envelopes read from one socket per turn
};

class ChildLinks {
 public:
  using EnvelopeFn = absl::AnyInvocable<void(NodeId from, v1::Envelope&, std::string_view bytes)>;
  using DropFn = absl::AnyInvocable<void(NodeId from, const absl::Status& why)>;
  using StopFn = absl::AnyInvocable<bool()>;
  // Runs after each socket's turn (the controller's wiring drives from it).
  using AfterFn = absl::AnyInvocable<void()>;

  // Binds what `options` asks for and reads both sockets on `loop`. With a
  // CURVE ROUTER, `zap` (the context's handler, bound first) serves the tree's
  // domain from this ring until this is destroyed (then it refuses). `context`,
  // `loop` and `zap` must outlive it.
  static absl::StatusOr<std::unique_ptr<ChildLinks>> Bind(transport::Context& context,
                                                          transport::EventLoop& loop,
                                                          transport::ZapHandler* zap,
                                                          const ChildLinksOptions& options,
                                                          EnvelopeFn on_envelope, DropFn on_drop,
                                                          StopFn stop, AfterFn after);
  ~ChildLinks();
  ChildLinks(const ChildLinks&) = delete;
  ChildLinks& operator=(const ChildLinks&) = delete;

  // The endpoints bound (port resolved); empty when absent.
  const std::string& plain_endpoint() const { return plain_endpoint_; }
  const std::string& curve_endpoint() const { return curve_endpoint_; }

  // The keys the CURVE ROUTER accepts, as which node.
  KeyRing& keys() { return keys_; }
  // A new incarnation of `id` (KeyRing::Allow's statuses): its key and token
  // are accepted, the link of any older one is forgotten, and with
  // `curve_only` (it runs off the controller's host) the plain socket never
  // speaks for it.
  absl::Status Allow(NodeId id, std::string_view public_z85, std::string_view token,
                     bool curve_only);

  // Sends to `child` over CURVE once it said Hello there, else on the plain
  // socket: link::SendRouted's statuses (UNAVAILABLE without a link).
  absl::Status Send(NodeId child, std::string_view frame);
  // `child` is no longer ours (it left, died, or a new incarnation of its id is
  // being made): forgets its link (not its key: an orphan of its subtree may
  // still come back through it).
  void Forget(NodeId child) { curve_children_.erase(child); }
  // True when `child` links over CURVE.
  bool OverCurve(NodeId child) const { return curve_children_.contains(child); }

  void SetLinger(int ms);

 private:
  ChildLinks(transport::EventLoop& loop, transport::ZapHandler* zap,
             const ChildLinksOptions& options, EnvelopeFn on_envelope, DropFn on_drop, StopFn stop,
             AfterFn after)
      : loop_(loop),
        zap_(zap),
        options_(options),
        on_envelope_(std::move(on_envelope)),
        on_drop_(std::move(on_drop)),
        stop_(std::move(stop)),
        after_(std::move(after)) {}
  void Read(transport::Socket& socket, Receiver& receiver, bool curve);
  // Each failed handshake on the CURVE ROUTER is counted as a drop.
  void OnMonitorEvent();

  transport::EventLoop& loop_;
  transport::ZapHandler* zap_;  // serves keys_ while curve_ may exist
  ChildLinksOptions options_;
  EnvelopeFn on_envelope_;
  DropFn on_drop_;
  StopFn stop_;
  AfterFn after_;
  KeyRing keys_;
  std::optional<transport::Socket> plain_, curve_;
  std::unique_ptr<transport::Monitor> monitor_;  // of curve_
  std::string plain_endpoint_, curve_endpoint_;
  Receiver plain_receiver_, curve_receiver_;
  absl::flat_hash_set<NodeId> curve_children_;  // who said Hello over CURVE
  absl::flat_hash_set<NodeId> curve_only_;      // who runs off the controller's host
};

}  // namespace arbor::link

#endif  // ARBOR_LINK_CHILD_LINKS_H_
