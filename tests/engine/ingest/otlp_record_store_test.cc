// OtlpRecordStore: kept records are 8-byte aligned copies that verify and survive the next
// record's build; rejections are counted and the message names the count, the first item
// and its reason (singular and plural); clear() forgets everything.
#include "engine/ingest/otlp_record_store.h"

#include <gtest/gtest.h>

#include "spool/record_verify.h"
#include "spool/records_generated.h"

namespace spool::engine {
namespace {

bool keep_span(OtlpRecordStore& store, std::string_view name) {
  auto& fbb = store.begin_record();
  const auto n = fbb.CreateString(name.data(), name.size());
  fb::SpanBuilder b(fbb);
  b.add_name(n);
  b.add_start_ns(7);  // an 8-byte scalar
  return store.keep(RecordKind::kSpan, Priority::kHigh, b.Finish());
}

TEST(OtlpRecordStoreTest, KeepsAlignedVerifiedCopies) {
  OtlpRecordStore store;
  ASSERT_TRUE(keep_span(store, "a"));
  ASSERT_TRUE(keep_span(store, "bcdefghijk"));
  ASSERT_TRUE(keep_span(store, ""));
  store.seal();
  ASSERT_EQ(store.records().size(), 3u);
  const char* names[] = {"a", "bcdefghijk", ""};
  for (std::size_t i = 0; i < 3; ++i) {
    const EncodedRecord& r = store.records()[i];
    EXPECT_EQ(r.kind, RecordKind::kSpan);
    EXPECT_EQ(r.priority, Priority::kHigh);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.bytes.data()) % 8, 0u);
    ASSERT_TRUE(verify_encoded(r.kind, r.bytes).is_ok());
    const auto* s = flatbuffers::GetRoot<fb::Span>(r.bytes.data());
    EXPECT_EQ(s->name()->str(), names[i]);
    EXPECT_EQ(s->start_ns(), 7);
  }
  EXPECT_EQ(store.rejected(), 0u);
  EXPECT_EQ(store.rejection_message(), "");
}

TEST(OtlpRecordStoreTest, BudgetBoundsTheBytesKept) {
  OtlpRecordStore store;
  store.set_budget(200);
  int kept = 0;
  while (keep_span(store, "0123456789")) ++kept;
  EXPECT_GT(kept, 0);
  store.seal();
  std::size_t bytes = 0;
  for (const EncodedRecord& r : store.records()) bytes += (r.bytes.size() + 7) / 8 * 8;
  EXPECT_LE(bytes, 200u);
  store.clear();  // and the budget with it
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(keep_span(store, "0123456789"));
}

TEST(OtlpRecordStoreTest, RejectionMessages) {
  OtlpRecordStore store;
  store.reject("log record", "log records", 4, "span_id is 2 bytes, want 8");
  store.seal();
  EXPECT_EQ(store.rejected(), 1u);
  EXPECT_EQ(store.rejection_message(), "1 log record rejected: log record 4: span_id is 2 bytes, want 8");
  store.reject("log record", "log records", 9, "later");
  store.seal();
  EXPECT_EQ(store.rejection_message(), "2 log records rejected: log record 4: span_id is 2 bytes, want 8");
  store.clear();
  store.seal();
  EXPECT_EQ(store.rejected(), 0u);
  EXPECT_EQ(store.rejection_message(), "");
  EXPECT_TRUE(store.records().empty());
}

}  // namespace
}  // namespace spool::engine
