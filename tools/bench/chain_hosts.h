// Where a bench chain's processes run when it crosses hosts (--hosts FILE,
// --chain-hosts h1,h2): the host of each level, the raw chain's links (ipc on
// one host, tcp between two, CURVE or plaintext), and the keys a raw process
// reads on its stdin. Pure: names and text in, plans out.
#ifndef ARBOR_TOOLS_BENCH_CHAIN_HOSTS_H_
#define ARBOR_TOOLS_BENCH_CHAIN_HOSTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "hosts/hosts_file.h"

namespace arbor::bench {

// The hosts of levels 1..depth from a comma-separated list of names in `file`
// (level i on the i-th name; `local` allowed). INVALID_ARGUMENT for an unknown
// (or empty) name, or a count other than `depth`.
absl::StatusOr<std::vector<hosts::Host>> ChainHosts(std::string_view list,
                                                    const hosts::HostsFile& file, int depth);

// True when some link of the chain client(local) -> levels[0] -> ... crosses hosts.
bool CrossesHosts(const std::vector<hosts::Host>& levels);

// The CURVE keys (Z85) of one raw process, all empty for plaintext: its front
// socket's (it binds, it is the server) and its back socket's (it connects).
struct RawKeys {
  std::string front_secret;  // set: the front is a CURVE server
  std::string back_server;   // set (with back_public, back_secret): the back is a client
  std::string back_public;
  std::string back_secret;
};

// "front-secret KEY\n" etc., one line per key set; "" without keys.
std::string FormatRawKeys(const RawKeys& keys);
// The inverse. INVALID_ARGUMENT for an unknown word, a repeated one, a key that
// is not 40 characters of Z85 (32 bytes), or back keys given only in part.
absl::StatusOr<RawKeys> ParseRawKeys(std::string_view text);

// One process of a raw chain: how to start it and what it binds.
struct RawProcess {
  std::vector<std::string> launcher;  // its host's; empty: spawned directly
  std::string host;                   // its host's name
  // Its front (a forwarder) or its socket (the echo): "ipc://DIR/raw-NAME-K"
  // when the hop into it stays on one host, else "tcp://ADDRESS:*".
  std::string bind;
  bool curve_front = false;  // the hop into it is tcp with CURVE
  bool curve_back = false;   // the hop out of it (to the next) is tcp with CURVE
};

// The processes of a raw chain whose client runs on `client_host` and whose
// process k runs on `placement[k]`; `name` keeps the ipc paths of chains
// alive at once apart. With `curve`, every tcp hop is CURVE.
std::vector<RawProcess> PlanRawChain(const hosts::Host& client_host,
                                     const std::vector<hosts::Host>& placement,
                                     const std::string& dir, const std::string& name, bool curve);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_CHAIN_HOSTS_H_
