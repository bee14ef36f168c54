#include "wire/batch.h"

#include "arbor/v1/arbor.pb.h"
#include "wire/codec.h"

namespace arbor::wire {
namespace {

constexpr int kLengthDelimited = 2;
constexpr int kVarint = 0;

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendTag(std::string& out, int field, int wire_type) {
  AppendVarint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type));
}

}  // namespace

void BatchWriter::Add(std::string_view envelope) {
  AppendTag(buffer_, v1::Batch::kEnvelopesFieldNumber, kLengthDelimited);
  AppendVarint(buffer_, envelope.size());
  if (count_ == 0) {
    first_offset_ = buffer_.size();
    first_size_ = envelope.size();
  }
  buffer_.append(envelope);
  ++count_;
}

std::string_view BatchWriter::Frame() {
  if (count_ == 0) return {};
  if (count_ == 1) return std::string_view(buffer_).substr(first_offset_, first_size_);
  // Envelope{version: 1, batch: Batch{envelopes...}}: the header goes right
  // before the Batch's fields, in the room kept at the front.
  std::string header;
  AppendTag(header, v1::Envelope::kVersionFieldNumber, kVarint);
  AppendVarint(header, kProtocolVersion);
  AppendTag(header, v1::Envelope::kBatchFieldNumber, kLengthDelimited);
  AppendVarint(header, bytes());
  size_t start = kHeaderRoom - header.size();
  buffer_.replace(start, header.size(), header);
  return std::string_view(buffer_).substr(start);
}

void BatchWriter::Clear() {
  buffer_.assign(kHeaderRoom, '\0');
  count_ = 0;
  first_offset_ = 0;
  first_size_ = 0;
}

int Unbatch(v1::Envelope& frame, std::string_view bytes, ScratchEnvelope& inner,
            absl::FunctionRef<void(v1::Envelope&, std::string_view)> handle,
            absl::FunctionRef<void(const absl::Status&)> drop, absl::FunctionRef<bool()> stop) {
  if (!frame.has_batch()) {
    handle(frame, bytes);
    return 1;
  }
  int taken = 0;
  for (const std::string& element : frame.batch().envelopes()) {
    if (stop()) break;
    ++taken;
    v1::Envelope& envelope = inner.Fresh();
    absl::Status decoded = DecodeInto(element, envelope);
    if (decoded.ok() && envelope.has_batch()) decoded = absl::InvalidArgumentError("nested batch");
    if (!decoded.ok()) {
      drop(decoded);
      continue;
    }
    handle(envelope, element);
  }
  return taken;
}

}  // namespace arbor::wire
