// Envelopes bound for one peer, gathered during one turn of the event loop and
// sent as one frame: one envelope as itself, several as an Envelope whose body
// is a Batch of their bytes. Saves ZeroMQ's per-message cost on busy links and
// adds nothing to a lone request.
#ifndef ARBOR_WIRE_BATCH_H_
#define ARBOR_WIRE_BATCH_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace arbor::wire {

// A batch frame larger than this is sent at once (well under ZMQ_MAXMSGSIZE).
inline constexpr size_t kMaxBatchBytes = 64 * 1024;
// A batch of this many envelopes is sent at once: the peer starts on them while
// this process reads on (whole-turn batches would serialize the two).
inline constexpr size_t kMaxBatchCount = 16;

class BatchWriter {
 public:
  BatchWriter() { Clear(); }

  // Appends one serialized envelope.
  void Add(std::string_view envelope);
  // The frame to send: the envelope itself when there is one, else the batch.
  // Valid until the next Add or Clear. Empty when nothing was added.
  std::string_view Frame();
  void Clear();

  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t bytes() const { return buffer_.size() - kHeaderRoom; }
  // Full: send it now (kMaxBatchBytes, kMaxBatchCount).
  bool full() const { return count_ >= kMaxBatchCount || bytes() >= kMaxBatchBytes; }

 private:
  // Room at the front for the batch envelope's header (version, field tag, length).
  static constexpr size_t kHeaderRoom = 16;
  std::string buffer_;
  size_t count_ = 0;
  size_t first_offset_ = 0;  // where the first envelope's bytes start
  size_t first_size_ = 0;
};

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_BATCH_H_
