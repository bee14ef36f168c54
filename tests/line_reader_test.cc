#include "cli/line_reader.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace arbor::cli {
namespace {

// Feeds `chunks`, then EOF if asked, and returns every line taken ("!" = too long).
std::vector<std::string> Lines(const std::vector<std::string>& chunks, bool eof,
                               size_t max = 8) {
  LineReader reader(max);
  std::vector<std::string> out;
  auto drain = [&] {
    while (auto line = reader.Next()) out.push_back(line->too_long ? "!" : line->text);
  };
  for (const std::string& c : chunks) {
    reader.Append(c);
    drain();
  }
  if (eof) {
    reader.SetEof();
    drain();
    EXPECT_TRUE(reader.Exhausted());
  }
  return out;
}

struct Case {
  std::vector<std::string> chunks;
  bool eof;
  std::vector<std::string> want;
};

class LineReaderTest : public testing::TestWithParam<Case> {};

TEST_P(LineReaderTest, SplitsAsTheContractSays) {
  EXPECT_EQ(Lines(GetParam().chunks, GetParam().eof), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, LineReaderTest,
    testing::Values(
        Case{{"a\nb\n"}, true, {"a", "b"}},
        Case{{"a\nb"}, true, {"a", "b"}},             // last line without '\n'
        Case{{"a\nb"}, false, {"a"}},                 // not yet: more may come
        Case{{"ab", "c\n", "d\n"}, true, {"abc", "d"}},
        Case{{"\n\n"}, true, {"", ""}},               // blank lines reach the parser
        Case{{"12345678\n"}, true, {"12345678"}},     // exactly the limit
        Case{{"123456789\nok\n"}, true, {"!", "ok"}},
        Case{{"1234", "56789", "0000", "\nok\n"}, true, {"!", "ok"}},  // reported once
        Case{{"123456789"}, true, {"!"}},
        Case{{""}, true, {}}));

TEST(LineReaderStateTest, HasLineAndDiscard) {
  LineReader reader(8);
  EXPECT_FALSE(reader.HasLine());
  reader.Append("a\nb");
  EXPECT_TRUE(reader.HasLine());
  ASSERT_EQ(reader.Next()->text, "a");
  EXPECT_FALSE(reader.HasLine());  // "b" may still grow
  reader.Discard();
  reader.SetEof();
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_TRUE(reader.Exhausted());
}

}  // namespace
}  // namespace arbor::cli
