// OpeningProcess: the process that opened a writer-side object (a log opened for writing, a
// Buffer, a Forwarder), so that the object can tell when it is used from a child of fork().
//
// Why: fork() copies the whole address space but only the calling thread. A child inherits
// the parent's open log (its flock, which belongs to the open file description it shares
// with the parent), its producer rings and the objects of threads that do not exist in it
// (the writer, the forwarder). Writing, syncing or unlocking from the child would corrupt or
// unlock the parent's log; joining a parent thread is undefined. So a writer-side object
// records its opener and, in any other process, refuses to write and only frees memory.
//
// Cost: forked() is one relaxed load of a process-global counter that a pthread_atfork child
// handler bumps (registered by the first OpeningProcess): nothing in steady state, so the
// producer's append path can ask it. is_other_process() adds a getpid() call (a syscall),
// for slow paths (close, shutdown, destructors), and also catches a child made by a raw
// clone() that runs no atfork handlers.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>

namespace spool::io {

namespace fork_detail {
// Number of fork() calls between the process's start and this one (bumped in the child).
inline std::atomic<std::uint64_t> generation{0};
}  // namespace fork_detail

class OpeningProcess {
 public:
  OpeningProcess() noexcept;  // the calling process

  // True in a child forked (through fork(), which runs atfork handlers) after construction.
  bool forked() const noexcept {
    return generation_ != fork_detail::generation.load(std::memory_order_relaxed);
  }
  // True in any process other than the opener (one getpid() call).
  bool is_other_process() const noexcept { return forked() || ::getpid() != pid_; }
  pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_;
  std::uint64_t generation_;
};

// Keeps an object of the parent alive and unreachable for the rest of this (child) process:
// never destroyed, so none of its destructor's effects (joining a thread that does not exist
// here, waiting on a condition variable a parent thread waited on, closing a connection the
// parent still uses) happens. Held in a process-global list, so leak checkers see it as
// reachable.
struct KeptObject {
  virtual ~KeptObject() = default;
  KeptObject* next = nullptr;
};
void keep_node_forever(KeptObject* node) noexcept;

template <typename T>
void keep_forever(T object) {
  struct Holder final : KeptObject {
    explicit Holder(T o) : value(std::move(o)) {}
    T value;
  };
  keep_node_forever(new Holder(std::move(object)));
}

// A parent's thread, inherited by a fork child where it does not run: moved out of `thread`
// (which is then not joinable, so it can be destroyed) and kept forever. Joining or detaching
// it would use a thread descriptor that glibc recycles in the child.
inline void abandon_parent_thread(std::thread& thread) {
  if (thread.joinable()) keep_forever(std::move(thread));
}

}  // namespace spool::io
