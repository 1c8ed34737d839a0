// Agent: what `spoold DIR` runs. It holds the writer role of the log in DIR (applications in
// other processes attach to it through shared memory and append themselves), receives
// OTLP/HTTP into it, forwards it to each configured sink through that sink's own cursor, and
// serves /metrics and /healthz.
//
//   auto agent = Agent::start(config);       // opens the log, binds, starts forwarding
//   ... wait for SIGTERM ...
//   (*agent)->shutdown();                    // stop receiving, drain, last delivery, close
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "spool/health.h"
#include "spool/status.h"
#include "tools/spoold/http_server_thread.h"
#include "tools/spoold/otlp_http_receiver.h"
#include "tools/spoold/spoold_config.h"

namespace spool::tools {

class Agent {
 public:
  // Opens the log (Locked, naming the holder, when another process writes it), starts one
  // forwarder per sink, then the receiver and the metrics endpoint. Any failure undoes what
  // was started and is returned with what failed in its message.
  static Result<std::unique_ptr<Agent>> start(const SpooldConfig& config);
  ~Agent();

  // Where the endpoints listen (the chosen ports when configured with port 0); the metrics
  // address is empty when metrics are off.
  ListenAddress otlp_address() const { return receiver_->address(); }
  std::string metrics_address() const;

  // The Prometheus text of every counter: the Buffer's, each forwarder's, the receiver's.
  std::string metrics_text() const;
  // Every warning of the log and of each forwarder (duplicates once).
  HealthReport health() const;

  // SIGTERM: answers 503 to new requests, waits for those in progress, writes what is
  // queued, gives every forwarder one last chance to deliver what is committed until
  // `drain_timeout_ms` after the call, stops them (cursors persisted), and closes the log
  // cleanly. Returns the first error on the way; idempotent.
  Status shutdown();

 private:
  Agent() = default;
  struct Sink {
    std::string cursor;
    std::string url_shown;  // credentials masked
    std::unique_ptr<Forwarder> forwarder;
  };
  SpooldConfig config_;
  std::unique_ptr<Buffer> buffer_;
  std::vector<Sink> sinks_;
  std::unique_ptr<OtlpHttpReceiver> receiver_;
  std::unique_ptr<HttpServerThread> metrics_;
  bool shut_down_ = false;
};

}  // namespace spool::tools
