// RecordRedactor: one record's payload -> its redacted copy (spool/redaction.h), a FlatBuffers
// table of the same kind rebuilt with one builder that is reused for every record.
//
// A record no rule applies to (no named field present, no attribute with a rule's name) is
// not rebuilt: the caller passes it on as it is. Otherwise every field of the table is copied
// (strings present but empty stay present: a log body "" is a body) except what a rule drops,
// hashes or truncates. Fields a later version of records.fbs appends are not copied (the
// redactor cannot know whether they hold what the rules name), which errs on the side of
// sending less; record_redactor_test fails when records.fbs gains a field this file does not
// copy (kCopiedFields).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/forward/hmac_sha256.h"
#include "engine/forward/redaction_plan.h"
#include "spool/records.h"

namespace spool::engine {

// The fields of each records.fbs table the redactor copies.
inline constexpr std::pair<std::string_view, int> kCopiedFields[] = {
    {"Attribute", 8}, {"SpanEvent", 4},  {"Resource", 3}, {"Scope", 5},  {"SpanLink", 6},
    {"Span", 30},     {"LogRecord", 14}, {"Metric", 32},  {"Record", 2},
};

class RecordRedactor {
 public:
  enum class Outcome : std::uint8_t {
    kUnchanged,  // no rule applies (or a raw frame / unknown kind): pass the payload as it is
    kRedacted,   // redacted() holds the copy to pass instead
    kWithheld,   // a table kind whose payload is not a valid table: pass nothing of it
  };

  // `plan` must outlive the redactor; `hash` (may be null when no rule hashes) too.
  RecordRedactor(const RedactionPlan& plan, HmacSha256* hash);
  ~RecordRedactor();
  RecordRedactor(const RecordRedactor&) = delete;
  RecordRedactor& operator=(const RecordRedactor&) = delete;

  Outcome redact(RecordKind kind, std::span<const std::uint8_t> payload);
  // After kRedacted: the table, valid until the next redact(). Only 4-byte aligned (a table
  // without 8-byte fields needs no more): the caller copies it to where it stays anyway.
  std::span<const std::uint8_t> redacted() const noexcept;

 private:
  struct Impl;  // the builder and the walk (record_redactor.cc)
  std::unique_ptr<Impl> impl_;
};

}  // namespace spool::engine
