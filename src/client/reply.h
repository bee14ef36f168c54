// A reply from the controller's client endpoint, bytes to Envelope. Replies need
// their own validation: a failed call's reply and a watch's confirmation carry a
// status and no body, which wire::Decode (written for the tree) rejects.
#ifndef ARBOR_CLIENT_REPLY_H_
#define ARBOR_CLIENT_REPLY_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"

namespace arbor::client {

// Parses one reply frame with wire::DecodeInto and accepts what it accepts,
// plus envelopes whose only fault is having no body. INVALID_ARGUMENT when the
// bytes do not parse or an id is out of range; FAILED_PRECONDITION when the
// version is not wire::kProtocolVersion. A reply with correlation_id 0 (the
// controller could not read ours) decodes: matching it to no call is the
// caller's business.
absl::StatusOr<v1::Envelope> DecodeReply(std::string_view bytes);
// The same into `out` (an arena envelope on the hot path); `out` is left as
// parsed even when the status is not OK.
absl::Status DecodeReplyInto(std::string_view bytes, v1::Envelope& out);

// The outcome a reply carries: OK, or its status code and message. A code that
// is not an absl::StatusCode becomes UNKNOWN.
absl::Status ReplyStatus(const v1::Envelope& reply);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_REPLY_H_
