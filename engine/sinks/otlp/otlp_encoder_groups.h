// OtlpEncoderGroups: which ResourceX and ScopeX of an OTLP request each record goes in, for
// both OTLP encoders.
//
// A record received over OTLP keeps its Resource and InstrumentationScope (records.fbs); a
// record a producer appended has neither, and the sink's configured resource and the scope
// "spool" stand for them. Records are grouped by content, not by where they came from: two
// records with equal resources (attributes, dropped count, schema_url) share a resource
// group, and within it two records with equal scopes share a scope group. Groups are
// numbered in order of their first record, so a request lists resources, and the scopes of
// each resource, in the order their first records have in the batch.
//
// A group remembers the tables of its first record and compares later records with them
// field by field; nothing is rendered to compare. The tables must outlive the encoding: they
// do when they are in the batch, and a record read from a misaligned copy (checked_payload's
// scratch) hands that copy to the groups with keep_scratch.
//
// The commonest case, every record without resource and scope, costs two pointer tests per
// record; clear() keeps capacity, so once warm the groups allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "spool/records_generated.h"

namespace spool::engine {

class OtlpEncoderGroups {
 public:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  struct ResourceGroup {
    const fb::Resource* resource = nullptr;  // null: the sink's configured resource
  };
  struct ScopeGroup {
    std::uint32_t resource = 0;           // index of its resource group
    const fb::Scope* scope = nullptr;     // null: the scope "spool"
  };

  void clear() noexcept {
    resources_.clear();
    scopes_.clear();
    kept_count_ = 0;
    default_scope_ = kNone;
  }

  // The scope group of a record whose origin is (resource, scope), either null; a new group
  // (of either kind) when no earlier record had equal ones. `from_scratch`: the tables are
  // in `scratch` (a misaligned record's copy), which a new group then keeps (swapped with a
  // spare buffer, so `scratch` stays usable).
  std::uint32_t place(const fb::Resource* resource, const fb::Scope* scope,
                      std::vector<std::uint64_t>& scratch, bool from_scratch) {
    if (resource == nullptr && scope == nullptr && default_scope_ != kNone) return default_scope_;
    return place_slow(resource, scope, scratch, from_scratch);
  }

  std::size_t resource_count() const noexcept { return resources_.size(); }
  std::size_t scope_count() const noexcept { return scopes_.size(); }
  const ResourceGroup& resource(std::size_t i) const { return resources_[i]; }
  const ScopeGroup& scope(std::size_t i) const { return scopes_[i]; }

 private:
  std::uint32_t place_slow(const fb::Resource* resource, const fb::Scope* scope,
                           std::vector<std::uint64_t>& scratch, bool from_scratch);

  std::vector<ResourceGroup> resources_;
  std::vector<ScopeGroup> scopes_;
  // Misaligned records' copies that groups point into; kept_count_ of them in use, the rest
  // spare buffers for later encodings.
  std::vector<std::vector<std::uint64_t>> kept_;
  std::size_t kept_count_ = 0;
  std::uint32_t default_scope_ = kNone;  // the group of records without resource and scope
};

// Field-by-field equality of OTLP origins (null equals only null); attribute lists compare
// in order, nested values included.
bool same_attributes(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* a,
                     const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* b) noexcept;
bool same_resource(const fb::Resource* a, const fb::Resource* b) noexcept;
bool same_scope(const fb::Scope* a, const fb::Scope* b) noexcept;

}  // namespace spool::engine
