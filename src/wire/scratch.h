// An envelope to decode into on a hot path, living in an arena that is reset
// every kResetEvery messages (or sooner, once a large message made it grow past
// its first block): no allocation per message, and the reset — several hundred
// instructions in protobuf 3.21 — is paid once per batch of messages. Whatever
// must outlive the message is copied out.
#ifndef ARBOR_WIRE_SCRATCH_H_
#define ARBOR_WIRE_SCRATCH_H_

#include <memory>

#include <google/protobuf/arena.h>

#include "arbor/v1/arbor.pb.h"

namespace arbor::wire {

class ScratchEnvelope {
 public:
  ScratchEnvelope();
  ScratchEnvelope(const ScratchEnvelope&) = delete;
  ScratchEnvelope& operator=(const ScratchEnvelope&) = delete;

  // A new empty envelope; the one handed out before must no longer be used
  // (its memory is reclaimed by a later call).
  v1::Envelope& Fresh();

 private:
  // An exec envelope takes ~250 bytes of arena: 16 fit in the first block.
  static constexpr size_t kBlockBytes = 8192;
  static constexpr int kResetEvery = 16;
  std::unique_ptr<char[]> block_;
  std::unique_ptr<google::protobuf::Arena> arena_;
  int handed_out_ = 0;  // since the last reset
};

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_SCRATCH_H_
