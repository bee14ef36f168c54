// Files for tests: a private directory removed with its contents (even when
// the test fails), and the small writes and stats the tests make in it.
#ifndef ARBOR_TESTS_HARNESS_FILES_H_
#define ARBOR_TESTS_HARNESS_FILES_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace arbor::testing {

// A private directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/arbor-test-dir-XXXXXX";
    if (mkdtemp(name) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `text` to `path`, replacing what was there.
inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  EXPECT_TRUE(out.good()) << "cannot write " << path;
}

// The permission bits of `path`.
// The whole of the file at `path`; nullopt when it cannot be read.
inline std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream file(path);
  if (!file.is_open()) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) return std::nullopt;
  return text;
}

// Writes an executable script (mode 0700) at `path`.
inline void WriteScript(const std::string& path, const std::string& text) {
  WriteFile(path, text);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

inline mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_FILES_H_
