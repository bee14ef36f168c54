#include "wire/scratch.h"

namespace arbor::wire {
namespace {

google::protobuf::ArenaOptions OptionsFor(char* block, size_t size) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = size;
  return options;
}

}  // namespace

ScratchEnvelope::ScratchEnvelope()
    : block_(new char[kBlockBytes]),
      arena_(std::make_unique<google::protobuf::Arena>(OptionsFor(block_.get(), kBlockBytes))) {}

v1::Envelope& ScratchEnvelope::Fresh() {
  // Reset frees any block beyond the first (a large message) and keeps the first.
  if (++handed_out_ >= kResetEvery || arena_->SpaceAllocated() > kBlockBytes) {
    arena_->Reset();
    handed_out_ = 0;
  }
  return *google::protobuf::Arena::CreateMessage<v1::Envelope>(arena_.get());
}

}  // namespace arbor::wire
