#include "client/reply.h"

#include "absl/strings/str_cat.h"
#include "wire/codec.h"

namespace arbor::client {
namespace {

// absl::StatusCode's values: 0 (OK) .. 16 (UNAUTHENTICATED).
constexpr int kMaxStatusCode = 16;

}  // namespace

absl::Status DecodeReplyInto(std::string_view bytes, v1::Envelope& reply) {
  // Parsing stays in the codec; only its "no body" verdict is overruled here.
  absl::Status status = wire::DecodeInto(bytes, reply);
  if (status.ok() || reply.body_case() != v1::Envelope::BODY_NOT_SET) return status;
  // Body-less: valid when it would pass with a body (version, target, route).
  // Bytes that did not parse left `reply` cleared (version 0), so they fail here.
  v1::Envelope with_body = reply;
  with_body.mutable_watch_request();
  if (!wire::Validate(with_body).ok()) return status;
  return absl::OkStatus();
}

absl::StatusOr<v1::Envelope> DecodeReply(std::string_view bytes) {
  v1::Envelope reply;
  absl::Status status = DecodeReplyInto(bytes, reply);
  if (!status.ok()) return status;
  return reply;
}

absl::Status ReplyStatus(const v1::Envelope& reply) {
  if (!reply.has_status() || reply.status().code() == 0) return absl::OkStatus();
  int code = reply.status().code();
  if (code < 0 || code > kMaxStatusCode) {
    return absl::UnknownError(absl::StrCat("status code ", code, ": ", reply.status().message()));
  }
  return absl::Status(static_cast<absl::StatusCode>(code), reply.status().message());
}

}  // namespace arbor::client
