// OtlpEncoderGroups: records' origins grouped by content, groups numbered in order of first
// record, scopes under their resource, the no-origin group found without a scan, and tables
// read from the scratch copy kept for as long as their group needs them.
#include "engine/sinks/otlp/otlp_encoder_groups.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "support/otlp_records.h"

namespace spool::engine {
namespace {

using testing::OtlpResource;
using testing::OtlpScope;

// One finished table per builder, kept alive (and 8-byte aligned) for the test.
class Tables {
 public:
  const fb::Resource* resource(const OtlpResource& r) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(testing::build_resource(fbb, r));
    return flatbuffers::GetRoot<fb::Resource>(keep(fbb));
  }
  const fb::Scope* scope(const OtlpScope& s) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(testing::build_scope(fbb, s));
    return flatbuffers::GetRoot<fb::Scope>(keep(fbb));
  }
  // A Resource holding one attribute built by `make`.
  template <typename Make>
  const fb::Resource* resource_with(Make make) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<fb::Attribute>> list = {make(fbb)};
    const auto attributes = fbb.CreateVector(list);
    fbb.Finish(fb::CreateResource(fbb, attributes));
    return flatbuffers::GetRoot<fb::Resource>(keep(fbb));
  }

 private:
  const std::uint8_t* keep(const flatbuffers::FlatBufferBuilder& fbb) {
    storage_.emplace_back((fbb.GetSize() + 7) / 8);
    std::memcpy(storage_.back().data(), fbb.GetBufferPointer(), fbb.GetSize());
    return reinterpret_cast<const std::uint8_t*>(storage_.back().data());
  }
  std::vector<std::vector<std::uint64_t>> storage_;
};

OtlpResource resource_of(const char* service) {
  OtlpResource r;
  r.has = true;
  r.attributes = {{"service.name", service}};
  return r;
}
OtlpScope scope_of(const char* name, const char* version = "1") {
  OtlpScope s;
  s.has = true;
  s.name = name;
  s.version = version;
  return s;
}

TEST(OtlpEncoderGroups, GroupsByContentInOrderOfFirstRecord) {
  Tables t;
  std::vector<std::uint64_t> scratch;
  OtlpEncoderGroups g;
  EXPECT_EQ(g.place(t.resource(resource_of("a")), nullptr, scratch, false), 0u);
  EXPECT_EQ(g.place(nullptr, nullptr, scratch, false), 1u);
  EXPECT_EQ(g.place(t.resource(resource_of("a")), nullptr, scratch, false), 0u);  // another table, equal
  EXPECT_EQ(g.place(t.resource(resource_of("b")), t.scope(scope_of("s")), scratch, false), 2u);
  EXPECT_EQ(g.place(t.resource(resource_of("a")), t.scope(scope_of("s")), scratch, false), 3u);
  EXPECT_EQ(g.place(t.resource(resource_of("a")), t.scope(scope_of("s", "2")), scratch, false), 4u);
  EXPECT_EQ(g.place(nullptr, nullptr, scratch, false), 1u);
  EXPECT_EQ(g.place(nullptr, t.scope(scope_of("s")), scratch, false), 5u);

  ASSERT_EQ(g.resource_count(), 3u);  // a, none, b
  EXPECT_EQ(g.resource(1).resource, nullptr);
  ASSERT_EQ(g.scope_count(), 6u);
  const std::vector<std::uint32_t> resource_of_scope = {0, 1, 2, 0, 0, 1};
  for (std::size_t s = 0; s < g.scope_count(); ++s) EXPECT_EQ(g.scope(s).resource, resource_of_scope[s]) << s;
  EXPECT_EQ(g.scope(1).scope, nullptr);

  g.clear();
  EXPECT_EQ(g.scope_count(), 0u);
  EXPECT_EQ(g.place(nullptr, nullptr, scratch, false), 0u);
}

TEST(OtlpEncoderGroups, EveryFieldOfAnOriginCounts) {
  Tables t;
  OtlpResource r = resource_of("a");
  const fb::Resource* base = t.resource(r);
  EXPECT_TRUE(same_resource(base, t.resource(r)));
  EXPECT_FALSE(same_resource(base, nullptr));
  EXPECT_TRUE(same_resource(nullptr, nullptr));
  OtlpResource dropped = r;
  dropped.dropped_attributes_count = 1;
  EXPECT_FALSE(same_resource(base, t.resource(dropped)));
  OtlpResource schema = r;
  schema.schema_url = "https://opentelemetry.io/schemas/1.24.0";
  EXPECT_FALSE(same_resource(base, t.resource(schema)));
  OtlpResource more = r;
  more.attributes.push_back({"host.id", "h"});
  EXPECT_FALSE(same_resource(base, t.resource(more)));

  OtlpScope s = scope_of("lib");
  const fb::Scope* sbase = t.scope(s);
  EXPECT_TRUE(same_scope(sbase, t.scope(s)));
  for (auto change : {+[](OtlpScope& x) { x.name = "other"; }, +[](OtlpScope& x) { x.version = "9"; },
                      +[](OtlpScope& x) { x.attributes = {{"k", "v"}}; },
                      +[](OtlpScope& x) { x.dropped_attributes_count = 2; },
                      +[](OtlpScope& x) { x.schema_url = "u"; }}) {
    OtlpScope other = s;
    change(other);
    EXPECT_FALSE(same_scope(sbase, t.scope(other)));
  }
}

TEST(OtlpEncoderGroups, NestedValuesCompareDeeply) {
  Tables t;
  const fb::Resource* nested = t.resource_with(testing::nested_attribute);
  EXPECT_TRUE(same_resource(nested, t.resource_with(testing::nested_attribute)));
  // The same key and kind with one element changed deep inside.
  const fb::Resource* changed = t.resource_with([](flatbuffers::FlatBufferBuilder& fbb) {
    std::vector<flatbuffers::Offset<fb::Attribute>> inner = {
        fb::CreateAttributeDirect(fbb, "", fb::AttributeType::Bool, nullptr, 0, 0, false)};
    std::vector<flatbuffers::Offset<fb::Attribute>> entries = {
        fb::CreateAttributeDirect(fbb, "list", fb::AttributeType::Array, nullptr, 0, 0, false, nullptr, &inner)};
    return fb::CreateAttributeDirect(fbb, "nested", fb::AttributeType::KvList, nullptr, 0, 0, false, nullptr,
                                     &entries);
  });
  EXPECT_FALSE(same_resource(nested, changed));
  // Bytes by content; doubles bitwise (NaN equals itself); the type counts.
  auto bytes = [](std::vector<std::uint8_t> b) {
    return [b](flatbuffers::FlatBufferBuilder& fbb) {
      return fb::CreateAttributeDirect(fbb, "b", fb::AttributeType::Bytes, nullptr, 0, 0, false, &b);
    };
  };
  EXPECT_TRUE(same_resource(t.resource_with(bytes({1, 2})), t.resource_with(bytes({1, 2}))));
  EXPECT_FALSE(same_resource(t.resource_with(bytes({1, 2})), t.resource_with(bytes({1, 3}))));
  auto number = [](double d) {
    return [d](flatbuffers::FlatBufferBuilder& fbb) {
      return fb::CreateAttributeDirect(fbb, "d", fb::AttributeType::Double, nullptr, 0, d);
    };
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(same_resource(t.resource_with(number(nan)), t.resource_with(number(nan))));
  auto integer = [](flatbuffers::FlatBufferBuilder& fbb) {
    return fb::CreateAttributeDirect(fbb, "d", fb::AttributeType::Int, nullptr, 0);
  };
  EXPECT_FALSE(same_resource(t.resource_with(number(0.0)), t.resource_with(integer)));
}

TEST(OtlpEncoderGroups, ANewGroupKeepsTheScratchItWasReadFrom) {
  // A table read from the scratch copy: the group takes that buffer over (same address) and
  // hands back a spare one, so the next misaligned record cannot overwrite the group's table.
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(testing::build_resource(fbb, resource_of("a")));
  std::vector<std::uint64_t> scratch((fbb.GetSize() + 7) / 8);
  std::memcpy(scratch.data(), fbb.GetBufferPointer(), fbb.GetSize());
  const std::uint64_t* address = scratch.data();
  const auto* table = flatbuffers::GetRoot<fb::Resource>(scratch.data());
  OtlpEncoderGroups g;
  EXPECT_EQ(g.place(table, nullptr, scratch, true), 0u);
  EXPECT_NE(scratch.data(), address);  // scratch is now another buffer
  std::fill(scratch.begin(), scratch.end(), 0);
  EXPECT_EQ(g.resource(0).resource, table);
  Tables t;
  EXPECT_TRUE(same_resource(g.resource(0).resource, t.resource(resource_of("a"))));

  // A record matching an existing group leaves scratch where it is.
  std::vector<std::uint64_t> second((fbb.GetSize() + 7) / 8);
  std::memcpy(second.data(), fbb.GetBufferPointer(), fbb.GetSize());
  const std::uint64_t* second_address = second.data();
  EXPECT_EQ(g.place(flatbuffers::GetRoot<fb::Resource>(second.data()), nullptr, second, true), 0u);
  EXPECT_EQ(second.data(), second_address);
}

}  // namespace
}  // namespace spool::engine
