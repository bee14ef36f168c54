// Envelope <-> bytes: the only place that serializes or parses protobuf, and the
// validation every decoded envelope passes before anyone acts on it.
#ifndef ARBOR_WIRE_CODEC_H_
#define ARBOR_WIRE_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"

namespace arbor::wire {

// The schema's own VERSION_CURRENT: the one definition (Python and Node read it too).
inline constexpr uint32_t kProtocolVersion = v1::VERSION_CURRENT;
// Longest legitimate route (tree depth) and endpoint; bigger envelopes are invalid.
inline constexpr int kMaxRouteLength = 100000;
inline constexpr size_t kMaxEndpointLength = 256;

// Serializes `envelope` with the current protocol version.
std::string Encode(const v1::Envelope& envelope);
// The same into `out`, whose buffer is reused: hot paths keep one per socket.
void EncodeTo(const v1::Envelope& envelope, std::string& out);

// Parses and validates. INVALID_ARGUMENT (with a reason) when the bytes do not
// parse, the version differs (FAILED_PRECONDITION), an id is out of range, a key
// does not match [A-Za-z0-9]{1,64}, or no body is set.
absl::StatusOr<v1::Envelope> Decode(std::string_view bytes);

// Like Decode, but fills `out` even when validation fails (so a reply can echo
// its correlation id); `out` is cleared when the bytes do not parse.
absl::Status DecodeInto(std::string_view bytes, v1::Envelope& out);

// Validation alone, for envelopes built in memory.
absl::Status Validate(const v1::Envelope& envelope);

// Stops libprotobuf's own log: it writes an ERROR line for every frame with a
// bad UTF-8 string, so hostile input could flood stderr. Those frames fail to
// decode and are counted as dropped frames instead. Called once by each main.
void SilenceParserLog();


}  // namespace arbor::wire

#endif  // ARBOR_WIRE_CODEC_H_
