#include "engine/forward/dead_letter_registry.h"

#include <sys/stat.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/forward/secret_redaction.h"

namespace spool::engine {

namespace {

std::mutex registry_mu;
std::map<std::string, std::weak_ptr<DeadLetterLog>>& registry() {
  static auto* open_logs = new std::map<std::string, std::weak_ptr<DeadLetterLog>>();
  return *open_logs;
}

}  // namespace

Result<std::shared_ptr<DeadLetterLog>> acquire_dead_letter_log(const std::string& log_dir,
                                                                std::chrono::milliseconds wait,
                                                                std::uint32_t max_payload_bytes) {
  // Held while opening (and waiting): a second user in this process shares what the first opens.
  std::lock_guard<std::mutex> lock(registry_mu);
  auto& open_logs = registry();
  if (auto it = open_logs.find(log_dir); it != open_logs.end()) {
    if (auto shared = it->second.lock()) return shared;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto opened = DeadLetterLog::open(log_dir, max_payload_bytes);
    if (opened) {
      std::shared_ptr<DeadLetterLog> shared(std::move(*opened));
      open_logs[log_dir] = shared;
      return shared;
    }
    if (opened.status().code() != StatusCode::kLocked || std::chrono::steady_clock::now() >= deadline) {
      return opened.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // another process's turn
  }
}

bool has_dead_letter_log(const std::string& log_dir) {
  struct stat st;
  const std::string path = log_dir + "/" + std::string(DeadLetterLog::kDirName);
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status append_dead_letters(DeadLetterLog& dead_letters, std::uint64_t log_id,
                           std::span<const ForwardRecord> records, std::uint32_t attempts,
                           const std::string& error) {
  // Kept for as long as the dead letter: no credential from a URL or a receiver's answer.
  const std::string redacted = redact_and_bound(error, kMaxDeadLetterErrorBytes);
  std::vector<DeadLetterInput> letters;
  letters.reserve(records.size());
  for (const ForwardRecord& r : records) {
    letters.push_back(DeadLetterInput{log_id, r.offset, static_cast<std::uint16_t>(r.kind),
                                      frame_flags_for(r.priority), r.timestamp_ns, attempts, redacted, r.payload});
  }
  return dead_letters.append(letters);
}

}  // namespace spool::engine
