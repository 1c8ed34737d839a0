#include "io/opening_process.h"

#include <pthread.h>

namespace spool::io {

namespace {

void on_fork_child() noexcept { fork_detail::generation.fetch_add(1, std::memory_order_relaxed); }

void watch_forks() noexcept {
  // Once per process (a child inherits the registration with the rest of the memory).
  static const int registered = ::pthread_atfork(nullptr, nullptr, &on_fork_child);
  (void)registered;
}

std::atomic<KeptObject*> kept_head{nullptr};

}  // namespace

OpeningProcess::OpeningProcess() noexcept : pid_(::getpid()), generation_(0) {
  watch_forks();
  generation_ = fork_detail::generation.load(std::memory_order_relaxed);
}

void keep_node_forever(KeptObject* object) noexcept {
  object->next = kept_head.load(std::memory_order_relaxed);
  while (!kept_head.compare_exchange_weak(object->next, object, std::memory_order_release,
                                          std::memory_order_relaxed)) {
  }
}

}  // namespace spool::io
