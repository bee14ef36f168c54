// A listening socket's file (ipc://PATH) as the client endpoint needs it:
// whether another live process serves that path, a bind whose socket file is
// owner-only, and removal of the file only while it is still ours.
#ifndef ARBOR_TRANSPORT_LISTEN_FILE_H_
#define ARBOR_TRANSPORT_LISTEN_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "transport/socket.h"

namespace arbor::transport {

// True when something accepts connections on the unix socket at `path`.
bool IpcPathInUse(const std::string& path);

// True for tcp://127.x.x.x:..., tcp://localhost:..., tcp://[::1]:... and ipc://.
bool IsLocalEndpoint(const std::string& endpoint);

// The socket file of an ipc endpoint, unlinked on destruction only if it is
// still the one we bound (never one another controller bound since).
class ListenFile {
 public:
  ListenFile() = default;
  ListenFile(ListenFile&& other) noexcept : path_(std::move(other.path_)), inode_(other.inode_) {
    other.path_.clear();
  }
  ListenFile& operator=(ListenFile&&) = delete;
  ListenFile(const ListenFile&) = delete;
  ListenFile& operator=(const ListenFile&) = delete;
  ~ListenFile();

  // Binds `socket` to `endpoint`; an ipc socket file is created owner-only
  // (mode 0600: whoever can connect can spawn processes). Returns the endpoint
  // actually bound (a tcp port resolved).
  static absl::StatusOr<std::string> Bind(Socket& socket, const std::string& endpoint,
                                          ListenFile& file);

 private:
  std::string path_;  // empty: not an ipc endpoint
  ino_t inode_ = 0;
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_LISTEN_FILE_H_
