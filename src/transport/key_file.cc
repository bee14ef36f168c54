#include "transport/key_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace arbor::transport {

namespace {

// errno as a Status about `path`.
absl::Status ErrnoStatus(int error, const std::string& what, const std::string& path) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    default:
      return absl::FailedPreconditionError(message);
  }
}

// Creates `path` (O_EXCL) with exactly `mode` and writes `text` to it.
absl::Status WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return ErrnoStatus(errno, "cannot create", path);
  // The umask may have taken bits off; the mode is part of the contract.
  bool ok = fchmod(fd, mode) == 0;
  ok = ok && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int error = errno;
  ok = close(fd) == 0 && ok;
  if (!ok) {
    unlink(path.c_str());
    return ErrnoStatus(error, "cannot write", path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ParseKeyText(std::string_view text) {
  std::string key;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (!key.empty()) return absl::InvalidArgumentError("more than one key in it");
    if (!IsZ85Key(std::string_view(line.data(), line.size()))) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a Z85 CURVE key (", kZ85KeyLength,
                       " characters of the Z85 alphabet expected, got ", line.size(), ")"));
    }
    key.assign(line.data(), line.size());
  }
  if (key.empty()) return absl::InvalidArgumentError("no key in it");
  return key;
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot read key file", path);
  std::string text(kMaxKeyFileBytes + 1, '\0');
  size_t size = 0;
  int error = 0;
  while (size < text.size()) {
    ssize_t n = read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    size += static_cast<size_t>(n);
  }
  close(fd);
  if (error != 0) return ErrnoStatus(error, "cannot read key file", path);
  if (size > kMaxKeyFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, ": larger than ", kMaxKeyFileBytes, " bytes"));
  }
  text.resize(size);
  absl::StatusOr<std::string> key = ParseKeyText(text);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::string> ReadSecretKeyFile(const std::string& path) {
  if (path.ends_with(".pub")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a public key file: give the secret key (without .pub)"));
  }
  ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path));
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot read key file", path);
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("secret key file %s may be read by others (mode %04o): chmod 600 it", path,
                        st.st_mode & 07777));
  }
  return key;
}

absl::StatusOr<CurveKeyPair> WriteKeyPair(const std::string& path) {
  ASSIGN_OR_RETURN(CurveKeyPair keys, GenerateCurveKeyPair());
  RETURN_IF_ERROR(WriteNew(path, keys.secret_z85 + "\n", 0600));
  absl::Status pub = WriteNew(path + ".pub", keys.public_z85 + "\n", 0644);
  if (!pub.ok()) {
    unlink(path.c_str());  // no secret without its public half
    return pub;
  }
  return keys;
}

}  // namespace arbor::transport
