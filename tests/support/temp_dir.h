// A fresh directory per test, removed afterwards (kept when SPOOL_KEEP_TEST_DIRS is set).
#pragma once

#include <string>

namespace spool::testing {

class TempDir {
 public:
  TempDir();
  // Under `base_dir` (empty: $TMPDIR or /tmp).
  explicit TempDir(const std::string& base_dir);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const noexcept { return path_; }
  // path()/name
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A tmpfs directory (/dev/shm) when there is a writable one, else empty (the default base):
// for tests that create tens of thousands of files, whose cost on a journaled disk is the
// disk's, not the code's.
std::string memory_backed_temp_base();

// Reads / writes a whole file (test fixtures only; they abort the test on failure).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace spool::testing
