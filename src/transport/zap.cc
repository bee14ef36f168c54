#include "transport/zap.h"

#include <string_view>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/types/span.h"
#include "common/status_macros.h"
#include "transport/curve.h"
#include "zmq.h"

namespace arbor::transport {

namespace {

constexpr size_t kCurveKeyBytes = 32;
// ZAP requests answered per readable turn (as receive_batch elsewhere).
constexpr int kServeBatch = 256;

// A request's frames after the envelope (RFC 27).
enum Field { kVersion, kRequestId, kDomain, kAddress, kIdentity, kMechanism, kCredentials };

}  // namespace

absl::StatusOr<std::unique_ptr<ZapHandler>> ZapHandler::Bind(Context& context, EventLoop& loop,
                                                             ZapPolicy policy) {
  ASSIGN_OR_RETURN(std::unique_ptr<ZapHandler> handler, Bind(context, loop));
  handler->Serve(kZapDomain, std::move(policy));
  return handler;
}

absl::StatusOr<std::unique_ptr<ZapHandler>> ZapHandler::Bind(Context& context, EventLoop& loop) {
  ASSIGN_OR_RETURN(Socket socket, Socket::Router(context, SocketOptions()));
  socket.SetLinger(0);
  RETURN_IF_ERROR(socket.Bind(kZapEndpoint).status());
  auto handler = absl::WrapUnique(new ZapHandler(loop, std::move(socket)));
  ZapHandler* self = handler.get();
  loop.AddSocket(handler->socket_, [self] { self->ServeReady(); });
  return handler;
}

ZapHandler::~ZapHandler() { loop_.RemoveSocket(socket_); }

void ZapHandler::Serve(const std::string& domain, ZapPolicy policy) {
  policies_[domain] = std::move(policy);
}

void ZapHandler::ServeReady() {
  // Bounded: anyone who can reach a CURVE socket can make handshakes (with a key
  // of their own) and so ZAP requests; the other sockets get their turn.
  for (int i = 0; i < kServeBatch; ++i) {
    absl::StatusOr<bool> got = socket_.Receive(frames_);
    if (!got.ok() || !*got) return;
    Answer();
  }
}

ZapHandler::Verdict ZapHandler::Decide(absl::Span<const std::string> request) {
  if (request.size() <= kMechanism || request[kVersion] != "1.0") {
    return {Outcome::kMalformed, "malformed ZAP request", ""};
  }
  if (request[kMechanism] != "CURVE") return {Outcome::kRejected, "only CURVE is accepted", ""};
  auto served = policies_.find(request[kDomain]);
  if (served == policies_.end()) return {Outcome::kRejected, "not an arbor socket", ""};
  if (request.size() != kCredentials + 1 || request[kCredentials].size() != kCurveKeyBytes) {
    return {Outcome::kMalformed, "malformed CURVE credentials", ""};
  }
  char key[kZ85KeyLength + 1];
  zmq_z85_encode(key, reinterpret_cast<const uint8_t*>(request[kCredentials].data()),
                 kCurveKeyBytes);
  std::optional<std::string> user_id = served->second(
      ZapRequest{request[kDomain], request[kAddress], std::string(key, kZ85KeyLength)});
  // An empty user id would leave the connection's messages without a User-Id.
  if (!user_id.has_value() || user_id->empty()) return {Outcome::kRejected, "key not allowed", ""};
  return {Outcome::kAccepted, "OK", std::move(*user_id)};
}

void ZapHandler::Answer() {
  // frames_: [peer routing id, envelope..., "", request...]. The reply goes
  // back along the same envelope; one without a delimiter gets one.
  size_t delimiter = 1;
  while (delimiter < frames_.size() && !frames_[delimiter].empty()) ++delimiter;
  std::vector<std::string_view> reply(frames_.begin(),
                                      frames_.begin() + std::min(delimiter, frames_.size()));
  reply.push_back("");
  absl::Span<const std::string> request;
  if (delimiter < frames_.size()) request = absl::MakeConstSpan(frames_).subspan(delimiter + 1);

  Verdict verdict = Decide(request);
  std::string_view code = "400";
  switch (verdict.outcome) {
    case Outcome::kAccepted:
      ++counters_.accepted;
      code = "200";
      break;
    case Outcome::kRejected:
      ++counters_.rejected;
      break;
    case Outcome::kMalformed:
      ++counters_.malformed;
      break;
  }
  std::string_view request_id;
  if (request.size() > kRequestId) request_id = request[kRequestId];
  for (std::string_view frame : {std::string_view("1.0"), request_id, code, verdict.text,
                                 std::string_view(verdict.user_id), std::string_view()}) {
    reply.push_back(frame);
  }
  // A requester gone meanwhile (UNAVAILABLE) has nobody left to tell.
  socket_.Send(reply).IgnoreError();
}

}  // namespace arbor::transport
