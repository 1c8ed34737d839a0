// An asymmetric memory barrier: a near-free "light" barrier for a hot path and a "heavy"
// barrier (membarrier(2), PRIVATE_EXPEDITED) for a rare path, which together order memory
// like a seq_cst fence on both sides.
//
// Why: the producer's wake-up handshake with the writer (store entry, then load the
// writer's sleeping flag; the writer: store sleeping, then load the rings) needs store→load
// ordering on both sides. A seq_cst fence on every append measured as a fifth of the
// producer's time (it waits for the just-copied record to drain from the store buffer).
// With membarrier, the producer only stops the compiler from reordering, and the writer,
// just before it sleeps (rare), makes every running thread of the process execute a full
// barrier. Where membarrier is refused (seccomp, old kernels) both sides fall back to a
// seq_cst fence.
#pragma once

#include <atomic>

namespace spool::io {

inline constexpr int kBarrierUnknown = 0;
inline constexpr int kBarrierMembarrier = 1;
inline constexpr int kBarrierFence = 2;
extern std::atomic<int> g_barrier_state;
bool decide_process_barrier() noexcept;

// True when membarrier's private expedited command is registered for this process (decided
// on first use; Buffer::open asks before it starts threads). Lock-free, so fork-safe.
inline bool process_barrier_available() noexcept {
  const int state = g_barrier_state.load(std::memory_order_acquire);
  if (state == kBarrierUnknown) [[unlikely]] return decide_process_barrier();
  return state == kBarrierMembarrier;
}

// Hot side.
inline void light_barrier() noexcept {
  if (process_barrier_available()) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}

// Rare side: after it returns, every other thread of the process has passed a full barrier
// (or, without membarrier, this thread has).
void heavy_barrier() noexcept;

}  // namespace spool::io
