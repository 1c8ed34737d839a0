// A program that only produces: it links spool_produce and nothing else of the engine, opens
// a Buffer in the directory it is given, appends one span built with SpanBuilder and one
// with ScopedSpan, flushes, and exits 0 when both are written. produce_only_links.cmake runs
// it and then checks that its binary needs neither libcurl nor zlib (nor zstd).
#include <cstdio>

#include "spool/buffer.h"
#include "spool/scoped_span.h"
#include "spool/span_builder.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s LOG_DIR\n", argv[0]);
    return 2;
  }
  auto buffer = spool::Buffer::open(argv[1], spool::Options{});
  if (!buffer) {
    std::fprintf(stderr, "%s\n", buffer.status().to_string().c_str());
    return 1;
  }
  spool::SpanBuilder builder;
  builder.start("produce-only", spool::SpanType::kGeneration).set_model("m").end();
  if (spool::Status s = (*buffer)->append(builder.span()); !s) {
    std::fprintf(stderr, "append: %s\n", s.to_string().c_str());
    return 1;
  }
  { spool::ScopedSpan scoped(**buffer, "scoped"); }
  if (spool::Status s = (*buffer)->flush(); !s) {
    std::fprintf(stderr, "flush: %s\n", s.to_string().c_str());
    return 1;
  }
  const std::uint64_t written = (*buffer)->stats().written;
  if (written != 2) {
    std::fprintf(stderr, "written %llu records, expected 2\n", static_cast<unsigned long long>(written));
    return 1;
  }
  return 0;
}
