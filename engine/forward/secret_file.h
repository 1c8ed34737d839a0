// A small file holding a secret (request headers, a redaction key), read with the checks
// every such file gets: a regular file of at most max_bytes; refused when group or others may
// write it (whoever can write it chooses the secret); accepted with a warning when they may
// read it (the secret is already exposed: say so, like ssh does for keys, but do not break a
// mounted secret that is 0644 by default). Messages name the file and never its contents.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "spool/status.h"

namespace spool::engine {

struct SecretFile {
  std::string text;
  std::vector<std::string> warnings;  // readable by group or others
};

// `what` names the file in messages ("header file", "redaction key file"); `secret` says
// what it holds ("credentials", "key"). InvalidArgument, "<what> <path> <why>", when the
// file cannot be opened or read or fails a check.
Result<SecretFile> read_secret_file(const std::string& path, std::string_view what,
                                    std::string_view secret, std::size_t max_bytes);

}  // namespace spool::engine
