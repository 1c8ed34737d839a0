// Secret files (header files, redaction keys): the permission checks, and the redaction key
// file's own rules (one trailing line end dropped, at least 16 bytes).
#include "engine/forward/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "engine/forward/redaction_key_file.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using testing::TempDir;

std::string secret_at(const TempDir& dir, const std::string& bytes, mode_t mode) {
  const std::string path = dir.sub("secret");
  testing::write_file(path, bytes);
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

TEST(SecretFile, PrivateFileIsReadAsItIs) {
  TempDir dir;
  auto f = read_secret_file(secret_at(dir, std::string("a\0b\n", 4), 0600), "key file", "key", 64);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->text, std::string("a\0b\n", 4));
  EXPECT_TRUE(f->warnings.empty());
}

TEST(SecretFile, ChecksNameTheFileNeverTheContents) {
  TempDir dir;
  auto readable = read_secret_file(secret_at(dir, "hunter2", 0640), "key file", "key", 64);
  ASSERT_TRUE(readable.is_ok());
  ASSERT_EQ(readable->warnings.size(), 1u);
  EXPECT_EQ(readable->warnings[0],
            "key file " + dir.sub("secret") +
                " is readable by group or others (mode 640); its key is exposed "
                "to them: chmod 600 it");
  auto writable = read_secret_file(secret_at(dir, "hunter2", 0602), "key file", "key", 64);
  ASSERT_FALSE(writable.is_ok());
  EXPECT_EQ(writable.status().message(),
            "key file " + dir.sub("secret") +
                " is writable by group or others (mode 602): anyone who can write "
                "it can change the key; chmod 600 it");
  auto large = read_secret_file(secret_at(dir, std::string(65, 'x'), 0600), "key file", "key", 64);
  ASSERT_FALSE(large.is_ok());
  EXPECT_NE(large.status().message().find("is larger than 64 bytes"), std::string::npos);
  EXPECT_FALSE(read_secret_file(dir.sub("missing"), "key file", "key", 64).is_ok());
  auto directory = read_secret_file(dir.path(), "key file", "key", 64);
  ASSERT_FALSE(directory.is_ok());
  EXPECT_NE(directory.status().message().find("is not a regular file"), std::string::npos);
  for (const Status& s : {writable.status(), large.status()}) {
    EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  }
}

TEST(RedactionKeyFile, OneTrailingLineEndIsNotPartOfTheKey) {
  TempDir dir;
  auto lf = read_redaction_key_file(secret_at(dir, "0123456789abcdef\n", 0600));
  ASSERT_TRUE(lf.is_ok()) << lf.status().to_string();
  EXPECT_EQ(lf->text, "0123456789abcdef");
  auto crlf = read_redaction_key_file(secret_at(dir, "0123456789abcdef\r\n", 0600));
  ASSERT_TRUE(crlf.is_ok());
  EXPECT_EQ(crlf->text, "0123456789abcdef");
  auto binary = read_redaction_key_file(
      secret_at(dir, std::string("\0\1\2\3\4\5\6\7\x10\x11\x12\x13\x14\x15\x16 \n\n", 18), 0600));
  ASSERT_TRUE(binary.is_ok());
  EXPECT_EQ(binary->text.size(), 17u);  // only one line end goes
}

TEST(RedactionKeyFile, AShortKeyIsRefused) {
  TempDir dir;
  const std::string path = secret_at(dir, "0123456789abcde\n", 0600);
  auto k = read_redaction_key_file(path);
  ASSERT_FALSE(k.is_ok());
  EXPECT_EQ(k.status().message(),
            "redaction key file " + path +
                " holds 15 bytes; a key needs at least 16 (e.g. head -c 32 /dev/urandom > " + path +
                ")");
  EXPECT_FALSE(read_redaction_key_file(secret_at(dir, "", 0600)).is_ok());
}

}  // namespace
}  // namespace spool::engine
