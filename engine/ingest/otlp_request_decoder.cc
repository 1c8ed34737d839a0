#include "engine/ingest/otlp_request_decoder.h"

#include <string_view>

#include "engine/ingest/otlp_json_request.h"
#include "engine/ingest/otlp_protobuf_request.h"

namespace spool::engine {

Status decode_otlp_request(OtlpSignal signal, OtlpFormat format, std::span<const std::uint8_t> body,
                           OtlpDecodedRequest* out) {
  OtlpRecordStore& store = out->store_;
  store.clear();
  store.set_budget(otlp_record_budget(body.size()));
  const std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  Status status = format == OtlpFormat::kProtobuf ? decode_otlp_protobuf_request(signal, text, store)
                                                  : decode_otlp_json_request(signal, text, store);
  if (!status) {
    store.clear();
    return status;
  }
  store.seal();
  return status;
}

}  // namespace spool::engine
