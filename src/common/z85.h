// Z85 (ZeroMQ RFC 32), the text form of CURVE keys, and the hex form they take
// on a command line (Z85 has shell metacharacters; hex is safe through any
// launcher, ssh's remote shell included).
#ifndef ARBOR_COMMON_Z85_H_
#define ARBOR_COMMON_Z85_H_

#include <optional>
#include <string>
#include <string_view>

namespace arbor {

// `bytes` (a multiple of 4 long) in Z85.
std::string Z85Encode(std::string_view bytes);
// The bytes of `text` (a multiple of 5 long, every group at most 2^32 - 1);
// nullopt for anything else.
std::optional<std::string> Z85Decode(std::string_view text);

// A Z85 key as lowercase hex (2 digits per byte); "" for text that is not Z85.
std::string Z85ToHex(std::string_view z85);
// The inverse: nullopt unless `hex` is an even number of hex digits whose
// bytes are a multiple of 4 long.
std::optional<std::string> HexToZ85(std::string_view hex);

}  // namespace arbor

#endif  // ARBOR_COMMON_Z85_H_
