#include "transport/endpoints.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace arbor::transport {

absl::StatusOr<Transport> ParseTransport(const std::string& name) {
  if (name == "ipc") return Transport::kIpc;
  if (name == "tcp") return Transport::kTcp;
  return absl::InvalidArgumentError(absl::StrCat("unknown transport '", name, "' (ipc or tcp)"));
}

std::string WorkerBindEndpoint(Transport transport, const std::string& dir, NodeId id, pid_t pid) {
  if (transport == Transport::kTcp) return "tcp://127.0.0.1:*";
  return absl::StrCat("ipc://", dir, "/", id, ".", pid);
}

absl::StatusOr<IpcDirectory> IpcDirectory::Create() {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string pattern = base + "/arbor-XXXXXX";
  // Longest name inside: "<id>.<pid>" = 10 digits + '.' + 7 digits (pid_max 2^22).
  size_t longest = pattern.size() + 1 + 10 + 1 + 7;
  if (longest > kMaxIpcPath) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ipc socket paths under '", base, "' would be ", longest, " bytes, over the ",
        kMaxIpcPath, "-byte limit: set TMPDIR to a shorter directory or use --transport tcp"));
  }
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", pattern, ": ", std::strerror(errno)));
  }
  return IpcDirectory(std::string(buffer.data()));
}

IpcDirectory::~IpcDirectory() {
  if (path_.empty()) return;
  if (DIR* dir = opendir(path_.c_str())) {
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      ::unlink((path_ + "/" + name).c_str());
    }
    closedir(dir);
  }
  ::rmdir(path_.c_str());
}

absl::StatusOr<std::string> BindableAddress(const std::string& address) {
  in_addr numeric{};
  if (::inet_pton(AF_INET, address.c_str(), &numeric) == 1) return address;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = ::getaddrinfo(address.c_str(), nullptr, &hints, &found); error != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve '", address, "': ", ::gai_strerror(error)));
  }
  char text[INET_ADDRSTRLEN] = {};
  const auto* ip = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  bool ok = ::inet_ntop(AF_INET, &ip->sin_addr, text, sizeof text) != nullptr;
  ::freeaddrinfo(found);
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot resolve '", address, "'"));
  return std::string(text);
}

}  // namespace arbor::transport
