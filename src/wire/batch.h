// Envelopes bound for one peer, gathered during one turn of the event loop and
// sent as one frame: one envelope as itself, several as an Envelope whose body
// is a Batch of their bytes. Saves ZeroMQ's per-message cost on busy links and
// adds nothing to a lone request.
#ifndef ARBOR_WIRE_BATCH_H_
#define ARBOR_WIRE_BATCH_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "arbor/v1/arbor.pb.h"
#include "wire/scratch.h"

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

// The receiving side. `frame` is a decoded, validated envelope and `bytes` its
// frame. Calls `handle(envelope, its bytes)` for the frame itself when it is
// not a batch, else for each envelope inside, decoded into `inner` (valid until
// the next one); `drop(why)` for one that does not decode or is itself a
// batch. Stops early once `stop()` is true. Returns how many envelopes it took.
int Unbatch(v1::Envelope& frame, std::string_view bytes, ScratchEnvelope& inner,
            absl::FunctionRef<void(v1::Envelope&, std::string_view)> handle,
            absl::FunctionRef<void(const absl::Status&)> drop, absl::FunctionRef<bool()> stop);

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_BATCH_H_
