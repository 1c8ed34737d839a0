// OtlpEncoderGroups: records grouped by resource and scope (see otlp_encoder_groups.h).
#include "engine/sinks/otlp/otlp_encoder_groups.h"

#include <bit>
#include <string_view>
#include <utility>

namespace spool::engine {

namespace {

std::string_view view(const flatbuffers::String* s) noexcept {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

bool same_attribute(const fb::Attribute& a, const fb::Attribute& b) noexcept {
  if (a.type() != b.type() || view(a.key()) != view(b.key())) return false;
  switch (a.type()) {
    case fb::AttributeType::String:
      return view(a.string_value()) == view(b.string_value());
    case fb::AttributeType::Int:
      return a.int_value() == b.int_value();
    case fb::AttributeType::Double:
      // Bitwise: a NaN equals itself (else records with one would never share a group).
      return std::bit_cast<std::uint64_t>(a.double_value()) ==
             std::bit_cast<std::uint64_t>(b.double_value());
    case fb::AttributeType::Bool:
      return a.bool_value() == b.bool_value();
    case fb::AttributeType::Bytes: {
      const auto* x = a.bytes_value();
      const auto* y = b.bytes_value();
      const std::string_view xs = x == nullptr ? std::string_view()
                                               : std::string_view(reinterpret_cast<const char*>(x->data()), x->size());
      const std::string_view ys = y == nullptr ? std::string_view()
                                               : std::string_view(reinterpret_cast<const char*>(y->data()), y->size());
      return xs == ys;
    }
    case fb::AttributeType::Array:
    case fb::AttributeType::KvList:
      return same_attributes(a.values(), b.values());
    default:
      return true;  // Empty, or a type a later version added (sent as an empty value)
  }
}

}  // namespace

bool same_attributes(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* a,
                     const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* b) noexcept {
  const std::uint32_t n = a == nullptr ? 0 : a->size();
  if (n != (b == nullptr ? 0 : b->size())) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!same_attribute(*a->Get(i), *b->Get(i))) return false;
  }
  return true;
}

bool same_resource(const fb::Resource* a, const fb::Resource* b) noexcept {
  if (a == nullptr || b == nullptr) return a == b;
  return a->dropped_attributes_count() == b->dropped_attributes_count() &&
         view(a->schema_url()) == view(b->schema_url()) && same_attributes(a->attributes(), b->attributes());
}

bool same_scope(const fb::Scope* a, const fb::Scope* b) noexcept {
  if (a == nullptr || b == nullptr) return a == b;
  return view(a->name()) == view(b->name()) && view(a->version()) == view(b->version()) &&
         a->dropped_attributes_count() == b->dropped_attributes_count() &&
         view(a->schema_url()) == view(b->schema_url()) && same_attributes(a->attributes(), b->attributes());
}

std::uint32_t OtlpEncoderGroups::place_slow(const fb::Resource* resource, const fb::Scope* scope,
                                            std::vector<std::uint64_t>& scratch, bool from_scratch) {
  bool created = false;
  std::uint32_t r = 0;
  while (r < resources_.size() && !same_resource(resources_[r].resource, resource)) ++r;
  if (r == resources_.size()) {
    resources_.push_back({resource});
    created = true;
  }
  std::uint32_t s = 0;
  while (s < scopes_.size() && !(scopes_[s].resource == r && same_scope(scopes_[s].scope, scope))) ++s;
  if (s == scopes_.size()) {
    scopes_.push_back({r, scope});
    created = true;
  }
  if (created && from_scratch) {
    // The new group points into scratch: keep those bytes for the rest of the encoding
    // (a swap moves no bytes, and the buffer's address stays what the pointers hold).
    if (kept_count_ == kept_.size()) kept_.emplace_back();
    std::swap(kept_[kept_count_++], scratch);
  }
  if (resource == nullptr && scope == nullptr) default_scope_ = s;
  return s;
}

}  // namespace spool::engine
