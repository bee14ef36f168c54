#include "transport/listen_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"

namespace arbor::transport {

bool IpcPathInUse(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) return false;  // bind will say so
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool in_use = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return in_use;
}

bool IsLocalEndpoint(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "ipc://")) return true;
  if (!absl::StartsWith(endpoint, "tcp://")) return false;
  std::string rest = endpoint.substr(6);
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  return absl::StartsWith(host, "127.") || host == "localhost" || host == "[::1]";
}

absl::StatusOr<std::string> ListenFile::Bind(Socket& socket, const std::string& endpoint,
                                             ListenFile& file) {
  mode_t old_mask = ::umask(0077);
  absl::StatusOr<std::string> bound = socket.Bind(endpoint);
  ::umask(old_mask);
  if (!bound.ok() || !absl::StartsWith(*bound, "ipc://")) return bound;
  file.path_ = bound->substr(6);
  ::chmod(file.path_.c_str(), 0600);
  struct stat st;
  if (::stat(file.path_.c_str(), &st) == 0) file.inode_ = st.st_ino;
  return bound;
}

ListenFile::~ListenFile() {
  struct stat st;
  if (!path_.empty() && ::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) {
    ::unlink(path_.c_str());
  }
}

}  // namespace arbor::transport
