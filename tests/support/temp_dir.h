// A fresh directory per test, removed afterwards (kept when SPOOL_KEEP_TEST_DIRS is set).
#pragma once

#include <string>

namespace spool::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const noexcept { return path_; }
  // path()/name
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Reads / writes a whole file (test fixtures only; they abort the test on failure).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace spool::testing
