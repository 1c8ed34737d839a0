// DeadLetterLog: records a sink refuses are set aside durably, listed, and requeued.
#include "engine/forward/dead_letter_log.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "io/little_endian.h"
#include "segment/frame_format.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

namespace spool::engine {
namespace {

using spool::testing::bytes_of;
using spool::testing::open_log;
using spool::testing::read_all;

std::unique_ptr<DeadLetterLog> open_dl(const std::string& dir) {
  auto dl = DeadLetterLog::open(dir);
  EXPECT_TRUE(dl) << dl.status().to_string();
  return dl ? std::move(dl).value() : nullptr;
}

struct Sample {
  std::string payload;
  std::string error;
  DeadLetterInput input() const {
    DeadLetterInput in;
    in.log_id = 0xABCDEF0123456789ull;
    in.offset = 1000 + payload.size();
    in.type = static_cast<std::uint16_t>(7 + payload.size() % 5);
    in.flags = static_cast<std::uint16_t>(0x8000 | payload.size());
    in.timestamp_ns = -12345 + static_cast<std::int64_t>(payload.size());
    in.attempts = static_cast<std::uint32_t>(3 + payload.size());
    in.error = error;
    in.payload = bytes_of(payload);
    return in;
  }
};

std::vector<Sample> samples() {
  return {{"first payload", "HTTP 400: bad request"},
          {"", "empty payload, empty error follows"},
          {std::string(5000, 'p'), ""},
          {"x", std::string(9000, 'e')}};
}

void expect_matches(const DeadLetter& got, const Sample& s, std::uint64_t dl_offset) {
  const DeadLetterInput in = s.input();
  EXPECT_EQ(got.log_id, in.log_id);
  EXPECT_EQ(got.offset, in.offset);
  EXPECT_EQ(got.type, in.type);
  EXPECT_EQ(got.flags, in.flags);
  EXPECT_EQ(got.timestamp_ns, in.timestamp_ns);
  EXPECT_EQ(got.attempts, in.attempts);
  EXPECT_GT(got.dead_lettered_at_ns, 0);
  EXPECT_EQ(got.error, truncate_dead_letter_error(s.error));
  EXPECT_EQ(std::string(got.payload.begin(), got.payload.end()), s.payload);
  EXPECT_EQ(got.dead_letter_offset, dl_offset);
}

std::vector<DeadLetterInput> inputs_of(const std::vector<Sample>& ss) {
  std::vector<DeadLetterInput> out;
  for (const auto& s : ss) out.push_back(s.input());
  return out;
}

TEST(DeadLetterLog, AppendAndListRoundTripAllFields) {
  testing::TempDir dir;
  auto dl = open_dl(dir.path());
  ASSERT_NE(dl, nullptr);
  EXPECT_EQ(dl->dir(), dir.path() + "/deadletter");
  EXPECT_EQ(dl->count(), 0u);
  const auto ss = samples();
  const auto in = inputs_of(ss);
  ASSERT_TRUE(dl->append(in));
  EXPECT_EQ(dl->count(), ss.size());
  EXPECT_EQ(dl->pending(), ss.size());
  auto all = dl->list();
  ASSERT_TRUE(all) << all.status().to_string();
  ASSERT_EQ(all->size(), ss.size());
  for (std::size_t i = 0; i < ss.size(); ++i) {
    expect_matches((*all)[i], ss[i], i);
    EXPECT_FALSE((*all)[i].requeued);
  }
  auto limited = dl->list(2);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 2u);
}

TEST(DeadLetterLog, LongErrorsAreCutAtACharacterBoundary) {
  std::string err;
  while (err.size() < 5000) err += "\xC3\xA9";  // "é", two bytes
  const std::string cut = truncate_dead_letter_error(err);
  EXPECT_LE(cut.size(), kMaxDeadLetterErrorBytes);
  EXPECT_TRUE(cut.ends_with("\xE2\x80\xA6"));
  const std::string body = cut.substr(0, cut.size() - 3);
  EXPECT_EQ(body.size() % 2, 0u);  // no half character
  EXPECT_EQ(truncate_dead_letter_error("short"), "short");
  EXPECT_EQ(truncate_dead_letter_error(std::string(4096, 'a')), std::string(4096, 'a'));
}

TEST(DeadLetterLog, DurableAcrossReopen) {
  testing::TempDir dir;
  const auto ss = samples();
  {
    auto dl = open_dl(dir.path());
    ASSERT_NE(dl, nullptr);
    ASSERT_TRUE(dl->append(inputs_of(ss)));
    // Its own log and lock, beside the main log's files.
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/deadletter/LOCK"));
    // Only one writer at a time.
    auto second = DeadLetterLog::open(dir.path());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.status().code(), StatusCode::kLocked);
  }
  auto dl = open_dl(dir.path());
  ASSERT_NE(dl, nullptr);
  auto all = dl->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), ss.size());
  for (std::size_t i = 0; i < ss.size(); ++i) expect_matches((*all)[i], ss[i], i);
}

TEST(DeadLetterLog, OversizePayloadIsRefusedAndNothingWritten) {
  testing::TempDir dir;
  auto dl_or = DeadLetterLog::open(dir.path(), 100);
  ASSERT_TRUE(dl_or);
  auto& dl = *dl_or;
  const std::string big(101, 'b'), small(10, 's');
  DeadLetterInput a, b;
  a.payload = bytes_of(small);
  b.payload = bytes_of(big);
  std::vector<DeadLetterInput> in{a, b};
  EXPECT_EQ(dl->append(in).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dl->count(), 0u);
}

TEST(DeadLetterLog, RequeueAppendsOriginalsToTheMainLogOnce) {
  testing::TempDir dir;
  auto main = open_log(dir.path(), LogOptions{});
  ASSERT_NE(main, nullptr);
  ASSERT_TRUE(main->append(1, bytes_of("already there")));
  auto dl = open_dl(dir.path());
  ASSERT_NE(dl, nullptr);
  const auto ss = samples();
  ASSERT_TRUE(dl->append(inputs_of(ss)));

  auto n = dl->requeue(*main);
  ASSERT_TRUE(n) << n.status().to_string();
  EXPECT_EQ(*n, ss.size());
  EXPECT_EQ(dl->pending(), 0u);
  EXPECT_EQ(dl->count(), ss.size());
  ASSERT_EQ(main->next_offset(), 1 + ss.size());
  for (std::size_t i = 0; i < ss.size(); ++i) {
    auto r = main->read(1 + i);
    ASSERT_TRUE(r) << r.status().to_string();
    const DeadLetterInput in = ss[i].input();
    EXPECT_EQ(r->type, in.type);
    EXPECT_EQ(r->flags, in.flags);
    EXPECT_EQ(r->timestamp_ns, in.timestamp_ns);
    EXPECT_EQ(testing::as_string(r->payload), ss[i].payload);
  }
  auto all = dl->list();
  ASSERT_TRUE(all);
  for (const auto& l : *all) EXPECT_TRUE(l.requeued);

  // Nothing left: a second requeue does nothing, also after a reopen.
  n = dl->requeue(*main);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  dl.reset();
  dl = open_dl(dir.path());
  ASSERT_NE(dl, nullptr);
  EXPECT_EQ(dl->pending(), 0u);
  n = dl->requeue(*main);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(main->next_offset(), 1 + ss.size());

  // New dead letters are pending again; only they are requeued.
  ASSERT_TRUE(dl->append(inputs_of({ss[0]})));
  EXPECT_EQ(dl->pending(), 1u);
  n = dl->requeue(*main);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(main->next_offset(), 2 + ss.size());
}

TEST(DeadLetterLog, ReadOnlyOpenSeesCountsWithoutTheLock) {
  testing::TempDir dir;
  EXPECT_EQ(DeadLetterLog::open_read_only(dir.path()).status().code(), StatusCode::kNotFound);
  auto dl = open_dl(dir.path());
  ASSERT_NE(dl, nullptr);
  ASSERT_TRUE(dl->append(inputs_of(samples())));
  auto ro = DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(ro) << ro.status().to_string();
  EXPECT_EQ((*ro)->count(), samples().size());
  EXPECT_EQ((*ro)->pending(), samples().size());
  auto all = (*ro)->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), samples().size());
  EXPECT_FALSE((*ro)->append(inputs_of(samples())));
}

TEST(DeadLetterPayload, EncodeDecodeRoundTripKeepsPayloadAligned) {
  const Sample s{"payload bytes", "err"};
  std::vector<std::uint8_t> bytes;
  encode_dead_letter_payload(s.input(), 77, &bytes);
  auto d = decode_dead_letter_payload(bytes);
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(d->dead_lettered_at_ns, 77);
  EXPECT_EQ(d->error, "err");
  EXPECT_EQ(testing::as_string(d->payload), s.payload);
  EXPECT_EQ((d->payload.data() - bytes.data()) % 8, 0);
}

TEST(DeadLetterPayload, MalformedBytesAreCorruption) {
  const Sample s{"payload", "an error message!"};  // 17 bytes: 7 of padding
  std::vector<std::uint8_t> good;
  encode_dead_letter_payload(s.input(), 1, &good);
  auto expect_corrupt = [](std::vector<std::uint8_t> b, const char* what) {
    auto d = decode_dead_letter_payload(b);
    ASSERT_FALSE(d) << what;
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption) << what;
    EXPECT_FALSE(d.status().message().empty());
  };
  for (std::size_t len : {0, 1, 39}) {
    expect_corrupt(std::vector<std::uint8_t>(good.begin(), good.begin() + len), "truncated header");
  }
  // Cut inside the error text.
  expect_corrupt(std::vector<std::uint8_t>(good.begin(), good.begin() + kDeadLetterHeaderBytes + 5), "cut error");
  auto b = good;
  b[0] = 'X';
  expect_corrupt(b, "magic");
  b = good;
  b[4] = 9;
  expect_corrupt(b, "version");
  b = good;
  io::store_u16(b.data() + 6, 4097);
  expect_corrupt(b, "error length above the limit");
  b = good;
  io::store_u16(b.data() + 6, 4000);
  expect_corrupt(b, "error length past the end");
  b = good;
  b[37] = 1;
  expect_corrupt(b, "reserved");
  b = good;
  b[kDeadLetterHeaderBytes + s.error.size()] = 1;  // padding after the error
  expect_corrupt(b, "padding");
  // A header with nothing after it is fine (empty error, empty payload).
  DeadLetterInput empty;
  std::vector<std::uint8_t> e;
  encode_dead_letter_payload(empty, 0, &e);
  EXPECT_EQ(e.size(), kDeadLetterHeaderBytes);
  EXPECT_TRUE(decode_dead_letter_payload(e));
}

}  // namespace
}  // namespace spool::engine
