// KafkaSink: see kafka_sink.h (how a send goes) and spool/kafka_sink.h (what it answers).
#include "engine/sinks/kafka/kafka_sink.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "engine/forward/idempotency_key.h"
#include "engine/forward/secret_redaction.h"
#include "engine/sinks/kafka/kafka_error_class.h"
#include "engine/sinks/kafka/kafka_topic_template.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "engine/sinks/outage_rank.h"
#include "io/clock.h"
#include "io/hex.h"
#include "spool/lane_options.h"
#include "spool/record_verify.h"

namespace spool::engine {

namespace {

static_assert(sizeof(void*) >= sizeof(std::uint64_t),
              "a message tag is carried in the opaque pointer");

constexpr std::int64_t kMsNs = 1'000'000;
// Outcomes that are not librdkafka error codes (those are > -200).
constexpr int kMalformed = -0x7ffe;  // the payload is not a valid table of its kind
constexpr int kNoReport = -0x7ffd;   // no delivery report before the deadline
// The kinds, in the order of Producer::topics (topic_kind_name's four names).
constexpr std::array<RecordKind, 4> kTopicKinds = {RecordKind::kSpan, RecordKind::kLog,
                                                   RecordKind::kMetric, RecordKind::kRecord};
// How much of the client's error reports goes into an answer's text.
constexpr std::size_t kMaxClientErrorBytes = 512;

std::size_t topic_index(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kSpan:
      return 0;
    case RecordKind::kLog:
      return 1;
    case RecordKind::kMetric:
      return 2;
    default:
      return 3;
  }
}

void* tag_of(std::uint32_t sequence, std::size_t index) noexcept {
  return reinterpret_cast<void*>(
      static_cast<std::uintptr_t>((std::uint64_t{sequence} << 32) | index));
}

KafkaErrorClass class_of(int outcome) noexcept {
  if (outcome == kMalformed) return KafkaErrorClass::kRecordRefused;
  if (outcome == kNoReport) return KafkaErrorClass::kUnreachable;
  return classify_kafka_error(static_cast<rd_kafka_resp_err_t>(outcome));
}

std::string outcome_text(int outcome, std::uint32_t timeout_ms) {
  if (outcome == kMalformed) return "malformed record (not valid FlatBuffers of its kind)";
  if (outcome == kNoReport)
    return "no delivery report within " + std::to_string(timeout_ms) + " ms";
  return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(outcome));
}

// Appends a header whose value is a decimal number.
void add_decimal_header(rd_kafka_headers_t* headers, const char* name, std::int64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  (void)ec;  // 24 characters hold any int64
  rd_kafka_header_add(headers, name, -1, digits, end - digits);
}

void add_text_header(rd_kafka_headers_t* headers, const char* name, std::string_view value) {
  rd_kafka_header_add(headers, name, -1, value.data(), static_cast<ssize_t>(value.size()));
}

}  // namespace

struct KafkaSink::Producer {
  using Handles = std::array<rd_kafka_topic_t*, kTopicKinds.size()>;
  rd_kafka_t* rk = nullptr;
  // By lane; the key is "" when the topic does not name the lane.
  std::map<std::string, Handles, std::less<>> topics;

  ~Producer() {
    if (rk == nullptr) return;
    // Nothing may be sent after the sink is gone: what is still queued is dropped (its
    // records were answered as failed, or were never part of an answer).
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);
    for (auto& [lane, handles] : topics) {
      for (rd_kafka_topic_t* t : handles) {
        if (t != nullptr) rd_kafka_topic_destroy(t);
      }
    }
    rd_kafka_destroy(rk);
  }
};

KafkaSink::KafkaSink(KafkaSinkOptions options)
    : options_(std::move(options)), encoder_(options_.resource_attributes) {}

KafkaSink::~KafkaSink() { stop_producer(); }

Result<std::unique_ptr<KafkaSink>> KafkaSink::create(KafkaSinkOptions options) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink(std::move(options)));
  SPOOL_RETURN_IF_ERROR(sink->start_producer());
  return sink;
}

Status KafkaSink::start_producer() {
  auto conf = kafka_producer_conf(options_);
  if (!conf) return conf.status();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaSink::on_delivery);
  rd_kafka_conf_set_error_cb(conf->get(), &KafkaSink::on_error);
  // Errors reach the forwarder through the answers (and stats, health); librdkafka's own
  // log lines on stderr would repeat every connection refused during an outage.
  rd_kafka_conf_set_log_cb(conf->get(), nullptr);
  char errstr[512] = {};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    // The configuration was accepted property by property; what rd_kafka_new refuses is a
    // combination (e.g. max.in.flight above 5 with idempotence). conf is still ours here.
    return Status::invalid_argument("Kafka producer: " + redact_secrets(errstr));
  }
  (void)conf->release();  // rd_kafka_new took it
  auto producer = std::make_unique<Producer>();
  producer->rk = rk;
  producer_ = std::move(producer);
  // The default lane's topics now, so that a topic the client refuses fails here.
  if (topic_handle(kDefaultLane, RecordKind::kSpan) == nullptr) {
    const std::string why = client_error_;
    producer_.reset();
    return Status::invalid_argument(why);
  }
  fatal_ = false;
  renew_producer_ = false;
  return Status::ok();
}

void KafkaSink::stop_producer() { producer_.reset(); }

void KafkaSink::raise_fatal_error_for_test() {
  if (producer_) {
    rd_kafka_test_fatal_error(producer_->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "raised by a test");
  }
}

void KafkaSink::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  const auto tag = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(message->_private));
  const auto sequence = static_cast<std::uint32_t>(tag >> 32);
  const std::size_t index = tag & 0xffffffffu;
  // A report of an earlier send (purged while in flight) or of nothing this send knows.
  if (sequence != self->sequence_ || index >= self->outcomes_.size() ||
      self->outcomes_[index] != kPending)
    return;
  self->outcomes_[index] = message->err;
  --self->outstanding_;
}

void KafkaSink::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  std::string text =
      reason != nullptr ? reason : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512] = {};
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
    text = std::string("fatal producer error: ") + rd_kafka_err2name(cause) + ": " + fatal;
    self->fatal_ = true;
  }
  // The latest report says most about why messages wait; keep it bounded.
  self->client_error_ = redact_and_bound(text, kMaxClientErrorBytes);
}

rd_kafka_topic_t* KafkaSink::topic_handle(std::string_view lane, RecordKind kind) {
  const std::string_view key = topic_per_lane(options_.topic) ? lane : std::string_view();
  auto it = producer_->topics.find(key);
  if (it == producer_->topics.end()) {
    Producer::Handles handles{};
    for (std::size_t i = 0; i < kTopicKinds.size(); ++i) {
      const std::string topic = topic_for_kind(options_.topic, kTopicKinds[i], lane);
      handles[i] = rd_kafka_topic_new(producer_->rk, topic.c_str(), nullptr);
      if (handles[i] == nullptr) {
        client_error_ = "Kafka topic '" + topic + "': " + rd_kafka_err2str(rd_kafka_last_error());
        for (rd_kafka_topic_t* made : handles) {
          if (made != nullptr) rd_kafka_topic_destroy(made);
        }
        return nullptr;
      }
    }
    it = producer_->topics.emplace(std::string(key), handles).first;
  }
  return it->second[topic_index(kind)];
}

void KafkaSink::produce(const ForwardBatch& batch, std::size_t index, std::int64_t deadline_ns) {
  const ForwardRecord& record = batch.records[index];
  ForwardBatch one;
  one.log_id = batch.log_id;
  one.first_offset = one.last_offset = record.offset;
  one.records = std::span<const ForwardRecord>(&record, 1);
  one.attempt = batch.attempt;
  malformed_offsets_.clear();
  if (encoder_.encode(one, otlp_signal_for(record.kind), &value_, &malformed_offsets_) == 0) {
    outcomes_[index] = kMalformed;
    ++malformed_;
    return;
  }
  const IdempotencyKeyText key(batch.log_id, record.offset);
  rd_kafka_headers_t* headers = rd_kafka_headers_new(6);
  add_text_header(headers, "spool.log_id", log_id_hex_);
  add_decimal_header(headers, "spool.offset", static_cast<std::int64_t>(record.offset));
  add_text_header(headers, "spool.kind", record_kind_name(record.kind));
  add_text_header(headers, "spool.priority", priority_name(record.priority));
  add_decimal_header(headers, "spool.timestamp_ns", record.timestamp_ns);
  add_text_header(headers, "spool.lane", batch.lane);
  rd_kafka_topic_t* topic = topic_handle(batch.lane, record.kind);
  if (topic == nullptr) {
    rd_kafka_headers_destroy(headers);
    outcomes_[index] = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    return;
  }
  rd_kafka_resp_err_t err;
  for (;;) {
    // F_COPY: the producer keeps its own copy; value_ is reused for the next record.
    err = rd_kafka_producev(
        producer_->rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key.view().data(), key.view().size()),
        RD_KAFKA_V_VALUE(value_.data(), value_.size()), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_TIMESTAMP(record.timestamp_ns / kMsNs),
        RD_KAFKA_V_OPAQUE(tag_of(sequence_, index)), RD_KAFKA_V_END);
    // The producer's queue is full (queue.buffering.max.*): serve reports until it has room.
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || io::monotonic_ns() >= deadline_ns) break;
    rd_kafka_poll(producer_->rk, 10);
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // ours again when producev refused the message
    outcomes_[index] = err;
    return;
  }
  ++outstanding_;
  bytes_ += key.view().size() + value_.size();
}

FlushResult KafkaSink::send(const ForwardBatch& batch) {
  // Reports of earlier sends and errors since then; among them, perhaps, a fatal error.
  if (producer_) rd_kafka_poll(producer_->rk, 0);
  if (!producer_ || fatal_ || renew_producer_) {
    stop_producer();
    if (Status s = start_producer(); !s) {
      return FlushResult::unavailable("Kafka producer could not be made: " +
                                      redact_secrets(s.message()));
    }
  }
  client_error_.clear();
  ++sequence_;
  outcomes_.assign(batch.records.size(), kPending);
  outstanding_ = 0;
  malformed_ = 0;
  bytes_ = 0;
  log_id_hex_ = io::hex_u64(batch.log_id);
  const std::int64_t deadline =
      io::monotonic_ns() + (std::int64_t{options_.delivery_timeout_ms} + kGraceMs) * kMsNs;

  for (std::size_t i = 0; i < batch.records.size() && !fatal_; ++i) produce(batch, i, deadline);
  while (outstanding_ > 0 && !fatal_) {
    const std::int64_t left_ms = (deadline - io::monotonic_ns()) / kMsNs;
    if (left_ms <= 0) break;
    rd_kafka_poll(producer_->rk, static_cast<int>(std::min<std::int64_t>(left_ms, 100)));
  }
  const bool failed_outage = std::any_of(outcomes_.begin(), outcomes_.end(), [](int o) {
    return o != kPending && outage_of(class_of(o)) != SinkOutage::kNone;
  });
  if (outstanding_ > 0 || failed_outage || fatal_) {
    // The answer is an outage: nothing of this send may linger in the producer and go out
    // with (or instead of) the retry. Purged reports come back as _PURGE_*; whatever has not
    // reported by now failed for want of a report.
    rd_kafka_purge(producer_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_->rk, 0);
    for (int& o : outcomes_) {
      if (o == kPending) o = kNoReport;
    }
    outstanding_ = 0;
  }
  FlushResult result = answer(batch);
  // librdkafka keeps a refused authorization or an unknown topic as the topic's state until
  // its next metadata refresh (minutes): a new producer asks the cluster afresh, so the
  // retry sees a fixed ACL or a created topic at once.
  if (result.outage == SinkOutage::kAuth || result.outage == SinkOutage::kMisconfigured)
    renew_producer_ = true;
  return result;
}

FlushResult KafkaSink::answer(const ForwardBatch& batch) {
  std::vector<std::uint64_t> failed;
  SinkOutage outage = SinkOutage::kNone;
  bool uses_retries = false;  // a failure that is neither the cluster's nor the record's
  std::vector<std::pair<int, std::uint64_t>> counts;  // outcome -> records, in order of first sight
  for (std::size_t i = 0; i < outcomes_.size(); ++i) {
    const int o = outcomes_[i];
    const KafkaErrorClass c = class_of(o);
    if (c == KafkaErrorClass::kDelivered) continue;
    failed.push_back(batch.records[i].offset);
    outage = worse_outage(outage, outage_of(c));
    uses_retries = uses_retries || c == KafkaErrorClass::kRetry;
    auto it =
        std::find_if(counts.begin(), counts.end(), [o](const auto& p) { return p.first == o; });
    if (it == counts.end())
      counts.emplace_back(o, 1);
    else
      ++it->second;
  }
  if (failed.empty()) return FlushResult::succeeded(bytes_);

  std::string text = std::to_string(failed.size()) + " of " + std::to_string(batch.records.size()) +
                     " messages to Kafka failed:";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    text += i == 0 ? " " : "; ";
    text += std::to_string(counts[i].second) + " " +
            outcome_text(counts[i].first, options_.delivery_timeout_ms);
  }
  if (!client_error_.empty()) text += " (client: " + client_error_ + ")";
  text = redact_secrets(text);

  FlushResult r;
  if (outage != SinkOutage::kNone) {
    // The cluster (or the part of it some records need) is away: no record is at fault, none
    // uses up a retry. Records refused for good in the same batch are tried again with the
    // others and refused then.
    if (failed.size() == batch.records.size()) {
      r = FlushResult::unavailable(std::move(text), 0, outage);
    } else {
      r = FlushResult::partial(std::move(failed), std::move(text), /*retryable=*/true);
      r.outage = outage;
    }
  } else if (failed.size() == batch.records.size()) {
    r = FlushResult::failed(std::move(text), uses_retries);
  } else {
    r = FlushResult::partial(std::move(failed), std::move(text), uses_retries);
  }
  r.bytes_sent = bytes_;
  return r;
}

std::vector<HealthWarning> KafkaSink::configuration_warnings() const {
  for (const auto& [name, value] : options_.settings) {
    const bool no_certificate_check =
        name == "enable.ssl.certificate.verification" && (value == "false" || value == "0");
    const bool no_host_check = name == "ssl.endpoint.identification.algorithm" && value == "none";
    if (no_certificate_check || no_host_check) {
      return {HealthWarning{"tls_insecure",
                            "TLS verification of the Kafka brokers is off (" + name + "=" + value +
                                "): anyone on the path can read and change what is sent"}};
    }
  }
  return {};
}

}  // namespace spool::engine

namespace spool {

Result<std::unique_ptr<Sink>> make_kafka_sink(KafkaSinkOptions options) {
  auto sink = engine::KafkaSink::create(std::move(options));
  if (!sink) return sink.status();
  return std::unique_ptr<Sink>(std::move(*sink));
}

}  // namespace spool
