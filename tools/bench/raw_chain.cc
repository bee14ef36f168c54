#include "tools/bench/raw_chain.h"

#include <signal.h>
#include <sys/prctl.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace arbor::bench {
namespace {

std::string Endpoint(const std::string& dir, int index) {
  return absl::StrCat("ipc://", dir, "/raw-", index);
}

double MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

void DieWithParent() { prctl(PR_SET_PDEATHSIG, SIGKILL); }

}  // namespace

absl::StatusOr<std::unique_ptr<RawChain>> RawChain::Start(const std::string& self,
                                                          const std::string& dir, int processes) {
  if (processes < 1) return absl::InvalidArgumentError("a raw chain needs a process");
  auto chain = std::unique_ptr<RawChain>(new RawChain());
  for (int i = 0; i < processes; ++i) {
    std::vector<std::string> argv =
        i + 1 < processes
            ? std::vector<std::string>{self, "raw-forward", Endpoint(dir, i), Endpoint(dir, i + 1)}
            : std::vector<std::string>{self, "raw-echo", Endpoint(dir, i)};
    auto child = process::Child::Spawn(self, argv, 0);
    if (!child.ok()) return child.status();
    chain->processes_.push_back(std::move(*child));
  }
  // Connecting needs no listener yet: the first request waits in the queue
  // until the chain is up (the callers warm up before measuring).
  chain->client_ = zmq::socket_t(chain->context_, zmq::socket_type::dealer);
  chain->client_.set(zmq::sockopt::linger, 0);
  chain->client_.connect(Endpoint(dir, 0));
  return chain;
}

RawChain::~RawChain() {
  client_.close();
  for (process::Child& child : processes_) child.Signal(SIGKILL);
}

void RawChain::Send(const std::string& payload) {
  client_.send(zmq::buffer(payload), zmq::send_flags::none);
}

void RawChain::Receive() { (void)client_.recv(reply_, zmq::recv_flags::none); }

std::vector<double> RawChain::LockStep(int calls, size_t payload_bytes) {
  std::string payload(payload_bytes, 'x');
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    auto start = std::chrono::steady_clock::now();
    Send(payload);
    Receive();
    samples.push_back(MicrosSince(start));
  }
  return samples;
}

double RawChain::Throughput(int calls, int in_flight, size_t payload_bytes) {
  std::string payload(payload_bytes, 'x');
  auto start = std::chrono::steady_clock::now();
  int sent = 0;
  for (; sent < in_flight && sent < calls; ++sent) Send(payload);
  for (int received = 0; received < calls; ++received) {
    Receive();
    if (sent < calls) {
      Send(payload);
      ++sent;
    }
  }
  return calls / (MicrosSince(start) / 1e6);
}

int RunRawForwarder(const std::string& front, const std::string& back) {
  DieWithParent();
  zmq::context_t context(1);
  zmq::socket_t frontend(context, zmq::socket_type::router);
  zmq::socket_t backend(context, zmq::socket_type::dealer);
  frontend.bind(front);
  backend.connect(back);
  zmq::proxy(frontend, backend);  // returns only when the context ends
  return 0;
}

int RunRawEcho(const std::string& bind) {
  DieWithParent();
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::router);
  socket.bind(bind);
  zmq::message_t frame;
  while (true) {
    // Every frame back as it came: the routing ids, then the payload.
    if (!socket.recv(frame, zmq::recv_flags::none)) continue;
    bool more = frame.more();
    socket.send(frame, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

}  // namespace arbor::bench
