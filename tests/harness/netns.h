// Several simulated hosts on this one machine, made of Linux network
// namespaces, for multi-host tests (README "Hosts": a hosts file whose launchers are
// `ip netns exec NAME`).
//
// What Create(n) makes (needs root: CAP_SYS_ADMIN + CAP_NET_ADMIN):
// - a controller host `local` in a namespace of its own (the root namespace
//   routes 10.200.x.x out of the machine, so nothing here has an address
//   there), holding a bridge; and hosts h1..hn, one namespace each, every one
//   joined to that bridge by a veth pair (port end in `local`, host end in hK).
//   Loopback is up everywhere. Cut(k) sets hK's bridge port down: its packets
//   are silently dropped (like a pulled cable: no RST, no ICMP), Restore(k)
//   sets it up again.
// - Addresses: 10.200.R.0/24 with `local` = 10.200.R.1 and hK = 10.200.R.(K+1),
//   R = 1 + (pid * 8 + counter) % 254. Isolation does not depend on R: every
//   fixture is its own L2 network inside namespaces it created, so two runs
//   cannot see each other even with the same R; R only keeps logs of parallel
//   runs apart.
// - Names: namespaces `arbor-<pid>-<counter>-local`, `arbor-<pid>-<counter>-hK`
//   (counter: fixtures made by this process so far). Interfaces are created
//   directly inside those namespaces (never in the root namespace) and carry a
//   run tag anyway (`ab<tag>` the bridge, `ap<tag><K>` / `ah<tag><K>` the veth
//   ends, <tag> = pid and counter in fixed-width base 36; ≤ 15 chars).
// - Pathname AF_UNIX sockets (Arbor's ipc://) still reach across network
//   namespaces: only tcp is confined by this fixture.
//
// Cleanup (the destructor, and a Create that fails half-way): every process in
// each namespace is SIGKILLed through a pidfd and waited for (the same /proc
// scan as `ip netns pids`, so programs in a private pid namespace too; `ip
// netns del` alone leaves them running), the veth pairs and the bridge are
// deleted (one `ip link del group`, synchronous), then the namespaces. Only
// what this object created is touched: no sweep of older leftovers, so a run
// that was itself SIGKILLed leaves its `arbor-<pid>-*` namespaces behind
// (`ip netns list`; remove them by hand).
//
// Cost: Create(3) runs 5 `ip` batches (~20-30 ms here), teardown ~60 ms.
//
// Skipping: without root, Create returns PERMISSION_DENIED; when `ip netns add`
// fails (no CAP_SYS_ADMIN, no iproute2) UNAVAILABLE. NetnsSkipReason() turns
// exactly those into "needs root for ip netns: ..." for GTEST_SKIP(); every
// later failure is INTERNAL and must fail the test (CI runs as root).
//
// Nothing here sleeps: waits poll conditions against deadlines.
#ifndef ARBOR_TESTS_HARNESS_NETNS_H_
#define ARBOR_TESTS_HARNESS_NETNS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace arbor::testing {

// One simulated host.
struct SimulatedHost {
  std::string name;     // "local" (the controller's host), "h1", "h2", ...
  std::string netns;    // its namespace, e.g. "arbor-4242-0-h1"
  std::string address;  // its one address, e.g. "10.200.7.2"
  std::string port;     // hK: its bridge port in `local` (what Cut() sets down); "" for local
};

// What a launcher prefix adds inside the host's namespace (util-linux unshare).
struct Isolation {
  // `unshare --pid --fork --mount-proc --kill-child`: the program is pid 1 of
  // its own pid namespace and sees only its own processes in /proc; killing
  // the launcher kills the whole pid namespace.
  bool private_pids = false;
  // `unshare --time --monotonic=N`: CLOCK_MONOTONIC (and its variants) read N
  // seconds ahead of the machine's (whole seconds; may be negative as long as
  // the clock stays >= 0).
  absl::Duration monotonic_offset = absl::ZeroDuration();
  // In HostsFile(): host hK's clock is k x monotonic_offset ahead, so no two
  // hosts share a clock.
  bool offset_per_host = false;
};

// The `unshare ...` words for `isolation` (empty when it asks for nothing).
std::vector<std::string> UnsharePrefix(const Isolation& isolation);

// "needs root for ip netns: <message>" when `created` says the machine cannot
// make namespaces (PERMISSION_DENIED, UNAVAILABLE); nullopt otherwise (OK, or
// a real failure the test must report).
std::optional<std::string> NetnsSkipReason(const absl::Status& created);

class SimulatedHosts {
 public:
  static constexpr int kMaxHosts = 200;

  // Makes `hosts` hosts (1..kMaxHosts) and the controller host. Codes as in
  // the file comment; on any error nothing is left behind.
  static absl::StatusOr<std::unique_ptr<SimulatedHosts>> Create(int hosts);
  ~SimulatedHosts();
  SimulatedHosts(const SimulatedHosts&) = delete;
  SimulatedHosts& operator=(const SimulatedHosts&) = delete;

  // The controller's host (`local`).
  const SimulatedHost& controller() const { return hosts_[0]; }
  // Host `k`, 1 <= k <= size().
  const SimulatedHost& host(int k) const { return hosts_.at(static_cast<size_t>(k)); }
  // The number of hosts, the controller's not counted.
  int size() const { return static_cast<int>(hosts_.size()) - 1; }
  // Every host, `local` first.
  const std::vector<SimulatedHost>& all() const { return hosts_; }
  // "10.200.R.0/24".
  const std::string& subnet() const { return subnet_; }
  // The run tag inside every interface name.
  const std::string& tag() const { return tag_; }

  // The launcher prefix for `host`: `ip netns exec NETNS [unshare ...]`.
  std::vector<std::string> Launcher(const SimulatedHost& host,
                                    const Isolation& isolation = {}) const;
  // Launcher(host, isolation) followed by `argv`.
  std::vector<std::string> Exec(const SimulatedHost& host, const std::vector<std::string>& argv,
                                const Isolation& isolation = {}) const;
  // A hosts file (hosts/hosts_file.h): `local ADDRESS`, then `hK ADDRESS LAUNCHER...`
  // (with `isolation`, its offset scaled by k if it says so).
  std::string HostsFile(const Isolation& isolation = {}) const;

  // Sets host k's link down / up again.
  absl::Status Cut(int k);
  absl::Status Restore(int k);

  // The processes in `host`'s namespace (what `ip netns pids` lists).
  std::vector<pid_t> Pids(const SimulatedHost& host) const;
  // SIGKILLs every process in `host`'s namespace and waits until none is left
  // (new ones forked meanwhile included); DEADLINE_EXCEEDED if some remain at
  // `deadline`. Killed children of the test binary are reaped.
  absl::Status KillAll(const SimulatedHost& host, absl::Time deadline);

  // Runs `fn` on a thread that entered `host`'s network namespace (setns),
  // and waits for it. What it makes there stays there: a socket, or a ZeroMQ
  // context whose first socket it creates (libzmq starts its I/O threads then,
  // from that thread, so every connection of that context is made in `host`).
  absl::Status RunIn(const SimulatedHost& host, absl::FunctionRef<void()> fn) const;

  // A TCP port the kernel gives for `host`'s address inside its namespace
  // (bound to port 0, read back, closed): free when it returns, and nothing
  // but what the test starts there binds in that namespace, so a server the
  // test starts next can listen on it (sshd, which cannot report a port of
  // its own choosing).
  absl::StatusOr<int> FreePort(const SimulatedHost& host) const;

  // One TCP connect from inside `from` to address:port, waiting at most
  // `timeout`: OK when it is accepted, DEADLINE_EXCEEDED when nothing answers,
  // UNAVAILABLE when refused or unreachable. The socket is made by a thread
  // that entered `from`'s namespace (setns); the test process stays put.
  absl::Status Connect(const SimulatedHost& from, const std::string& address, int port,
                       absl::Duration timeout) const;
  // Connect() again until one succeeds or `deadline` passes (each attempt at
  // most 200 ms; a refusal is retried after 5 ms). The last error otherwise.
  absl::Status WaitConnectable(const SimulatedHost& from, const std::string& address, int port,
                               absl::Time deadline) const;

 private:
  SimulatedHosts() = default;
  absl::Status Build(int hosts);
  // Kills every process in every namespace, deletes links and namespaces;
  // the first error (cleanup goes on after one).
  absl::Status TearDown();
  absl::Status KillAllIn(const std::vector<std::string>& netns, absl::Time deadline);
  absl::Status Ip(const std::vector<std::string>& args, const std::string& batch = "") const;

  std::string ip_;       // path of iproute2's ip
  std::string unshare_;  // path of util-linux's unshare
  std::string tag_;
  std::string subnet_;
  std::string bridge_;
  std::vector<SimulatedHost> hosts_;
  std::vector<std::string> created_;  // namespaces that exist because of us
  bool links_made_ = false;
};

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_NETNS_H_
