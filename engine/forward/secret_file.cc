#include "engine/forward/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace spool::engine {

namespace {

std::string octal_mode(mode_t mode) {
  char b[8];
  std::snprintf(b, sizeof b, "%03o", static_cast<unsigned>(mode & 0777));
  return b;
}

}  // namespace

Result<SecretFile> read_secret_file(const std::string& path, std::string_view what,
                                    std::string_view secret, std::size_t max_bytes) {
  const std::string named = std::string(what) + " " + path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::invalid_argument(named + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return Status::invalid_argument(named + ": " + std::strerror(e));
  }
  auto refuse = [&](std::string why) -> Status {
    ::close(fd);
    return Status::invalid_argument(named + " " + why);
  };
  if (!S_ISREG(st.st_mode)) return refuse("is not a regular file");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return refuse("is writable by group or others (mode " + octal_mode(st.st_mode) +
                  "): anyone who can write it can change the " + std::string(secret) +
                  "; chmod 600 it");
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return refuse("is larger than " + std::to_string(max_bytes) + " bytes");
  }
  SecretFile file;
  file.text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < file.text.size()) {
    const ssize_t n = ::read(fd, file.text.data() + got, file.text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refuse(std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  file.text.resize(got);
  ::close(fd);
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    file.warnings.push_back(named + " is readable by group or others (mode " +
                            octal_mode(st.st_mode) + "); its " + std::string(secret) + " " +
                            (secret.ends_with('s') ? "are" : "is") +
                            " exposed to them: chmod 600 it");
  }
  return file;
}

}  // namespace spool::engine
