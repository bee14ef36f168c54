#include "tools/bench/raw_chain.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/clock.h"

namespace arbor::bench {
namespace {

// A reply later than this means the chain is broken: the run fails, never hangs.
constexpr int kReplyTimeoutMs = 10000;

struct CurvePair {
  std::string public_key;
  std::string secret;
};

CurvePair MakeCurvePair() {
  char public_key[41];
  char secret[41];
  zmq_curve_keypair(public_key, secret);
  return {public_key, secret};
}

// The first line `fd` gives (without its newline), waiting at most `timeout`.
absl::StatusOr<std::string> ReadLine(int fd, absl::Duration timeout) {
  absl::Time deadline = MonoNow() + timeout;
  std::string line;
  for (;;) {
    int64_t ms = absl::ToInt64Milliseconds(deadline - MonoNow());
    pollfd p{fd, POLLIN, 0};
    int n = ms > 0 ? ::poll(&p, 1, static_cast<int>(ms)) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::DeadlineExceededError("no endpoint on its stdout in time");
    char buffer[256];
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return absl::UnavailableError("it ended before binding (its stderr says why)");
    line.append(buffer, static_cast<size_t>(got));
    if (size_t end = line.find('\n'); end != std::string::npos) return line.substr(0, end);
  }
}

// A front socket as a CURVE server; a back socket as a client of the next
// process's server key. No ZAP handler: any client key is accepted (the floor
// authenticates nothing, Arbor does).
void SetCurveServer(void* socket, const std::string& secret) {
  int server = 1;
  zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &server, sizeof server);
  zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, secret.c_str(), secret.size() + 1);
}

void SetCurveClient(void* socket, const RawKeys& keys) {
  zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, keys.back_server.c_str(), keys.back_server.size() + 1);
  zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, keys.back_public.c_str(), keys.back_public.size() + 1);
  zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, keys.back_secret.c_str(), keys.back_secret.size() + 1);
}

// Reads the keys (stdin to EOF: /dev/null or the bench's pipe).
absl::StatusOr<RawKeys> ReadKeys() {
  std::string text;
  char buffer[512];
  for (;;) {
    ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return absl::InternalError("reading stdin failed");
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  return ParseRawKeys(text);
}

// Binds `socket` to `spec` and writes the endpoint it got on stdout; false on failure.
bool BindAndAnnounce(void* socket, const std::string& spec) {
  if (zmq_bind(socket, spec.c_str()) != 0) return false;
  char endpoint[256];
  size_t size = sizeof endpoint;
  if (zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0) return false;
  std::string line = absl::StrCat(endpoint, "\n");
  bool written = ::write(STDOUT_FILENO, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(STDOUT_FILENO);
  return written;
}

absl::Status ZmqError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", zmq_strerror(zmq_errno())));
}

void* Open(void* context, int type) {
  void* socket = zmq_socket(context, type);
  int hwm = kRawHighWaterMark;
  int linger = 0;
  zmq_setsockopt(socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
  return socket;
}

// The role processes end with the bench, and never outlive a bench already gone.
bool DieWithParent() {
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  return getppid() == parent;
}

int KeysFailed(const char* role, const absl::Status& status) {
  std::fprintf(stderr, "arbor-bench %s: keys on stdin: %s\n", role, status.ToString().c_str());
  return 1;
}

int RoleFailed(const char* role, const std::string& what) {
  std::fprintf(stderr, "arbor-bench %s: %s: %s\n", role, what.c_str(), zmq_strerror(zmq_errno()));
  return 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawChain>> RawChain::Start(const std::string& self,
                                                          const std::vector<RawProcess>& plan,
                                                          size_t payload_bytes) {
  if (plan.empty()) return absl::InvalidArgumentError("a raw chain needs a process");
  auto chain = std::unique_ptr<RawChain>(new RawChain());
  chain->payload_.assign(payload_bytes, 'x');
  chain->reply_.resize(payload_bytes + 64);
  // keys[k]: process k's; a CURVE hop k-1 -> k gives k its server secret and
  // k-1 the server's public key and a client pair.
  std::vector<RawKeys> keys(plan.size());
  for (size_t k = 1; k < plan.size(); ++k) {
    if (!plan[k].curve_front) continue;
    CurvePair server = MakeCurvePair();
    CurvePair client = MakeCurvePair();
    keys[k].front_secret = server.secret;
    keys[k - 1].back_server = server.public_key;
    keys[k - 1].back_public = client.public_key;
    keys[k - 1].back_secret = client.secret;
  }
  std::string next;  // the endpoint process k+1 bound
  for (size_t k = plan.size(); k-- > 0;) {
    std::vector<std::string> argv = plan[k].launcher;
    argv.push_back(self);
    if (k + 1 < plan.size()) {
      argv.insert(argv.end(), {"raw-forward", plan[k].bind, next});
    } else {
      argv.insert(argv.end(), {"raw-echo", plan[k].bind});
    }
    auto bound = chain->SpawnRole(argv, FormatRawKeys(keys[k]));
    if (!bound.ok()) {
      return absl::Status(bound.status().code(),
                          absl::StrCat("raw process ", k, " on ", plan[k].host, ": ",
                                       bound.status().message()));
    }
    next = *bound;
  }
  chain->context_ = zmq_ctx_new();
  chain->client_ = Open(chain->context_, ZMQ_DEALER);
  int timeout = kReplyTimeoutMs;
  zmq_setsockopt(chain->client_, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt(chain->client_, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  if (zmq_connect(chain->client_, next.c_str()) != 0) return ZmqError("connect " + next);
  absl::Status sent = chain->Send();
  if (!sent.ok()) return sent;
  absl::Status up = chain->Receive();
  if (!up.ok()) return absl::Status(up.code(), absl::StrCat("raw chain did not start: ", up.message()));
  return chain;
}

absl::StatusOr<std::string> RawChain::SpawnRole(const std::vector<std::string>& argv,
                                                const std::string& keys) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  process::UniqueFd in_read(in[0]);
  process::UniqueFd in_write(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  process::UniqueFd out_read(out[0]);
  process::UniqueFd out_write(out[1]);
  // A launcher (no '/') is found in $PATH; a direct role is a path.
  auto child = process::Child::Spawn(argv[0], argv, 0, in_read.get(), /*search_path=*/true,
                                     out_write.get());
  if (!child.ok()) return child.status();
  processes_.push_back(std::move(*child));
  in_read.Reset();
  out_write.Reset();  // so a role that dies reads as EOF
  // At most a few hundred bytes: the pipe takes them at once.
  if (!keys.empty() && ::write(in_write.get(), keys.data(), keys.size()) !=
                           static_cast<ssize_t>(keys.size())) {
    return absl::InternalError("could not write its keys");
  }
  in_write.Reset();
  return ReadLine(out_read.get(), absl::Milliseconds(kReplyTimeoutMs));
}

RawChain::~RawChain() {
  if (client_ != nullptr) zmq_close(client_);
  if (context_ != nullptr) zmq_ctx_term(context_);
  for (process::Child& child : processes_) child.Signal(SIGKILL);
}

absl::Status RawChain::Send() {
  if (zmq_send(client_, payload_.data(), payload_.size(), 0) < 0) return ZmqError("send");
  return absl::OkStatus();
}

absl::Status RawChain::Receive() {
  if (zmq_recv(client_, reply_.data(), reply_.size(), 0) >= 0) return absl::OkStatus();
  if (zmq_errno() == EAGAIN) return absl::DeadlineExceededError("no reply from the raw chain");
  return ZmqError("receive");
}

absl::StatusOr<std::vector<double>> RawChain::LockStep(int calls) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    absl::Time start = MonoNow();
    if (absl::Status s = Send(); !s.ok()) return s;
    if (absl::Status s = Receive(); !s.ok()) return s;
    samples.push_back(absl::ToDoubleMicroseconds(MonoNow() - start));
  }
  return samples;
}

absl::StatusOr<double> RawChain::Throughput(int calls, int in_flight) {
  absl::Time start = MonoNow();
  int sent = 0;
  for (; sent < in_flight && sent < calls; ++sent) {
    if (absl::Status s = Send(); !s.ok()) return s;
  }
  for (int received = 0; received < calls; ++received) {
    if (absl::Status s = Receive(); !s.ok()) return s;
    if (sent < calls) {
      if (absl::Status s = Send(); !s.ok()) return s;
      ++sent;
    }
  }
  return calls / absl::ToDoubleSeconds(MonoNow() - start);
}

int RunRawForwarder(const std::string& front, const std::string& back) {
  if (!DieWithParent()) return 1;
  absl::StatusOr<RawKeys> keys = ReadKeys();
  if (!keys.ok()) return KeysFailed("raw-forward", keys.status());
  void* context = zmq_ctx_new();
  void* frontend = Open(context, ZMQ_ROUTER);
  void* backend = Open(context, ZMQ_DEALER);
  if (!keys->front_secret.empty()) SetCurveServer(frontend, keys->front_secret);
  if (!keys->back_server.empty()) SetCurveClient(backend, *keys);
  if (!BindAndAnnounce(frontend, front)) return RoleFailed("raw-forward", "bind " + front);
  if (zmq_connect(backend, back.c_str()) != 0) return RoleFailed("raw-forward", "connect " + back);
  zmq_proxy(frontend, backend, nullptr);  // returns only when the context ends
  return 0;
}

int RunRawEcho(const std::string& bind) {
  if (!DieWithParent()) return 1;
  absl::StatusOr<RawKeys> keys = ReadKeys();
  if (!keys.ok()) return KeysFailed("raw-echo", keys.status());
  void* context = zmq_ctx_new();
  void* socket = Open(context, ZMQ_ROUTER);
  int mandatory = 1;  // a full queue blocks the echo instead of dropping
  zmq_setsockopt(socket, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
  if (!keys->front_secret.empty()) SetCurveServer(socket, keys->front_secret);
  if (!BindAndAnnounce(socket, bind)) return RoleFailed("raw-echo", "bind " + bind);
  zmq_msg_t frame;
  zmq_msg_init(&frame);
  while (true) {
    // Every frame back as it came: the routing ids, then the payload.
    if (zmq_msg_recv(&frame, socket, 0) < 0) continue;
    int more = zmq_msg_more(&frame);
    zmq_msg_send(&frame, socket, more ? ZMQ_SNDMORE : 0);
  }
}

}  // namespace arbor::bench
