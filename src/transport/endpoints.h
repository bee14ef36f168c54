// Where sockets bind: never a fixed port. ipc (default): one fresh private
// directory per controller (mode 0700), one path per worker incarnation
// (<dir>/<id>.<pid>). tcp: 127.0.0.1 with a kernel-chosen port.
#ifndef ARBOR_TRANSPORT_ENDPOINTS_H_
#define ARBOR_TRANSPORT_ENDPOINTS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "common/ids.h"

namespace arbor::transport {

enum class Transport { kIpc, kTcp };

// Parses "ipc" or "tcp".
absl::StatusOr<Transport> ParseTransport(const std::string& name);

// sun_path holds 108 bytes including the terminating NUL.
inline constexpr size_t kMaxIpcPath = 107;

// The endpoint a worker binds: ipc://<dir>/<id>.<pid> or tcp://127.0.0.1:*.
std::string WorkerBindEndpoint(Transport transport, const std::string& dir, NodeId id, pid_t pid);

// A host's address (--hosts: IPv4 or a DNS name) as the IPv4 address libzmq
// can bind (its tcp bind takes no DNS name): a numeric one as it is, a name
// through getaddrinfo (the first IPv4 answer). UNAVAILABLE, naming it, when
// it does not resolve. May block on DNS: call it at start, not in the loop.
absl::StatusOr<std::string> BindableAddress(const std::string& address);

// A private directory for ipc endpoints, removed with everything in it when the
// object is destroyed.
class IpcDirectory {
 public:
  // Creates $TMPDIR/arbor-XXXXXX (or /tmp) with mode 0700. FAILED_PRECONDITION
  // when the longest endpoint path in it would not fit in sun_path.
  static absl::StatusOr<IpcDirectory> Create();
  IpcDirectory(IpcDirectory&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  IpcDirectory& operator=(IpcDirectory&&) = delete;
  IpcDirectory(const IpcDirectory&) = delete;
  IpcDirectory& operator=(const IpcDirectory&) = delete;
  ~IpcDirectory();

  const std::string& path() const { return path_; }

 private:
  explicit IpcDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_ENDPOINTS_H_
