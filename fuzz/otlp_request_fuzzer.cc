// Fuzzes what spoold receives (engine/ingest/): OTLP/HTTP request bodies, protobuf or JSON, of
// each signal, optionally behind a Content-Encoding. Bytes from the network: any input must
// decode or be refused with an error, never crash, hang or read out of bounds; and what
// decodes must be records readers can trust: each verifies as a table of its kind
// (verify_encoded), starts 8-byte aligned, and the rejection count and message agree.
//
// Input: byte 0 picks the request: bits 0-1 the signal (3 wraps to traces), bit 2 JSON, bits
// 3-4 the Content-Encoding (0 none, 1 gzip, 2 zstd, 3 none); the rest is the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "engine/ingest/http_body_decoder.h"
#include "engine/ingest/otlp_request_decoder.h"
#include "spool/record_verify.h"

namespace {

using spool::engine::OtlpFormat;
using spool::engine::OtlpSignal;

constexpr spool::RecordKind kKindOf[] = {spool::RecordKind::kSpan, spool::RecordKind::kLog,
                                         spool::RecordKind::kMetric};

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static spool::engine::OtlpDecodedRequest request;  // reused, as the server reuses one per thread
  static std::string decoded;
  const std::uint8_t selector = data[0];
  const auto signal = static_cast<OtlpSignal>((selector & 3) == 3 ? 0 : selector & 3);
  const OtlpFormat format = (selector & 4) != 0 ? OtlpFormat::kJson : OtlpFormat::kProtobuf;
  std::span<const std::uint8_t> body(data + 1, size - 1);

  const unsigned coding = (selector >> 3) & 3;
  if (coding == 1 || coding == 2) {
    const auto r = spool::engine::decode_content_encoding(coding == 1 ? "gzip" : "zstd", body, 1 << 20, &decoded);
    if (r.kind != spool::engine::BodyDecodeResult::Kind::kOk) return 0;
    check(decoded.size() <= (1u << 20));
    body = {reinterpret_cast<const std::uint8_t*>(decoded.data()), decoded.size()};
  }

  const spool::Status st = spool::engine::decode_otlp_request(signal, format, body, &request);
  if (!st.is_ok()) {
    check(request.records().empty());
    return 0;
  }
  check((request.rejected() == 0) == request.rejection_message().empty());
  for (const spool::EncodedRecord& r : request.records()) {
    check(r.kind == kKindOf[static_cast<int>(signal)]);
    check(reinterpret_cast<std::uintptr_t>(r.bytes.data()) % 8 == 0);
    check(spool::verify_encoded(r.kind, r.bytes).is_ok());
  }
  return 0;
}
