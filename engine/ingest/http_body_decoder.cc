#include "engine/ingest/http_body_decoder.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>

namespace spool::engine {

namespace {

using Kind = BodyDecodeResult::Kind;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

BodyDecodeResult too_large(std::size_t max_out) {
  return {Kind::kTooLarge, "decoded body larger than " + std::to_string(max_out) + " bytes"};
}

// Grows `out` (up to max_out + 1 bytes, so that passing the limit shows) for the next chunk;
// returns the room made, 0 when the limit is already passed.
std::size_t make_room(std::string& out, std::size_t used, std::size_t max_out) {
  const std::size_t cap = max_out == SIZE_MAX ? SIZE_MAX : max_out + 1;
  if (used >= cap) return 0;
  if (out.size() == used) {
    std::size_t want = std::max<std::size_t>(used * 2, 64 * 1024);
    want = std::min(want, cap);
    out.resize(want);
  }
  return out.size() - used;
}

BodyDecodeResult gunzip(std::span<const std::uint8_t> in, std::size_t max_out, std::string* out) {
  z_stream z{};
  // 16 + MAX_WBITS: the gzip wrapper only (RFC 1952), not raw or zlib deflate.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return {Kind::kCorrupt, "gzip: inflateInit2 failed"};
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  std::size_t used = 0;
  std::size_t in_at = 0;
  out->clear();
  bool member_ended = false;
  while (true) {
    if (member_ended) {
      // Another gzip member follows (a concatenation is a valid gzip stream); else done.
      if (in_at == in.size()) break;
      if (inflateReset(&z) != Z_OK) return {Kind::kCorrupt, "gzip: inflateReset failed"};
      member_ended = false;
    }
    const std::size_t room = make_room(*out, used, max_out);
    if (room == 0) return too_large(max_out);
    const std::size_t in_chunk = std::min<std::size_t>(in.size() - in_at, UINT_MAX);
    const std::size_t out_chunk = std::min<std::size_t>(room, UINT_MAX);
    z.next_in = const_cast<Bytef*>(in.data() + in_at);
    z.avail_in = static_cast<uInt>(in_chunk);
    z.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    z.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&z, Z_NO_FLUSH);
    in_at += in_chunk - z.avail_in;
    used += out_chunk - z.avail_out;
    if (rc == Z_STREAM_END) {
      member_ended = true;
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_at == in.size()) {
      return {Kind::kCorrupt, "gzip: truncated stream"};
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return {Kind::kCorrupt, std::string("gzip: ") + (z.msg != nullptr ? z.msg : "invalid data")};
    }
    if (used > max_out) return too_large(max_out);
  }
  if (used > max_out) return too_large(max_out);
  out->resize(used);
  return {};
}

BodyDecodeResult unzstd(std::span<const std::uint8_t> in, std::size_t max_out, std::string* out) {
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return {Kind::kCorrupt, "zstd: out of memory"};
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::size_t used = 0;
  std::size_t last = 1;  // ZSTD_decompressStream's hint: 0 once a frame is complete
  out->clear();
  if (in.empty()) return {Kind::kCorrupt, "zstd: empty body"};
  while (input.pos < input.size || last != 0) {
    const std::size_t room = make_room(*out, used, max_out);
    if (room == 0) return too_large(max_out);
    ZSTD_outBuffer output{out->data() + used, room, 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last)) return {Kind::kCorrupt, std::string("zstd: ") + ZSTD_getErrorName(last)};
    used += output.pos;
    if (used > max_out) return too_large(max_out);
    if (last != 0 && input.pos == input.size && output.pos < room) {
      // All input consumed and room left, yet the frame wants more: the body was cut short.
      return {Kind::kCorrupt, "zstd: truncated frame"};
    }
  }
  out->resize(used);
  return {};
}

}  // namespace

BodyDecodeResult decode_content_encoding(std::string_view encoding, std::span<const std::uint8_t> in,
                                         std::size_t max_out, std::string* out) {
  encoding = trimmed(encoding);
  if (encoding.empty() || equals_ignoring_case(encoding, "identity")) {
    if (in.size() > max_out) return too_large(max_out);
    out->assign(reinterpret_cast<const char*>(in.data()), in.size());
    return {};
  }
  if (equals_ignoring_case(encoding, "gzip") || equals_ignoring_case(encoding, "x-gzip")) {
    return gunzip(in, max_out, out);
  }
  if (equals_ignoring_case(encoding, "zstd")) return unzstd(in, max_out, out);
  return {Kind::kUnsupported, "unsupported Content-Encoding \"" + std::string(encoding) + "\""};
}

}  // namespace spool::engine
