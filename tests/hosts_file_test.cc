// hosts/hosts_file: the hosts file -- good files, and each bad line refused
// with its number and why.
#include "hosts/hosts_file.h"

#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace arbor::hosts {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HostsFileTest, WithoutAFileOnlyLocal) {
  HostsFile none;
  ASSERT_EQ(none.hosts().size(), 1u);
  EXPECT_EQ(none.local().name, "local");
  EXPECT_EQ(none.local().address, "127.0.0.1");
  EXPECT_TRUE(none.local().launcher.empty());
  EXPECT_EQ(none.Find("h1"), nullptr);
}

TEST(HostsFileTest, TheDesignsExample) {
  absl::StatusOr<HostsFile> file = HostsFile::Parse(
      "# the lab\n"
      "local  10.200.0.1\n"
      "\n"
      "h1     10.200.1.2   ip netns exec arbor-h1\n"
      "gpu7   10.1.4.7     ssh -o BatchMode=yes -o ServerAliveInterval=5 gpu7.lab --  # GPUs\n");
  ASSERT_THAT(file.status(), IsOk());
  ASSERT_EQ(file->hosts().size(), 3u);
  EXPECT_EQ(file->local().address, "10.200.0.1");
  const Host* h1 = file->Find("h1");
  ASSERT_NE(h1, nullptr);
  EXPECT_EQ(h1->line, 4);
  EXPECT_THAT(h1->launcher, ElementsAre("ip", "netns", "exec", "arbor-h1"));
  EXPECT_THAT(file->Find("gpu7")->launcher,
              ElementsAre("ssh", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=5", "gpu7.lab",
                          "--"));
}

TEST(HostsFileTest, QuotedLauncherWordsAndCrLf) {
  absl::StatusOr<HostsFile> file = HostsFile::Parse(
      "local 10.0.0.1\r\n"
      "n1 node1.lab ssh -o 'ProxyCommand=ssh -W %h:%p gw' \"a \\\"b\\\" c\" x#y\r\n"
      "n2 n2.cluster.example srun -N1 -n1 -w n2 --\n");
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_THAT(file->Find("n1")->launcher,
              ElementsAre("ssh", "-o", "ProxyCommand=ssh -W %h:%p gw", "a \"b\" c", "x#y"));
  EXPECT_EQ(file->Find("n2")->address, "n2.cluster.example");
  EXPECT_THAT(file->Find("n2")->launcher, ElementsAre("srun", "-N1", "-n1", "-w", "n2", "--"));
}

TEST(HostsFileTest, AnEmptyFileIsLocalAlone) {
  absl::StatusOr<HostsFile> file = HostsFile::Parse("# nothing yet\n\n");
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_EQ(file->local().address, "127.0.0.1");
}

struct BadCase {
  std::string text;
  std::string why;  // a part of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.why; }

class BadFileTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadFileTest, RefusedWithItsLine) {
  absl::StatusOr<HostsFile> file = HostsFile::Parse(GetParam().text);
  EXPECT_THAT(file.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(GetParam().why));
}

INSTANTIATE_TEST_SUITE_P(
    Lines, BadFileTest,
    ::testing::ValuesIn(std::vector<BadCase>{
        {"local 10.0.0.1\nH1 10.0.0.2 ssh h1 --\n", "line 2: invalid host name 'H1'"},
        {"local 10.0.0.1\n-a 10.0.0.2 ssh h1 --\n", "line 2: invalid host name '-a'"},
        {"local 10.0.0.1\nh_1 10.0.0.2 ssh h1 --\n", "invalid host name 'h_1'"},
        {"local 10.0.0.1\nh1 10.0.0.2 ssh a --\nh1 10.0.0.3 ssh b --\n",
         "line 3: host 'h1' is listed twice"},
        {"local 10.0.0.1\nlocal 10.0.0.2\n", "line 2: host 'local' is listed twice"},
        {"local\n", "line 1: host 'local' has no address"},
        {"local 10.0.0.1\nh1 0.0.0.0 ssh h1 --\n", "line 2: '0.0.0.0' is a wildcard"},
        {"local *\n", "line 1: '*' is a wildcard"},
        {"local [::]\n", "'[::]': IPv6 addresses are not supported yet"},
        {"local [fd00::2]\n", "IPv6 addresses are not supported yet"},
        {"local 010.200.1.2\n", "invalid address '010.200.1.2'"},  // octal to some parsers
        {"local 000.0.0.0\n", "invalid address '000.0.0.0'"},
        {"local 10.0.0.256\n", "line 1: invalid address '10.0.0.256'"},
        {"local 10.0.0\n", "invalid address '10.0.0'"},
        {"local tcp://10.0.0.1:5\n", "invalid address 'tcp://10.0.0.1:5'"},
        {"local 10.0.0.1 ssh x\n", "line 1: 'local' is the controller's own host"},
        {"local 10.0.0.1\nh1 10.0.0.2\n", "line 2: host 'h1' has no launcher"},
        {"local 10.0.0.1\nh1 10.0.0.2 ssh 'oops\n", "line 2: unterminated quote"},
        {"h1 10.0.0.2 ssh h1 --\n", "no 'local' line"},
    }));

TEST(HostNameTest, Table) {
  for (const char* good : {"local", "h1", "gpu7.lab", "a-b", "0", "n.1-2"}) {
    EXPECT_TRUE(IsHostName(good)) << good;
  }
  for (const char* bad : {"", "H", ".a", "-a", "a_b", "a b", "@h"}) {
    EXPECT_FALSE(IsHostName(bad)) << bad;
  }
  EXPECT_TRUE(IsHostName(std::string(63, 'a')));
  EXPECT_FALSE(IsHostName(std::string(64, 'a')));
}

}  // namespace
}  // namespace arbor::hosts
