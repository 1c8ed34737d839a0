// An httplib::Server bound to a ListenAddress and serving on its own threads: the common
// part of spoold's two endpoints (OTLP receiver, metrics).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "spool/status.h"
#include "tools/spoold/spoold_config.h"

namespace httplib {
class Server;
}

namespace spool::tools {

class HttpServerThread {
 public:
  // An HTTPS server when both files are given, else HTTP. Routes are added to server()
  // before serve().
  static Result<std::unique_ptr<HttpServerThread>> create(const std::string& tls_cert_file,
                                                          const std::string& tls_key_file);
  ~HttpServerThread();

  httplib::Server& server() { return *server_; }

  // Binds `address` (port 0: a free port; the error names the address) and serves until
  // stop(). Returns once the server accepts connections.
  Status serve(const ListenAddress& address);
  ListenAddress address() const { return bound_; }

  // Closes the listening socket; returns when the requests in progress were answered.
  // Idempotent.
  void stop();

 private:
  HttpServerThread() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  ListenAddress bound_;
};

}  // namespace spool::tools
