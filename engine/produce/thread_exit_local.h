// ThreadExitLocal<T>: one T per thread, created on first use and destroyed when the thread
// exits, after every C++ thread_local destructor of that thread.
//
// Why not a thread_local T: the order in which a thread's thread_local objects are
// destroyed is the reverse of their construction, so a thread_local object constructed
// before the thread's first append (a logger, a span guard) is destroyed after a
// thread_local T, and its destructor would use a destroyed T. Here T lives behind a pthread
// key, whose destructors glibc runs after the thread_local ones; a use even after that
// creates a new T, which the key's next destructor round frees
// (PTHREAD_DESTRUCTOR_ITERATIONS). The fast path is one thread_local pointer test.
#pragma once

#include <pthread.h>

#include <cstdlib>

namespace spool::engine {

template <typename T>
class ThreadExitLocal {
 public:
  static T& get() {
    if (tl_value_ != nullptr) [[likely]] return *tl_value_;
    return create();
  }

 private:
  static T& create() {
    tl_value_ = new T();
    ::pthread_setspecific(key(), tl_value_);
    return *tl_value_;
  }
  static void destroy(void* value) noexcept {
    tl_value_ = nullptr;  // first: T's destructor may lead to a get() (a new T)
    delete static_cast<T*>(value);
  }
  static pthread_key_t key() {
    static const pthread_key_t k = [] {
      pthread_key_t made;
      if (::pthread_key_create(&made, &destroy) != 0) std::abort();  // no key left: nothing to fall back to
      return made;
    }();
    return k;
  }

  static inline thread_local T* tl_value_ = nullptr;
};

}  // namespace spool::engine
