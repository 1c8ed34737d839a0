#include "io/process_barrier.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace spool::io {

namespace {

bool register_membarrier() noexcept {
  const long supported = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

}  // namespace

// No function-local static (its initialization guard is a lock): a child forked while another
// thread was registering would wait for that guard forever. Threads that find the state
// unknown each register (the command is idempotent) and store the same answer.
std::atomic<int> g_barrier_state{kBarrierUnknown};

bool decide_process_barrier() noexcept {
  const int state = register_membarrier() ? kBarrierMembarrier : kBarrierFence;
  g_barrier_state.store(state, std::memory_order_release);
  return state == kBarrierMembarrier;
}

void heavy_barrier() noexcept {
  if (process_barrier_available() && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) {
    return;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace spool::io
