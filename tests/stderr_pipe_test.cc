// process/stderr_pipe.h: bytes to bounded lines (a table, bad input in it), and
// a real pipe read without blocking, with a child writing into it.
#include "process/stderr_pipe.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "process/child.h"
#include "status_matchers.h"

namespace arbor::process {
namespace {

using ::arbor::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

struct SplitCase {
  std::string name;
  std::vector<std::string> chunks;  // fed one by one, then Finish
  std::vector<std::string> lines;
};

std::vector<std::string> Split(const std::vector<std::string>& chunks, std::string* last) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto on_line = [&](std::string_view line) { lines.emplace_back(line); };
  for (const std::string& chunk : chunks) splitter.Feed(chunk, on_line);
  splitter.Finish(on_line);
  *last = splitter.last_line();
  return lines;
}

TEST(LineSplitterTest, SplitsBoundsAndCleansLines) {
  const std::string long_line(LineSplitter::kMaxLineBytes + 100, 'x');
  const std::string cut = std::string(LineSplitter::kMaxLineBytes, 'x') + "...";
  const std::vector<SplitCase> cases = {
      {"nothing", {}, {}},
      {"one line", {"Permission denied (publickey).\n"}, {"Permission denied (publickey)."}},
      {"no final newline", {"a\nb"}, {"a", "b"}},
      {"split across reads", {"Perm", "ission", " denied\nnext\n"}, {"Permission denied", "next"}},
      {"crlf", {"one\r\ntwo\r\n"}, {"one", "two"}},
      {"blank lines skipped", {"\n\n  \n\ta\n\t\n"}, {"\ta"}},
      {"control bytes", {"\x1b[31mred\x1b[0m\x01\x7f\n"}, {"?[31mred?[0m??"}},
      {"a carriage return inside", {"10%\r20%\n"}, {"10%?20%"}},
      {"nul", {std::string("a\0b\n", 4)}, {"a?b"}},
      {"long line cut", {long_line + "\nafter\n"}, {cut, "after"}},
      {"long line across reads", {long_line.substr(0, 300), long_line.substr(300), "\n"}, {cut}},
      {"exactly the cap",
       {std::string(LineSplitter::kMaxLineBytes, 'y') + "\n"},
       {std::string(LineSplitter::kMaxLineBytes, 'y')}},
      {"long last line without newline", {long_line}, {cut}},
  };
  for (const SplitCase& c : cases) {
    std::string last;
    EXPECT_THAT(Split(c.chunks, &last), ElementsAreArray(c.lines)) << c.name;
    EXPECT_EQ(last, c.lines.empty() ? "" : c.lines.back()) << c.name;
  }
}

TEST(LineSplitterTest, MemoryStaysBoundedWhateverTheInput) {
  LineSplitter splitter;
  int lines = 0;
  std::string chunk(1 << 16, 'z');
  for (int i = 0; i < 64; ++i) splitter.Feed(chunk, [&](std::string_view) { ++lines; });
  EXPECT_EQ(lines, 0);  // 4 MiB without a newline: still one (cut) line, not yet ended
  splitter.Feed("\n", [&](std::string_view line) {
    ++lines;
    EXPECT_EQ(line.size(), LineSplitter::kMaxLineBytes + 3);
  });
  EXPECT_EQ(lines, 1);
}

// A shell child writes to the pipe's write end as its stderr, then exits 3.
TEST(StderrPipeTest, ReadsAChildsStderrWithoutBlockingUntilEof) {
  absl::StatusOr<StderrPipe> pipe = StderrPipe::Create();
  ASSERT_THAT(pipe.status(), IsOk());
  std::vector<std::string> lines;
  auto on_line = [&](std::string_view line) { lines.emplace_back(line); };
  // Nothing written yet: returns at once, still open.
  EXPECT_TRUE(pipe->Read(on_line));
  EXPECT_THAT(lines, IsEmpty());
  absl::StatusOr<Child> child =
      Child::Spawn("/bin/sh", {"sh", "-c", "echo first >&2; printf 'last line' >&2; exit 3"}, 0, -1,
                   false, /*stdout_fd=*/-1, pipe->write_fd());
  ASSERT_THAT(child.status(), IsOk());
  pipe->CloseWriteEnd();
  EXPECT_EQ(pipe->write_fd(), -1);
  int status = 0;
  ASSERT_EQ(::waitpid(child->pid(), &status, 0), child->pid());
  child->MarkReaped();
  EXPECT_EQ(WEXITSTATUS(status), 3);
  // The child is gone: what it wrote is all there, then EOF.
  EXPECT_FALSE(pipe->Read(on_line));
  EXPECT_THAT(lines, ElementsAre("first", "last line"));
  EXPECT_EQ(pipe->last_line(), "last line");
  EXPECT_FALSE(pipe->Read(on_line));  // ended: nothing more, no repeat
  EXPECT_EQ(lines.size(), 2u);
}

TEST(StderrPipeTest, OneReadTakesAtMostItsBudget) {
  absl::StatusOr<StderrPipe> pipe = StderrPipe::Create();
  ASSERT_THAT(pipe.status(), IsOk());
  std::string text;
  for (int i = 0; i < 100; ++i) text += "0123456789abcdef0123456789abcde\n";  // 32 bytes a line
  ASSERT_EQ(::write(pipe->write_fd(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  int lines = 0;
  auto on_line = [&](std::string_view) { ++lines; };
  EXPECT_TRUE(pipe->Read(on_line, 320));
  EXPECT_EQ(lines, 10);
  pipe->CloseWriteEnd();
  EXPECT_FALSE(pipe->Read(on_line));
  EXPECT_EQ(lines, 100);
}

}  // namespace
}  // namespace arbor::process
