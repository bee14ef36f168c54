#include "controller/launcher_stderr.h"

#include "absl/strings/str_cat.h"

namespace arbor::controller {

LauncherStderr::~LauncherStderr() {
  for (auto& [pid, watched] : pipes_) StopPolling(*watched);
}

void LauncherStderr::Watch(pid_t pid, NodeId id, const std::string& host,
                           process::StderrPipe pipe) {
  auto watched = std::make_unique<Watched>(Watched{
      Logger(absl::StrCat("[node ", id, " @", host, "] "), /*verbose=*/true), std::move(pipe)});
  Watched* raw = watched.get();
  // A pid is reaped (Close) before it can be reused: never two entries.
  if (auto old = pipes_.find(pid); old != pipes_.end()) {
    StopPolling(*old->second);
    pipes_.erase(old);
  }
  pipes_.emplace(pid, std::move(watched));
  loop_.AddFd(raw->pipe.read_fd(), [this, raw] { OnReadable(*raw); });
}

void LauncherStderr::OnReadable(Watched& watched) {
  // At most one budget per turn: a chatty launcher shares the loop.
  bool open = watched.pipe.Read([&](std::string_view line) { watched.log.Warn("%s", line); });
  if (!open) StopPolling(watched);  // EOF: hold the last line until Close
}

void LauncherStderr::StopPolling(Watched& watched) {
  if (!watched.polled) return;
  loop_.RemoveFd(watched.pipe.read_fd());
  watched.polled = false;
}

std::string LauncherStderr::Close(pid_t pid) {
  auto it = pipes_.find(pid);
  if (it == pipes_.end()) return "";
  Watched& watched = *it->second;
  // What it wrote before it exited is in the pipe already. A descendant still
  // holding the write end may write on: one budget of it, then we stop.
  auto log = [&](std::string_view line) { watched.log.Warn("%s", line); };
  if (watched.polled) watched.pipe.Read(log);
  watched.pipe.Finish(log);
  StopPolling(watched);
  std::string last = watched.pipe.last_line();
  pipes_.erase(it);  // closes the read end, after the loop let go of it
  return last;
}

}  // namespace arbor::controller
