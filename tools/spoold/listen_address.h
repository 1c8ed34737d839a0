// HOST:PORT as spoold's --otlp-listen and --metrics-listen take them ("127.0.0.1:4318",
// "[::1]:4318", "0.0.0.0:4318", "localhost:9464"; port 0 picks a free port).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spool/status.h"

namespace spool::tools {

struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
  std::string text() const;  // back to HOST:PORT (brackets restored)
};

// InvalidArgument naming `what` (the flag or key) for anything but HOST:PORT.
Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view what);

// Whether only this machine can reach the address: 127.0.0.0/8, ::1, "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace spool::tools
