"""spool.Buffer from Python: spans as context managers (ids, timing, parents), dict spans, logs,
metrics and records, the logging handler, errors, 100k spans, and 4 processes on one log."""
from __future__ import annotations

import logging
import multiprocessing
import os
import unittest

import spool
from spool_test_support import LogDirTest, attributes, dump


class SpanTests(LogDirTest):
    def test_nested_spans_share_the_trace_and_name_their_parent(self) -> None:
        with spool.Buffer(self.dir) as buffer:
            self.assertEqual(buffer.role, "writer")
            with buffer.span("agent-run") as outer:
                self.assertIs(spool.current_span(), outer)
                with buffer.span("llm-call", type="generation") as inner:
                    inner.set(model="small-model", input="What is spool?", output="A buffer.",
                              input_tokens=5, output_tokens=3, temperature=0.2, cached=True)
                    inner.add_event("first-token", index=0)
                self.assertIs(spool.current_span(), outer)
            self.assertIsNone(spool.current_span())
            buffer.flush()
        records = dump(self.dir)
        self.assertEqual(len(records), 2)
        inner_rec, outer_rec = records[0]["span"], records[1]["span"]  # the inner one ends first
        self.assertEqual(inner_rec["name"], "llm-call")
        self.assertEqual(inner_rec["type"], "generation")
        self.assertEqual(inner_rec["model"], "small-model")
        self.assertEqual(inner_rec["input_tokens"], 5)
        self.assertEqual(inner_rec["trace_id"], outer_rec["trace_id"])
        self.assertEqual(inner_rec["parent_span_id"], outer_rec["span_id"])
        self.assertFalse(outer_rec["parent_span_id"])  # absent: a root span
        self.assertEqual(len(outer_rec["trace_id"]), 32)
        self.assertGreater(int(inner_rec["end_ns"]), int(inner_rec["start_ns"]))
        self.assertLessEqual(int(outer_rec["start_ns"]), int(inner_rec["start_ns"]))
        attrs = attributes(records[0])
        self.assertEqual(attrs["temperature"], 0.2)
        self.assertEqual(attrs["cached"], True)
        self.assertEqual(inner_rec["events"][0]["name"], "first-token")

    def test_an_exception_marks_the_span_as_an_error_and_propagates(self) -> None:
        with spool.Buffer(self.dir) as buffer:
            with self.assertRaises(KeyError):
                with buffer.span("tool-call", type="tool", tool_name="search"):
                    raise KeyError("missing")
            buffer.flush()
        span = dump(self.dir)[0]["span"]
        self.assertEqual(span["status"], "error")
        self.assertIn("KeyError", span["status_message"])
        self.assertEqual(span["tool_name"], "search")


class RecordTests(LogDirTest):
    def test_dict_spans_logs_metrics_and_records_reach_the_log(self) -> None:
        with spool.Buffer(self.dir, full_policy="block", durability="batch") as buffer:
            self.assertTrue(buffer.add_span({
                "name": "retrieval", "type": "retrieval", "trace_id": "11" * 16, "span_id": "22" * 8,
                "start_ns": 10, "end_ns": 20, "status": "ok", "attributes": {"k": "v", "n": 3},
                "priority": "high"}))
            self.assertTrue(buffer.add_log("disk almost full", severity="WARNING", attributes={"disk": "/"}))
            self.assertTrue(buffer.add_metric("latency", kind="histogram", unit="ms", count=3, sum=12.5,
                                              bucket_bounds=[1, 10], bucket_counts=[1, 1, 1]))
            self.assertTrue(buffer.add_metric("requests", 7, kind="counter"))
            self.assertTrue(buffer.add_record("prediction", b"\x00\x01binary"))
            buffer.flush()
            stats = buffer.stats()
            self.assertEqual(stats["written"], 5)
            self.assertEqual(stats["appended"], stats["written"] + stats["dropped_total"] + stats["queue_depth"])
        kinds = [r["kind"] for r in dump(self.dir)]
        self.assertEqual(kinds[:4], ["span", "log", "metric", "metric"])
        records = dump(self.dir)
        self.assertEqual(records[0]["priority"], "high")
        self.assertEqual(records[0]["span"]["trace_id"], "11" * 16)
        self.assertEqual(records[1]["log"]["severity_number"], 13)
        self.assertEqual(records[1]["log"]["body"], "disk almost full")
        self.assertIn("prediction", str(records[4]))

    def test_one_hundred_thousand_spans_all_present_and_in_order(self) -> None:
        n = 100_000
        with spool.Buffer(self.dir, full_policy="block", block_timeout_ms=60000) as buffer:
            for i in range(n):
                self.assertTrue(buffer.add_span({"name": "s", "attributes": {"producer": "py", "seq": i}}))
            buffer.flush()
        seqs = [attributes(r)["seq"] for r in dump(self.dir)]
        self.assertEqual(seqs, list(range(n)))


def _worker(log_dir: str, worker: int, n: int) -> None:
    buffer = spool.Buffer(log_dir, full_policy="block", block_timeout_ms=60000)
    for i in range(n):
        if not buffer.add_span({"name": "work", "attributes": {"producer": f"w{worker}", "seq": i}}):
            raise RuntimeError("span not queued")
    buffer.flush()
    buffer.close()


class ProcessTests(LogDirTest):
    def test_four_processes_append_into_one_log(self) -> None:
        n = 5_000
        with spool.Buffer(self.dir):  # create the log first: four openers at once race to make it
            pass
        ctx = multiprocessing.get_context("spawn")
        workers = [ctx.Process(target=_worker, args=(self.dir, w, n)) for w in range(4)]
        for w in workers:
            w.start()
        try:
            for w in workers:
                w.join(timeout=300)
                self.assertEqual(w.exitcode, 0)
        finally:
            for w in workers:  # none outlives the test, even when one hung or failed
                if w.is_alive():
                    w.kill()
                    w.join(timeout=10)
        per_producer: dict[str, list[int]] = {}
        for record in dump(self.dir):
            attrs = attributes(record)
            per_producer.setdefault(attrs["producer"], []).append(attrs["seq"])
        self.assertEqual(sorted(per_producer), ["w0", "w1", "w2", "w3"])
        for producer, seqs in per_producer.items():
            self.assertEqual(seqs, list(range(n)), producer)


class LoggingTests(LogDirTest):
    def test_log_records_carry_the_enclosing_spans_ids(self) -> None:
        logger = logging.getLogger("spool-test")
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        with spool.Buffer(self.dir) as buffer:
            handler = spool.SpoolLogHandler(buffer)
            logger.addHandler(handler)
            try:
                with buffer.span("request") as span:
                    logger.info("inside %s", "the span")
                logger.error("outside")
            finally:
                logger.removeHandler(handler)
            buffer.flush()
        logs = [r["log"] for r in dump(self.dir) if r["kind"] == "log"]
        self.assertEqual([l["body"] for l in logs], ["inside the span", "outside"])
        self.assertEqual(logs[0]["trace_id"], span.trace_id)
        self.assertEqual(logs[0]["span_id"], span.span_id)
        self.assertEqual(logs[0]["severity_number"], 9)
        self.assertFalse(logs[1]["trace_id"])  # no enclosing span
        self.assertEqual(logs[1]["severity_number"], 17)


class ErrorTests(LogDirTest):
    def test_bad_options_and_input_raise_with_the_reason(self) -> None:
        with self.assertRaises(spool.SpoolError) as caught:
            spool.Buffer(self.dir, full_policy="sometimes")
        self.assertEqual(caught.exception.status, "InvalidArgument")
        self.assertIn("sometimes", str(caught.exception))
        with self.assertRaises(spool.SpoolError):
            spool.Buffer(self.dir, colour="blue")
        buffer = spool.Buffer(self.dir)
        with self.assertRaises(ValueError):
            buffer.add_span({"name": "x", "type": "meeting"})
        with self.assertRaises(ValueError):
            buffer.add_span({"name": "x", "trace_id": "abc"})
        with self.assertRaises(ValueError):
            buffer.add_span({"name": "x", "colour": "blue"})
        buffer.close()
        buffer.close()  # idempotent
        with self.assertRaises(spool.SpoolError) as closed:
            buffer.add_record("x", b"1")
        self.assertEqual(closed.exception.status, "Closed")

    def test_a_record_too_large_raises_and_is_counted(self) -> None:
        with spool.Buffer(self.dir, max_record_bytes=65536) as buffer:
            with self.assertRaises(spool.SpoolError) as caught:
                buffer.add_record("big", b"x" * 100_000)
            self.assertEqual(caught.exception.status, "InvalidArgument")
            self.assertEqual(buffer.stats()["dropped"]["too_large"], 1)

    def test_version(self) -> None:
        self.assertRegex(spool.version(), r"^\d+\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main()
