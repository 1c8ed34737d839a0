#include "tools/spoold/http_server_thread.h"

#include <httplib.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace spool::tools {

Result<std::unique_ptr<HttpServerThread>> HttpServerThread::create(const std::string& tls_cert_file,
                                                                   const std::string& tls_key_file) {
  std::unique_ptr<HttpServerThread> t(new HttpServerThread());
  if (!tls_cert_file.empty() || !tls_key_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(tls_cert_file.c_str(), tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return Status::invalid_argument("TLS: cannot use certificate '" + tls_cert_file + "' with key '" +
                                      tls_key_file + "' (unreadable, not PEM, or not a pair)");
    }
    t->server_ = std::move(ssl);
  } else {
    t->server_ = std::make_unique<httplib::Server>();
  }
  return t;
}

HttpServerThread::~HttpServerThread() { stop(); }

Status HttpServerThread::serve(const ListenAddress& address) {
  httplib::Server& svr = *server_;
  errno = 0;
  int port = address.port;
  if (port == 0) {
    port = svr.bind_to_any_port(address.host);
  } else if (!svr.bind_to_port(address.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    const int err = errno;
    return Status::unavailable("cannot listen on " + address.text() +
                               (err != 0 ? std::string(": ") + std::strerror(err) : std::string()) +
                               " (address in use, or not an address of this machine?)");
  }
  bound_ = {address.host, static_cast<std::uint16_t>(port)};
  thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  // stop() before the thread runs its accept loop would be lost (httplib stops only a
  // running server), so return once it runs; a few ms at most.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!svr.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::ok();
}

void HttpServerThread::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace spool::tools
