// Fuzzes what every process does with a frame from a peer: bytes ->
// wire::DecodeInto (parse + Validate) -> wire::Unbatch, and what the C++ client
// does with a reply frame (client::DecodeReply). Besides "no crash, no UB, no
// leak" it checks what these functions promise (wire/codec.h, wire/batch.h,
// client/reply.h):
//  - Decode and DecodeInto give the same verdict; bytes that do not parse leave
//    DecodeInto's envelope cleared, bytes that parse leave it as parsed, and the
//    verdict is then Validate's;
//  - an envelope that decodes re-encodes (wire::Encode) to bytes that decode to
//    an equal envelope;
//  - Unbatch takes at most kMaxBatchCount envelopes, hands out only valid ones
//    that are not batches, calls handle or drop once per envelope taken, and
//    stops when told;
//  - a batch's elements put through a BatchWriter come out as the same bytes;
//  - DecodeReply accepts what DecodeInto accepts and, beyond that, only
//    envelopes of the current version whose one fault is having no body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "client/reply.h"
#include "fuzz_check.h"
#include "wire/batch.h"
#include "wire/codec.h"
#include "wire/scratch.h"

namespace arbor::fuzz {
namespace {

bool Same(const v1::Envelope& a, const v1::Envelope& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// `decoded` and `status` are DecodeInto's result for `bytes`.
void CheckCodec(std::string_view bytes, const v1::Envelope& decoded, const absl::Status& status) {
  ARBOR_FUZZ_CHECK(status.ok() || status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<v1::Envelope> decoded_again = wire::Decode(bytes);
  ARBOR_FUZZ_CHECK(decoded_again.status() == status);
  if (decoded_again.ok()) ARBOR_FUZZ_CHECK(Same(*decoded_again, decoded));

  v1::Envelope parsed;
  if (!parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    ARBOR_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    ARBOR_FUZZ_CHECK(decoded.ByteSizeLong() == 0);  // cleared
    return;
  }
  ARBOR_FUZZ_CHECK(Same(parsed, decoded));
  ARBOR_FUZZ_CHECK(wire::Validate(parsed) == status);
  if (!status.ok()) return;

  ARBOR_FUZZ_CHECK(decoded.version() == wire::kProtocolVersion);
  std::string encoded = wire::Encode(decoded);
  v1::Envelope round_trip;
  ARBOR_FUZZ_CHECK(wire::DecodeInto(encoded, round_trip).ok());
  ARBOR_FUZZ_CHECK(Same(round_trip, decoded));
}

// `frame` decoded from `bytes` and is valid. Unbatch asks `stop` before each
// element of a batch; here it says stop once `stop_after` were taken.
void CheckUnbatch(v1::Envelope& frame, std::string_view bytes, size_t stop_after) {
  const bool is_batch = frame.has_batch();
  const size_t elements = is_batch ? static_cast<size_t>(frame.batch().envelopes_size()) : 1;
  wire::ScratchEnvelope inner;
  size_t handled = 0;
  size_t dropped = 0;
  int taken = wire::Unbatch(
      frame, bytes, inner,
      [&](v1::Envelope& envelope, std::string_view envelope_bytes) {
        ++handled;
        if (!is_batch) {
          ARBOR_FUZZ_CHECK(&envelope == &frame && envelope_bytes == bytes);
          return;
        }
        ARBOR_FUZZ_CHECK(!envelope.has_batch());
        ARBOR_FUZZ_CHECK(wire::Validate(envelope).ok());
        v1::Envelope again;  // the bytes handed out are this envelope's
        ARBOR_FUZZ_CHECK(wire::DecodeInto(envelope_bytes, again).ok());
        ARBOR_FUZZ_CHECK(Same(again, envelope));
      },
      [&](const absl::Status& why) {
        ++dropped;
        ARBOR_FUZZ_CHECK(!why.ok());
      },
      [&] { return handled + dropped >= stop_after; });
  ARBOR_FUZZ_CHECK(taken >= 0 && static_cast<size_t>(taken) == handled + dropped);
  ARBOR_FUZZ_CHECK(static_cast<size_t>(taken) <= wire::kMaxBatchCount);
  if (is_batch) {
    ARBOR_FUZZ_CHECK(static_cast<size_t>(taken) == std::min(stop_after, elements));
  } else {
    ARBOR_FUZZ_CHECK(taken == 1);  // a lone envelope is handled whatever `stop` says
  }
}

// The elements of a valid batch, re-framed by a BatchWriter: one as itself,
// several as a batch that decodes to the same bytes in the same order.
void CheckRebatch(const v1::Batch& batch) {
  wire::BatchWriter writer;
  for (const std::string& element : batch.envelopes()) writer.Add(element);
  ARBOR_FUZZ_CHECK(writer.count() == static_cast<size_t>(batch.envelopes_size()));
  if (batch.envelopes_size() == 1) {
    ARBOR_FUZZ_CHECK(writer.Frame() == batch.envelopes(0));
    return;
  }
  absl::StatusOr<v1::Envelope> frame = wire::Decode(writer.Frame());
  ARBOR_FUZZ_CHECK(frame.ok() && frame->has_batch());
  ARBOR_FUZZ_CHECK(frame->batch().envelopes_size() == batch.envelopes_size());
  for (int i = 0; i < batch.envelopes_size(); ++i) {
    ARBOR_FUZZ_CHECK(frame->batch().envelopes(i) == batch.envelopes(i));
  }
}

// `status` is DecodeInto's verdict on `bytes`.
void CheckReply(std::string_view bytes, const absl::Status& status) {
  v1::Envelope reply;
  absl::Status reply_status = client::DecodeReplyInto(bytes, reply);
  absl::StatusOr<v1::Envelope> reply_again = client::DecodeReply(bytes);
  ARBOR_FUZZ_CHECK(reply_again.status() == reply_status);
  if (status.ok()) ARBOR_FUZZ_CHECK(reply_status.ok());
  if (!reply_status.ok()) {
    ARBOR_FUZZ_CHECK(reply_status == status);
    return;
  }
  ARBOR_FUZZ_CHECK(Same(*reply_again, reply));
  if (!status.ok()) {
    ARBOR_FUZZ_CHECK(reply.body_case() == v1::Envelope::BODY_NOT_SET);
    ARBOR_FUZZ_CHECK(reply.version() == wire::kProtocolVersion);
  }
  // The outcome is a real absl::StatusCode: the code sent, or UNKNOWN.
  absl::Status outcome = client::ReplyStatus(reply);
  int sent = reply.status().code();
  if (sent >= 0 && sent <= 16) {
    ARBOR_FUZZ_CHECK(outcome.raw_code() == sent);
  } else {
    ARBOR_FUZZ_CHECK(outcome.code() == absl::StatusCode::kUnknown);
  }
}

void FuzzOne(std::string_view bytes) {
  v1::Envelope frame;
  absl::Status status = wire::DecodeInto(bytes, frame);
  CheckCodec(bytes, frame, status);
  CheckReply(bytes, status);
  if (!status.ok()) return;
  CheckUnbatch(frame, bytes, std::numeric_limits<size_t>::max());
  CheckUnbatch(frame, bytes, bytes.size() % (wire::kMaxBatchCount + 2));
  if (frame.has_batch()) CheckRebatch(frame.batch());
}

}  // namespace
}  // namespace arbor::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // libprotobuf logs an ERROR for each string field with invalid UTF-8 it
  // rejects: hundreds per second here, which would bury libFuzzer's output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  arbor::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
