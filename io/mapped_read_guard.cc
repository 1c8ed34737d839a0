#include "io/mapped_read_guard.h"

#include <setjmp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

namespace spool::io {

namespace {

struct Probe {
  sigjmp_buf jump;
  const std::uint8_t* from;
  const std::uint8_t* to;
};

// initial-exec: the handler reads it without a dynamic TLS lookup (which may allocate).
__attribute__((tls_model("initial-exec"))) thread_local Probe* t_probe = nullptr;
struct sigaction g_previous{};
std::once_flag g_installed;

void on_sigbus(int sig, siginfo_t* info, void* context) {
  Probe* probe = t_probe;
  const auto* addr = static_cast<const std::uint8_t*>(info->si_addr);
  if (probe != nullptr && addr >= probe->from && addr < probe->to) siglongjmp(probe->jump, 1);
  // Not a probe's fault: what would have happened without us.
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Back to the default action; returning re-runs the faulting access, which now kills.
  signal(SIGBUS, SIG_DFL);
}

void install_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  // SA_NODEFER: leaving the handler by siglongjmp without restoring the signal mask (no
  // sigprocmask syscall per probe) must not leave SIGBUS blocked.
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous);
}

std::uintptr_t page_bytes() noexcept {
  static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

std::size_t readable_prefix(const std::uint8_t* addr, std::size_t len) noexcept {
  if (len == 0) return 0;
  std::call_once(g_installed, install_handler);
  const std::uintptr_t page = page_bytes();
  Probe probe;
  probe.from = addr;
  probe.to = addr + len;
  // volatile: read after a siglongjmp back into this frame.
  volatile std::size_t readable = 0;
  Probe* const outer = t_probe;
  t_probe = &probe;
  if (sigsetjmp(probe.jump, /*savemask=*/0) == 0) {
    std::size_t at = 0;
    while (at < len) {
      (void)*static_cast<const volatile std::uint8_t*>(addr + at);
      const std::uintptr_t page_end = (reinterpret_cast<std::uintptr_t>(addr + at) / page + 1) * page;
      at = std::min<std::size_t>(len, page_end - reinterpret_cast<std::uintptr_t>(addr));
      readable = at;
    }
  }
  t_probe = outer;
  return readable;
}

}  // namespace spool::io
