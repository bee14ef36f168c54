// An envelope to decode into on a hot path, living in an arena that is reset
// for every message: no allocation per message once the arena's first block
// holds one (a few KiB). Whatever must outlive the message is copied out.
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

  // A new empty envelope; the one handed out before (and all it held) is gone.
  v1::Envelope& Fresh();

 private:
  static constexpr size_t kBlockBytes = 8192;
  std::unique_ptr<char[]> block_;
  std::unique_ptr<google::protobuf::Arena> arena_;
};

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_SCRATCH_H_
