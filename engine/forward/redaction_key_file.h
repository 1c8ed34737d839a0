// The file a front end reads a sink's redaction key from (spoolctl forward --redact-key-file,
// spoold's redact_key_file): kept off argv, checked like every secret file (secret_file.h).
#pragma once

#include <cstddef>
#include <string>

#include "engine/forward/secret_file.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr std::size_t kMaxRedactionKeyFileBytes = 4096;

// SecretFile::text is the key: the file's bytes without one trailing line end ("\n" or
// "\r\n"), so a key written with `echo` is the text a receiver knows it by. InvalidArgument
// naming the file when it fails secret_file's checks or the key is shorter than
// kMinRedactionKeyBytes.
Result<SecretFile> read_redaction_key_file(const std::string& path);

}  // namespace spool::engine
