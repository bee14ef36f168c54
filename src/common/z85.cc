#include "common/z85.h"

#include <cstdint>

namespace arbor {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr std::string_view kHexDigits = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Z85Encode(std::string_view bytes) {
  std::string text;
  if (bytes.size() % 4 != 0) return text;
  for (size_t i = 0; i < bytes.size(); i += 4) {
    uint32_t value = 0;
    for (size_t j = i; j < i + 4; ++j) value = value * 256 + static_cast<uint8_t>(bytes[j]);
    char group[5];
    for (int k = 4; k >= 0; --k) {
      group[k] = kAlphabet[value % 85];
      value /= 85;
    }
    text.append(group, 5);
  }
  return text;
}

std::optional<std::string> Z85Decode(std::string_view text) {
  if (text.size() % 5 != 0) return std::nullopt;
  std::string bytes;
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t value = 0;
    for (size_t j = i; j < i + 5; ++j) {
      size_t digit = kAlphabet.find(text[j]);
      if (digit == std::string_view::npos) return std::nullopt;
      value = value * 85 + digit;
    }
    if (value > UINT32_MAX) return std::nullopt;  // would wrap into another key
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((value >> shift) & 0xff));
    }
  }
  return bytes;
}

std::string Z85ToHex(std::string_view z85) {
  std::optional<std::string> bytes = Z85Decode(z85);
  std::string hex;
  if (!bytes) return hex;
  for (char c : *bytes) {
    hex.push_back(kHexDigits[static_cast<uint8_t>(c) >> 4]);
    hex.push_back(kHexDigits[static_cast<uint8_t>(c) & 0xf]);
  }
  return hex;
}

std::optional<std::string> HexToZ85(std::string_view hex) {
  if (hex.size() % 8 != 0) return std::nullopt;
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = HexValue(hex[i]);
    int low = HexValue(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return Z85Encode(bytes);
}

}  // namespace arbor
