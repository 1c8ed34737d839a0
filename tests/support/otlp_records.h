// Records as spoold keeps what it receives over OTLP (records.fbs: resource, scope, links,
// nested attribute values, the OTLP-only metric fields), built with FlatBufferBuilder for
// the tests of the OTLP encoders and of spoolctl dump. RecordEncoder writes none of these
// fields, so these tests build the tables themselves.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "spool/records_generated.h"

namespace spool::testing {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// A resource and a scope to give a record; an empty OtlpResource / OtlpScope (has = false)
// leaves the field unset.
struct OtlpResource {
  bool has = false;
  KeyValues attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::string schema_url;
};
struct OtlpScope {
  bool has = false;
  std::string name;
  std::string version;
  KeyValues attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::string schema_url;
};

flatbuffers::Offset<fb::Attribute> string_attribute(flatbuffers::FlatBufferBuilder& fbb, const std::string& key,
                                                    const std::string& value);
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>> string_attributes(
    flatbuffers::FlatBufferBuilder& fbb, const KeyValues& attributes);
flatbuffers::Offset<fb::Resource> build_resource(flatbuffers::FlatBufferBuilder& fbb, const OtlpResource& r);
flatbuffers::Offset<fb::Scope> build_scope(flatbuffers::FlatBufferBuilder& fbb, const OtlpScope& s);

// The attribute "nested" = kvlist {"list": array [7, "two", bytes 01 ff, empty, array [true]],
// "pi": 3.5}, whose stringified form (support/otlp_decoder.h) is kNestedText.
flatbuffers::Offset<fb::Attribute> nested_attribute(flatbuffers::FlatBufferBuilder& fbb);
inline constexpr const char* kNestedText = "{list=[7,two,01ff,,[true]],pi=3.5}";

// A span named `name` (trace id bytes all `seed`, span id bytes all `seed`) with the given
// origin and nothing else of the OTLP fields.
std::vector<std::uint8_t> plain_span(const std::string& name, std::uint8_t seed, const OtlpResource& resource = {},
                                     const OtlpScope& scope = {});

// A finished builder's bytes.
std::vector<std::uint8_t> bytes_of(const flatbuffers::FlatBufferBuilder& fbb);

}  // namespace spool::testing
