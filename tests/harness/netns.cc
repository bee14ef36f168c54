// Simulated hosts from network namespaces: iproute2 batches to build and tear
// down, a /proc scan and pidfds to kill, setns in a short-lived thread to probe.
#include "harness/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "harness/subprocess.h"
#include "harness/processes.h"

namespace arbor::testing {
namespace {

// How long one `ip` batch or one teardown may take before it is an error.
constexpr absl::Duration kIpDeadline = absl::Seconds(10);

// The interface group of the bridge and the veth ends in the controller's
// namespace (where nothing else but lo lives), so one `link del group` removes them all.
constexpr int kLinkGroup = 42;

std::atomic<int> fixtures_made{0};

std::string Base36(uint64_t value, int width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kDigits[value % 36];
    value /= 36;
  }
  return out;
}

std::string NetnsPath(const std::string& netns) { return "/run/netns/" + netns; }

// A namespace's identity as `ip netns pids` compares it: (device, inode).
using NsId = std::pair<dev_t, ino_t>;

std::optional<NsId> NsIdOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return NsId{st.st_dev, st.st_ino};
}

bool InNamespaces(pid_t pid, const std::vector<NsId>& ids) {
  std::optional<NsId> id = NsIdOf(absl::StrCat("/proc/", pid, "/ns/net"));
  if (!id) return false;  // gone, or a zombie (its namespaces are released)
  for (const NsId& n : ids) {
    if (n == *id) return true;
  }
  return false;
}

// Every process (thread-group leader) in one of `ids`, this process excepted.
std::vector<pid_t> PidsIn(const std::vector<NsId>& ids) {
  std::vector<pid_t> pids;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid != getpid() && InNamespaces(pid, ids)) pids.push_back(pid);
  }
  return pids;
}

std::string ErrnoText(const std::string& what) {
  return absl::StrCat(what, ": ", std::strerror(errno));
}

// Waits until `fd` is writable (a connect finished, either way) or `deadline`.
bool WaitWritable(int fd, absl::Time deadline) {
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    int ms =
        left <= absl::ZeroDuration() ? 0 : static_cast<int>(absl::ToInt64Milliseconds(left) + 1);
    pollfd p{fd, POLLOUT, 0};
    int n = poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || absl::Now() >= deadline) return false;
  }
}

}  // namespace

std::vector<std::string> UnsharePrefix(const Isolation& isolation) {
  bool time = isolation.monotonic_offset != absl::ZeroDuration();
  if (!isolation.private_pids && !time) return {};
  std::vector<std::string> prefix = {
      FindExecutable({"/usr/bin/unshare", "/bin/unshare"}).value_or("unshare")};
  if (isolation.private_pids) {
    prefix.insert(prefix.end(), {"--pid", "--fork", "--mount-proc", "--kill-child"});
  }
  if (time) {
    prefix.push_back("--time");
    prefix.push_back(
        absl::StrCat("--monotonic=", absl::ToInt64Seconds(isolation.monotonic_offset)));
  }
  prefix.push_back("--");
  return prefix;
}

std::optional<std::string> NetnsSkipReason(const absl::Status& created) {
  if (created.code() != absl::StatusCode::kPermissionDenied &&
      created.code() != absl::StatusCode::kUnavailable) {
    return std::nullopt;
  }
  return absl::StrCat("needs root for ip netns: ", created.message());
}

absl::StatusOr<std::unique_ptr<SimulatedHosts>> SimulatedHosts::Create(int hosts) {
  if (hosts < 1 || hosts > kMaxHosts) {
    return absl::InvalidArgumentError(
        absl::StrCat("hosts must be 1..", kMaxHosts, ", not ", hosts));
  }
  if (geteuid() != 0) {
    return absl::PermissionDeniedError(absl::StrCat("not root (euid ", geteuid(), ")"));
  }
  std::unique_ptr<SimulatedHosts> made(new SimulatedHosts());
  absl::Status built = made->Build(hosts);
  if (!built.ok()) {
    absl::Status torn = made->TearDown();
    if (!torn.ok()) {
      return absl::InternalError(absl::StrCat(built.message(), "; and ", torn.message()));
    }
    return built;
  }
  return made;
}

absl::Status SimulatedHosts::Build(int hosts) {
  std::optional<std::string> ip =
      FindExecutable({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"});
  if (!ip) return absl::UnavailableError("iproute2's ip not found");
  ip_ = *ip;

  // Names never used before by this pid: a crashed earlier process with the
  // same pid may have left its namespaces, which are not ours to touch.
  const pid_t pid = getpid();
  for (;;) {
    const int counter = fixtures_made++;
    const std::string prefix = absl::StrCat("arbor-", pid, "-", counter, "-");
    hosts_.clear();
    tag_ = Base36(static_cast<uint64_t>(pid), 5) + Base36(static_cast<uint64_t>(counter), 2);
    const int run = 1 + static_cast<int>((static_cast<int64_t>(pid) * 8 + counter) % 254);
    subnet_ = absl::StrCat("10.200.", run, ".0/24");
    bridge_ = "ab" + tag_;
    for (int k = 0; k <= hosts; ++k) {
      std::string name = k == 0 ? "local" : absl::StrCat("h", k);
      hosts_.push_back({name, prefix + name, absl::StrCat("10.200.", run, ".", k + 1),
                        k == 0 ? "" : absl::StrCat("ap", tag_, k)});
    }
    bool taken = false;
    for (const SimulatedHost& h : hosts_) taken = taken || NsIdOf(NetnsPath(h.netns)).has_value();
    if (!taken) break;
  }

  std::string add;
  for (const SimulatedHost& h : hosts_) absl::StrAppend(&add, "netns add ", h.netns, "\n");
  absl::Status added = Ip({"-b", "-"}, add);
  for (const SimulatedHost& h : hosts_) {
    if (NsIdOf(NetnsPath(h.netns))) created_.push_back(h.netns);
  }
  if (!added.ok()) return absl::UnavailableError(added.message());

  // The controller's host: the bridge, one veth pair per host (its far end
  // created straight into the host's namespace), the controller's address.
  const SimulatedHost& local = hosts_[0];
  links_made_ = true;
  std::string batch =
      absl::StrCat("link set lo up\nlink add ", bridge_, " group ", kLinkGroup, " type bridge\n");
  for (int k = 1; k <= hosts; ++k) {
    const SimulatedHost& h = hosts_[static_cast<size_t>(k)];
    absl::StrAppend(&batch, "link add ", h.port, " group ", kLinkGroup, " type veth peer name ah",
                    tag_, k, " netns ", h.netns, "\nlink set ", h.port, " master ", bridge_,
                    "\nlink set ", h.port, " up\n");
  }
  absl::StrAppend(&batch, "addr add ", local.address, "/24 dev ", bridge_, "\nlink set ", bridge_,
                  " up\n");
  if (absl::Status s = Ip({"-n", local.netns, "-b", "-"}, batch); !s.ok()) return s;
  for (int k = 1; k <= hosts; ++k) {
    const SimulatedHost& h = hosts_[static_cast<size_t>(k)];
    std::string veth = absl::StrCat("ah", tag_, k);
    if (absl::Status s = Ip({"-n", h.netns, "-b", "-"},
                            absl::StrCat("link set lo up\naddr add ", h.address, "/24 dev ", veth,
                                         "\nlink set ", veth, " up\n"));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

SimulatedHosts::~SimulatedHosts() {
  absl::Status torn = TearDown();
  if (!torn.ok()) ADD_FAILURE() << "simulated hosts left behind: " << torn;
}

absl::Status SimulatedHosts::TearDown() {
  absl::Time deadline = absl::Now() + kIpDeadline;
  absl::Status first = KillAllIn(created_, deadline);
  if (links_made_ && !created_.empty() && created_[0] == hosts_[0].netns) {
    // One request for all (the kernel unregisters them in one batch: ~60 ms
    // for 3 hosts, against ~100 ms one by one); deleting one end of a veth
    // pair deletes both. Best effort: whatever is left goes with its
    // namespace below, only asynchronously.
    Ip({"-n", hosts_[0].netns, "link", "del", "group", absl::StrCat(kLinkGroup)}).IgnoreError();
  }
  links_made_ = false;
  if (!created_.empty()) {
    std::string batch;
    for (const std::string& netns : created_) absl::StrAppend(&batch, "netns del ", netns, "\n");
    absl::Status deleted = Ip({"-force", "-b", "-"}, batch);
    if (first.ok()) first = deleted;
    std::vector<std::string> left;
    for (const std::string& netns : created_) {
      if (NsIdOf(NetnsPath(netns))) left.push_back(netns);
    }
    if (!left.empty() && first.ok()) {
      first =
          absl::InternalError(absl::StrCat("namespaces not deleted: ", absl::StrJoin(left, " ")));
    }
    created_ = std::move(left);
  }
  return first;
}

absl::Status SimulatedHosts::Ip(const std::vector<std::string>& args,
                                const std::string& batch) const {
  std::vector<std::string> argv = {ip_};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> ran = RunCommand(argv, batch, absl::Now() + kIpDeadline);
  if (!ran.ok()) return absl::InternalError(ran.status().message());
  if (ran->status != 0) {
    return absl::InternalError(absl::StrCat(JoinArgv(argv), " exited with ", ran->status, ": ",
                                            ran->err, batch.empty() ? "" : " (batch: ", batch,
                                            batch.empty() ? "" : ")"));
  }
  return absl::OkStatus();
}

std::vector<std::string> SimulatedHosts::Launcher(const SimulatedHost& host,
                                                  const Isolation& isolation) const {
  std::vector<std::string> prefix = {ip_, "netns", "exec", host.netns};
  std::vector<std::string> unshare = UnsharePrefix(isolation);
  prefix.insert(prefix.end(), unshare.begin(), unshare.end());
  return prefix;
}

std::vector<std::string> SimulatedHosts::Exec(const SimulatedHost& host,
                                              const std::vector<std::string>& argv,
                                              const Isolation& isolation) const {
  std::vector<std::string> full = Launcher(host, isolation);
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

std::string SimulatedHosts::HostsFile(const Isolation& isolation) const {
  std::string file = absl::StrCat("local ", controller().address, "\n");
  for (int k = 1; k <= size(); ++k) {
    Isolation own = isolation;
    if (own.offset_per_host) own.monotonic_offset *= k;
    absl::StrAppend(&file, host(k).name, " ", host(k).address, " ",
                    JoinArgv(Launcher(host(k), own)), "\n");
  }
  return file;
}

absl::Status SimulatedHosts::Cut(int k) {
  return Ip({"-n", controller().netns, "link", "set", host(k).port, "down"});
}

absl::Status SimulatedHosts::Restore(int k) {
  return Ip({"-n", controller().netns, "link", "set", host(k).port, "up"});
}

std::vector<pid_t> SimulatedHosts::Pids(const SimulatedHost& host) const {
  std::optional<NsId> id = NsIdOf(NetnsPath(host.netns));
  if (!id) return {};
  return PidsIn({*id});
}

absl::Status SimulatedHosts::KillAll(const SimulatedHost& host, absl::Time deadline) {
  return KillAllIn({host.netns}, deadline);
}

absl::Status SimulatedHosts::KillAllIn(const std::vector<std::string>& netns, absl::Time deadline) {
  std::vector<NsId> ids;
  for (const std::string& n : netns) {
    if (std::optional<NsId> id = NsIdOf(NetnsPath(n))) ids.push_back(*id);
  }
  if (ids.empty()) return absl::OkStatus();
  // Rounds until a scan finds nobody: a process may fork while we kill.
  for (;;) {
    std::vector<pid_t> pids = PidsIn(ids);
    if (pids.empty()) {
      ReapOrphans();
      return absl::OkStatus();
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "still running in ", absl::StrJoin(netns, " "), ": ", absl::StrJoin(pids, " ")));
    }
    std::vector<int> pidfds;
    for (pid_t pid : pids) {
      int fd = PidfdOpen(pid);
      if (fd < 0) continue;  // gone already
      // The pidfd pins this very process: look again, so a pid reused since
      // the scan is never signalled.
      if (InNamespaces(pid, ids) && PidfdSendSignal(fd, SIGKILL) == 0) {
        pidfds.push_back(fd);
      } else {
        close(fd);
      }
    }
    for (int fd : pidfds) {
      WaitReadable(fd, deadline);
      close(fd);
    }
    ReapOrphans();
  }
}

absl::Status SimulatedHosts::RunIn(const SimulatedHost& host, absl::FunctionRef<void()> fn) const {
  std::string error;
  std::thread runner([&] {
    int ns = open(NetnsPath(host.netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      error = ErrnoText(NetnsPath(host.netns));
      return;
    }
    if (setns(ns, CLONE_NEWNET) != 0) {
      error = ErrnoText("setns");
    } else {
      fn();
    }
    close(ns);
  });
  runner.join();
  return error.empty() ? absl::OkStatus() : absl::InternalError(error);
}

namespace {

// A non-blocking TCP socket in `host`'s namespace: a socket belongs to the
// network namespace of the thread that made it.
absl::StatusOr<int> TcpSocketIn(const SimulatedHosts& hosts, const SimulatedHost& host) {
  int fd = -1;
  std::string error;
  RETURN_IF_ERROR(hosts.RunIn(host, [&] {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) error = ErrnoText("socket");
  }));
  if (fd < 0) return absl::InternalError(error);
  return fd;
}

}  // namespace

absl::StatusOr<int> SimulatedHosts::FreePort(const SimulatedHost& host) const {
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = 0;  // the kernel picks
  if (inet_pton(AF_INET, host.address.c_str(), &at.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", host.address));
  }
  absl::StatusOr<int> made = TcpSocketIn(*this, host);
  if (!made.ok()) return made.status();
  int fd = *made;
  absl::StatusOr<int> port = absl::InternalError("");
  socklen_t len = sizeof at;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
    port = absl::InternalError(ErrnoText("bind"));
  } else if (getsockname(fd, reinterpret_cast<sockaddr*>(&at), &len) != 0) {
    port = absl::InternalError(ErrnoText("getsockname"));
  } else {
    port = ntohs(at.sin_port);
  }
  close(fd);
  return port;
}

absl::Status SimulatedHosts::Connect(const SimulatedHost& from, const std::string& address,
                                     int port, absl::Duration timeout) const {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", address));
  }
  absl::StatusOr<int> made = TcpSocketIn(*this, from);
  if (!made.ok()) return made.status();
  int fd = *made;
  absl::Status result = absl::OkStatus();
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    if (errno != EINPROGRESS) {
      result = absl::UnavailableError(ErrnoText("connect"));
    } else if (!WaitWritable(fd, absl::Now() + timeout)) {
      result = absl::DeadlineExceededError(absl::StrCat("no answer from ", address, ":", port,
                                                        " within ", absl::FormatDuration(timeout)));
    } else {
      int so_error = 0;
      socklen_t len = sizeof so_error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        result = absl::UnavailableError(absl::StrCat("connect: ", std::strerror(so_error)));
      }
    }
  }
  close(fd);
  return result;
}

absl::Status SimulatedHosts::WaitConnectable(const SimulatedHost& from, const std::string& address,
                                             int port, absl::Time deadline) const {
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    absl::Status s =
        Connect(from, address, port,
                std::max(absl::Milliseconds(1), std::min(left, absl::Milliseconds(200))));
    if (s.ok() || absl::Now() >= deadline) return s;
    if (s.code() != absl::StatusCode::kDeadlineExceeded)
      poll(nullptr, 0, 5);  // refused: look again soon
  }
}

}  // namespace arbor::testing
