#include "support/otlp_records.h"

namespace spool::testing {

flatbuffers::Offset<fb::Attribute> string_attribute(flatbuffers::FlatBufferBuilder& fbb, const std::string& key,
                                                    const std::string& value) {
  return fb::CreateAttributeDirect(fbb, key.c_str(), fb::AttributeType::String, value.c_str());
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>> string_attributes(
    flatbuffers::FlatBufferBuilder& fbb, const KeyValues& attributes) {
  std::vector<flatbuffers::Offset<fb::Attribute>> list;
  for (const auto& [k, v] : attributes) list.push_back(string_attribute(fbb, k, v));
  return fbb.CreateVector(list);
}

flatbuffers::Offset<fb::Resource> build_resource(flatbuffers::FlatBufferBuilder& fbb, const OtlpResource& r) {
  if (!r.has) return 0;
  const auto attributes = string_attributes(fbb, r.attributes);
  const auto schema = r.schema_url.empty() ? 0 : fbb.CreateString(r.schema_url);
  return fb::CreateResource(fbb, attributes, r.dropped_attributes_count, schema);
}

flatbuffers::Offset<fb::Scope> build_scope(flatbuffers::FlatBufferBuilder& fbb, const OtlpScope& s) {
  if (!s.has) return 0;
  const auto name = fbb.CreateString(s.name);
  const auto version = s.version.empty() ? 0 : fbb.CreateString(s.version);
  const auto attributes = s.attributes.empty() ? 0 : string_attributes(fbb, s.attributes);
  const auto schema = s.schema_url.empty() ? 0 : fbb.CreateString(s.schema_url);
  return fb::CreateScope(fbb, name, version, attributes, s.dropped_attributes_count, schema);
}

flatbuffers::Offset<fb::Attribute> nested_attribute(flatbuffers::FlatBufferBuilder& fbb) {
  const std::vector<std::uint8_t> bytes = {0x01, 0xff};
  std::vector<flatbuffers::Offset<fb::Attribute>> inner = {
      fb::CreateAttributeDirect(fbb, "", fb::AttributeType::Bool, nullptr, 0, 0, true)};
  const auto inner_array = fb::CreateAttributeDirect(fbb, "", fb::AttributeType::Array, nullptr, 0, 0, false,
                                                     nullptr, &inner);
  std::vector<flatbuffers::Offset<fb::Attribute>> elements = {
      fb::CreateAttributeDirect(fbb, "", fb::AttributeType::Int, nullptr, 7),
      fb::CreateAttributeDirect(fbb, "", fb::AttributeType::String, "two"),
      fb::CreateAttributeDirect(fbb, "", fb::AttributeType::Bytes, nullptr, 0, 0, false, &bytes),
      fb::CreateAttributeDirect(fbb, "", fb::AttributeType::Empty),
      inner_array,
  };
  const auto list = fb::CreateAttributeDirect(fbb, "list", fb::AttributeType::Array, nullptr, 0, 0, false, nullptr,
                                              &elements);
  std::vector<flatbuffers::Offset<fb::Attribute>> entries = {
      list, fb::CreateAttributeDirect(fbb, "pi", fb::AttributeType::Double, nullptr, 0, 3.5)};
  return fb::CreateAttributeDirect(fbb, "nested", fb::AttributeType::KvList, nullptr, 0, 0, false, nullptr, &entries);
}

std::vector<std::uint8_t> plain_span(const std::string& name, std::uint8_t seed, const OtlpResource& resource,
                                     const OtlpScope& scope) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto name_offset = fbb.CreateString(name);
  const auto r = build_resource(fbb, resource);
  const auto s = build_scope(fbb, scope);
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> i{};
  t.fill(seed);
  i.fill(seed);
  const fb::TraceId trace_id{flatbuffers::span<const std::uint8_t, 16>(t)};
  const fb::SpanId span_id{flatbuffers::span<const std::uint8_t, 8>(i)};
  fb::SpanBuilder b(fbb);
  b.add_trace_id(&trace_id);
  b.add_span_id(&span_id);
  b.add_name(name_offset);
  b.add_start_ns(1000);
  b.add_end_ns(2000);
  if (!r.IsNull()) b.add_resource(r);
  if (!s.IsNull()) b.add_scope(s);
  fbb.Finish(b.Finish());
  return bytes_of(fbb);
}

std::vector<std::uint8_t> bytes_of(const flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

}  // namespace spool::testing
