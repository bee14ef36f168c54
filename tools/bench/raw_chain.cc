#include "tools/bench/raw_chain.h"

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

std::string Endpoint(const std::string& dir, int index) {
  return absl::StrCat("ipc://", dir, "/raw-", index);
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

int RoleFailed(const char* role, const std::string& what) {
  std::fprintf(stderr, "arbor-bench %s: %s: %s\n", role, what.c_str(), zmq_strerror(zmq_errno()));
  return 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawChain>> RawChain::Start(const std::string& self,
                                                          const std::string& dir, int processes,
                                                          size_t payload_bytes) {
  if (processes < 1) return absl::InvalidArgumentError("a raw chain needs a process");
  auto chain = std::unique_ptr<RawChain>(new RawChain());
  chain->payload_.assign(payload_bytes, 'x');
  chain->reply_.resize(payload_bytes + 64);
  for (int i = 0; i < processes; ++i) {
    std::vector<std::string> argv =
        i + 1 < processes
            ? std::vector<std::string>{self, "raw-forward", Endpoint(dir, i), Endpoint(dir, i + 1)}
            : std::vector<std::string>{self, "raw-echo", Endpoint(dir, i)};
    auto child = process::Child::Spawn(self, argv, 0);
    if (!child.ok()) return child.status();
    chain->processes_.push_back(std::move(*child));
  }
  chain->context_ = zmq_ctx_new();
  chain->client_ = Open(chain->context_, ZMQ_DEALER);
  int timeout = kReplyTimeoutMs;
  zmq_setsockopt(chain->client_, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt(chain->client_, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  // Connecting needs no listener yet: the first request waits in the queue
  // until the chain is up, and its answer says it is.
  if (zmq_connect(chain->client_, Endpoint(dir, 0).c_str()) != 0) return ZmqError("connect");
  absl::Status sent = chain->Send();
  if (!sent.ok()) return sent;
  absl::Status up = chain->Receive();
  if (!up.ok()) return absl::Status(up.code(), absl::StrCat("raw chain did not start: ", up.message()));
  return chain;
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
  void* context = zmq_ctx_new();
  void* frontend = Open(context, ZMQ_ROUTER);
  void* backend = Open(context, ZMQ_DEALER);
  if (zmq_bind(frontend, front.c_str()) != 0) return RoleFailed("raw-forward", "bind " + front);
  if (zmq_connect(backend, back.c_str()) != 0) return RoleFailed("raw-forward", "connect " + back);
  zmq_proxy(frontend, backend, nullptr);  // returns only when the context ends
  return 0;
}

int RunRawEcho(const std::string& bind) {
  if (!DieWithParent()) return 1;
  void* context = zmq_ctx_new();
  void* socket = Open(context, ZMQ_ROUTER);
  int mandatory = 1;  // a full queue blocks the echo instead of dropping
  zmq_setsockopt(socket, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
  if (zmq_bind(socket, bind.c_str()) != 0) return RoleFailed("raw-echo", "bind " + bind);
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
