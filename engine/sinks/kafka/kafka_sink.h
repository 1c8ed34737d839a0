// KafkaSink: spool::Sink over librdkafka's idempotent producer (what it sends and answers:
// spool/kafka_sink.h; which error means what: kafka_error_class.h).
//
// One send() at a time, on the forwarder's thread: it produces every record of the batch,
// then serves the producer's events (rd_kafka_poll) on the same thread until every delivery
// report is in or the deadline passes. All callbacks run inside rd_kafka_poll, so the sink
// needs no lock. A delivery report is matched to its record by a tag (the send's sequence
// number and the record's index), never by a pointer: a report of an earlier send that
// arrives late (a message purged while in flight) is recognised and ignored.
//
// Why the cursor can never pass a record that was not written: the forwarder commits only
// what send() answered as delivered, and send() answers a record delivered only on its own
// acknowledgement (a delivery report without error, for this send's message). Everything
// else is failed; what is still queued in the producer when send() answers is purged, and
// the value was copied into the producer (RD_KAFKA_MSG_F_COPY), so nothing refers to the
// batch's memory after send() returns. A purged message that was already in flight may
// still be written: a duplicate under the same key, never a loss.
//
// A fatal producer error (the idempotent producer's sequence state broken, the producer
// fenced) is answered as an outage and the producer is made anew before the next send; so
// is an authorization or unknown-topic outage, which librdkafka would otherwise remember
// for the topic until its next metadata refresh.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/sinks/kafka/kafka_producer_config.h"
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"
#include "spool/kafka_sink.h"
#include "spool/sink.h"
#include "spool/status.h"

namespace spool::engine {

class KafkaSink final : public Sink {
 public:
  // Checks the options (kafka_producer_conf) and starts the producer; nothing is sent yet.
  static Result<std::unique_ptr<KafkaSink>> create(KafkaSinkOptions options);
  ~KafkaSink() override;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  FlushResult send(const ForwardBatch& batch) override;
  std::string name() const override { return "kafka"; }
  std::vector<HealthWarning> configuration_warnings() const override;

  // Raises a fabricated fatal error in the producer (rd_kafka_test_fatal_error), as a broken
  // idempotent sequence would: for the test of what the next send() does then.
  void raise_fatal_error_for_test();

  // How long send() waits beyond the delivery timeout for the producer's own timeout
  // reports (librdkafka scans for expired messages about once a second).
  static constexpr std::uint32_t kGraceMs = 1500;

 private:
  // The producer and its topic handles: per lane (one set when the topic has no "{lane}"),
  // one per topic_kind_name (the same topic four times when the topic has no "{kind}").
  struct Producer;

  explicit KafkaSink(KafkaSinkOptions options);
  Status start_producer();
  void stop_producer();

  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  // The handle of the topic of `lane`'s records of `kind`, made on first use; null (with the
  // reason in client_error_) when the client refuses the topic.
  rd_kafka_topic_t* topic_handle(std::string_view lane, RecordKind kind);
  // Produces record `index` of `batch`; its outcome is set now when the producer refuses it.
  void produce(const ForwardBatch& batch, std::size_t index, std::int64_t deadline_ns);
  // What the outcomes of this send come to.
  FlushResult answer(const ForwardBatch& batch);

  KafkaSinkOptions options_;
  std::unique_ptr<Producer> producer_;
  OtlpProtobufEncoder encoder_;
  std::string log_id_hex_;

  // This send: its sequence number, one outcome per record (kPending until its report), the
  // records still waiting for one.
  static constexpr int kPending = -0x7fff;
  std::uint32_t sequence_ = 0;
  std::vector<int> outcomes_;
  std::size_t outstanding_ = 0;
  std::uint64_t malformed_ = 0;
  std::uint64_t bytes_ = 0;
  // What the client reported while this send ran (error_cb), for the answer's text.
  std::string client_error_;
  bool fatal_ = false;
  bool renew_producer_ = false;  // the next send starts with a new producer (see send())
  // Reused per record.
  WireBytes value_;  // a record's request, reused (grown without zero-filling)
  std::vector<std::uint64_t> malformed_offsets_;
};

}  // namespace spool::engine
