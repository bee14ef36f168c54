// link::BatchedSender: per-peer batches, and what a failed send carried.
#include "link/sender.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace arbor::link {

absl::Status SendRouted(transport::Socket& router, NodeId peer, std::string_view frame) {
  std::string id = absl::StrCat(peer);  // short: no allocation
  return router.Send({std::string_view(id), frame});
}

absl::Status SendRouted(transport::Socket& router, std::string_view routing_id,
                        std::string_view frame) {
  return router.Send({routing_id, frame});
}

BatchedSender::Batch& BatchedSender::At(NodeId peer) {
  if (last_ != nullptr && last_peer_ == peer) return *last_;
  last_ = &batches_[peer];  // an insert may move the others: only this one is cached
  last_peer_ = peer;
  return *last_;
}

void BatchedSender::Add(NodeId peer, std::string_view envelope) {
  Batch& batch = At(peer);
  batch.writer.Add(envelope);
  if (batch.writer.full()) SendBatch(peer, batch);
}

void BatchedSender::Add(NodeId peer, std::string_view envelope, Tag tag) {
  Batch& batch = At(peer);
  batch.writer.Add(envelope);
  batch.tags.push_back(tag);
  if (batch.writer.full()) SendBatch(peer, batch);
}

absl::Status BatchedSender::Send(NodeId peer, std::string_view frame) {
  Flush(peer);
  return send_(peer, frame);
}

void BatchedSender::Flush(NodeId peer) {
  auto it = batches_.find(peer);
  if (it != batches_.end()) SendBatch(peer, it->second);
}

void BatchedSender::FlushAll() {
  for (auto& [peer, batch] : batches_) SendBatch(peer, batch);
}

void BatchedSender::Discard(NodeId peer) {
  auto it = batches_.find(peer);
  if (it == batches_.end()) return;
  it->second.writer.Clear();
  it->second.tags.clear();
}

bool BatchedSender::empty(NodeId peer) const {
  auto it = batches_.find(peer);
  return it == batches_.end() || it->second.writer.empty();
}

void BatchedSender::SendBatch(NodeId peer, Batch& batch) {
  if (batch.writer.empty()) return;
  absl::Status sent = send_(peer, batch.writer.Frame());
  if (!sent.ok()) on_failed_(peer, batch.tags, sent);
  batch.writer.Clear();  // the buffers stay for the next turn
  batch.tags.clear();
}

}  // namespace arbor::link
