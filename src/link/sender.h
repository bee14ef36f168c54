// The sending half of a tree link: envelopes for one peer gathered during one
// turn of the event loop and sent as one frame (wire/batch.h), and the calls a
// failed send carried handed back to be failed. The controller's and each
// worker's sends down the tree, and a worker's up to its parent.
#ifndef ARBOR_LINK_SENDER_H_
#define ARBOR_LINK_SENDER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/ids.h"
#include "transport/socket.h"
#include "wire/batch.h"

namespace arbor::link {

// A call travelling in a batch: who to answer when its send fails.
struct Tag {
  uint64_t correlation_id = 0;
  NodeId target = kControllerId;
};

// Sends `frame` to `peer` through a ROUTER: the routing id frame is the
// peer's node id in ASCII decimal (the id its DEALER set). Non-blocking, as
// transport::Socket::Send: UNAVAILABLE for a peer not connected,
// RESOURCE_EXHAUSTED for a full queue.
absl::Status SendRouted(transport::Socket& router, NodeId peer, std::string_view frame);
// The same to a peer whose routing id is `routing_id` (over CURVE, "ID.TOKEN").
absl::Status SendRouted(transport::Socket& router, std::string_view routing_id,
                        std::string_view frame);

class BatchedSender {
 public:
  // Sends one frame to `peer` now, without blocking.
  using SendFn = absl::AnyInvocable<absl::Status(NodeId peer, std::string_view frame)>;
  // A batch for `peer` was not sent: `tags` are the calls it carried (in the
  // order added, valid only during the call) and `why` is the send's status.
  // Runs inside Flush, FlushAll or Send: it must not call back into this
  // sender (queue the failures, or answer them through another sender).
  using FailFn =
      absl::AnyInvocable<void(NodeId peer, absl::Span<const Tag> tags, const absl::Status& why)>;

  BatchedSender(SendFn send, FailFn on_failed)
      : send_(std::move(send)), on_failed_(std::move(on_failed)) {}
  BatchedSender(const BatchedSender&) = delete;
  BatchedSender& operator=(const BatchedSender&) = delete;

  // Appends serialized `envelope` to `peer`'s batch (copied); `tag`, when
  // given, is handed to on_failed if the batch's send fails. A batch that is
  // full (wire::BatchWriter::full) is sent at once.
  void Add(NodeId peer, std::string_view envelope);
  void Add(NodeId peer, std::string_view envelope, Tag tag);

  // Sends `frame` to `peer` now, after what is batched for it: order is kept.
  // Returns the direct send's status (a failed batch goes to on_failed).
  absl::Status Send(NodeId peer, std::string_view frame);

  // Sends `peer`'s batch, if any, and empties it.
  void Flush(NodeId peer);
  // Every peer's batch.
  void FlushAll();
  // Forgets what is batched for `peer`, unsent and unreported.
  void Discard(NodeId peer);

  bool empty(NodeId peer) const;

 private:
  struct Batch {
    wire::BatchWriter writer;
    std::vector<Tag> tags;
  };
  Batch& At(NodeId peer);
  void SendBatch(NodeId peer, Batch& batch);

  SendFn send_;
  FailFn on_failed_;
  absl::flat_hash_map<NodeId, Batch> batches_;  // buffers kept across turns
  // The last peer added to: a link with one peer (a worker's parent) skips the
  // lookup. Valid until batches_ grows (an insert may move its elements).
  NodeId last_peer_ = 0;
  Batch* last_ = nullptr;
};

}  // namespace arbor::link

#endif  // ARBOR_LINK_SENDER_H_
