// process::Child: what a spawned program's stdin and stdout are.
#include "process/child.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace arbor::process {
namespace {

// Everything the read end gives until EOF.
std::string ReadAll(int fd) {
  std::string out;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

TEST(ChildTest, StdinAndStdoutArePipesWhenGiven) {
  int in[2];
  int out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  auto child = Child::Spawn("cat", {"cat"}, 0, in[0], /*search_path=*/true, out[1]);
  ::close(in[0]);
  ::close(out[1]);
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_EQ(::write(in[1], "hello\n", 6), 6);
  ::close(in[1]);
  EXPECT_EQ(ReadAll(out[0]), "hello\n");
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child->pid(), &status, 0), child->pid());
  child->MarkReaped();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ChildTest, StdoutIsDevNullByDefault) {
  auto child = Child::Spawn("sh", {"sh", "-c", "test \"$(readlink /proc/$$/fd/1)\" = /dev/null"},
                            0, -1, /*search_path=*/true);
  ASSERT_TRUE(child.ok()) << child.status();
  int status = 0;
  ASSERT_EQ(::waitpid(child->pid(), &status, 0), child->pid());
  child->MarkReaped();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace arbor::process
