#include "engine/forward/redaction_key_file.h"

#include "spool/redaction.h"

namespace spool::engine {

Result<SecretFile> read_redaction_key_file(const std::string& path) {
  auto file = read_secret_file(path, "redaction key file", "key", kMaxRedactionKeyFileBytes);
  if (!file) return file.status();
  std::string& key = file->text;
  if (key.ends_with('\n')) key.pop_back();
  if (key.ends_with('\r')) key.pop_back();
  if (key.size() < kMinRedactionKeyBytes) {
    return Status::invalid_argument("redaction key file " + path + " holds " +
                                    std::to_string(key.size()) + " bytes; a key needs at least " +
                                    std::to_string(kMinRedactionKeyBytes) +
                                    " (e.g. head -c 32 /dev/urandom > " + path + ")");
  }
  return file;
}

}  // namespace spool::engine
