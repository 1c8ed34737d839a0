// Produces spans at a steady rate through the OpenTelemetry JS SDK's own pipeline
// (NodeTracerProvider -> BatchSpanProcessor -> OTLPTraceExporter, protobuf over HTTP) and
// records which spans the SDK was told were exported, so a test can check that each of them
// reached the far end of whatever sits at --url.
//
//   node export_spans.mjs --url http://127.0.0.1:4318/v1/traces --spans 5000 --rate 200 \
//        --out acked.jsonl [--gzip] [--scope-name NAME --scope-version V] [--timeout-ms MS]
//
// --out gets one JSON line per span whose export call ended in ExportResultCode.SUCCESS:
//   {"trace_id", "span_id", "parent_span_id" (or null), "name", "seq", "kind", "error",
//    "acked_at_ms": when the export call reported success, Unix ms}
// and, last, {"summary": true, "ok": spans acked, "failed": spans whose export failed,
// "created", "dropped" (never reached the exporter: the processor's queue was full or the
// process stopped early), "calls_ok", "calls_failed", "errors": distinct failure messages}.
// Lines are written synchronously as each export call ends, so a killed run keeps the lines
// of every export it saw acknowledged.
//
// A failed export is recorded as failed and not sent again by this script; the exporter's own
// retries (429/502/503/504 and connection errors, within --timeout-ms) happen inside the
// export call. Production goes on while the receiver is unreachable. SIGTERM or SIGINT stops
// production early; either way the provider is flushed and shut down and the exit code is 0
// (1 only for bad arguments or an exception).
import fs from 'node:fs';
import process from 'node:process';

import { SpanKind, SpanStatusCode, context, diag, DiagConsoleLogger, DiagLogLevel, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

// The resource every span carries; a receiver's test compares what arrives with these.
export const RESOURCE_ATTRIBUTES = {
  'service.name': 'spool-otel-js-test',
  'test.resource.string': 'resource-value',
  'test.resource.int': 42,
  'test.resource.bool': true,
};

function usage(message) {
  process.stderr.write(`export_spans: ${message}\n` +
    'usage: node export_spans.mjs --url URL --spans N --rate PER_SEC --out FILE.jsonl ' +
    '[--gzip] [--scope-name NAME --scope-version V] [--timeout-ms MS] [--verbose]\n');
  process.exit(1);
}

function parseArgs(argv) {
  const args = {
    url: null, spans: null, rate: null, out: null, gzip: false,
    scopeName: 'spool-otel-js-test-scope', scopeVersion: '1.2.3', timeoutMs: 10000, verbose: false,
  };
  const valueOf = (i, flag) => {
    if (i + 1 >= argv.length) usage(`${flag} needs a value`);
    return argv[i + 1];
  };
  const positiveNumber = (text, flag) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) usage(`${flag} must be a positive number, not '${text}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--url': args.url = valueOf(i, flag); i++; break;
      case '--spans': args.spans = Math.floor(positiveNumber(valueOf(i, flag), flag)); i++; break;
      case '--rate': args.rate = positiveNumber(valueOf(i, flag), flag); i++; break;
      case '--out': args.out = valueOf(i, flag); i++; break;
      case '--gzip': args.gzip = true; break;
      case '--scope-name': args.scopeName = valueOf(i, flag); i++; break;
      case '--scope-version': args.scopeVersion = valueOf(i, flag); i++; break;
      case '--timeout-ms': args.timeoutMs = Math.floor(positiveNumber(valueOf(i, flag), flag)); i++; break;
      case '--verbose': args.verbose = true; break;
      default: usage(`unknown argument '${flag}'`);
    }
  }
  for (const [key, flag] of [['url', '--url'], ['spans', '--spans'], ['rate', '--rate'], ['out', '--out']]) {
    if (args[key] === null) usage(`${flag} is required`);
  }
  return args;
}

// A SpanExporter that hands every batch to the real OTLP exporter and writes down what the
// SDK was told about it. The BatchSpanProcessor sees the real result, unchanged.
class RecordingExporter {
  constructor(inner, outFd) {
    this.inner = inner;
    this.outFd = outFd;
    this.ok = 0;
    this.failed = 0;
    this.callsOk = 0;
    this.callsFailed = 0;
    this.errors = new Set();
  }

  export(spans, resultCallback) {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        const ackedAtMs = Date.now();
        this.callsOk++;
        this.ok += spans.length;
        const lines = spans.map((span) => JSON.stringify({
          trace_id: span.spanContext().traceId,
          span_id: span.spanContext().spanId,
          parent_span_id: span.parentSpanContext?.spanId ?? null,
          name: span.name,
          seq: span.attributes.seq,
          kind: span.kind === SpanKind.SERVER ? 'server' : span.kind === SpanKind.CLIENT ? 'client' : String(span.kind),
          error: span.status.code === SpanStatusCode.ERROR,
          acked_at_ms: ackedAtMs,
        }));
        fs.writeSync(this.outFd, lines.join('\n') + '\n');
      } else {
        this.callsFailed++;
        this.failed += spans.length;
        this.errors.add(String(result.error?.message ?? result.error ?? 'export failed'));
      }
      resultCallback(result);
    });
  }

  forceFlush() {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }

  shutdown() {
    return this.inner.shutdown();
  }
}

// Spans seq and seq+1 when seq % 5 == 3 are a parent and its child (same trace, the child's
// parent id the parent's span id); all others are roots. Kinds alternate SERVER/CLIENT by
// seq, every 10th span (seq % 10 == 0) ends with status ERROR, the others OK.
function attributesFor(seq) {
  return {
    seq,
    'test.string': `value-${seq}`,
    'test.bool': true,
    'test.double': 1.5,
    'test.array': ['a', 'b'],
  };
}

function startSpan(tracer, seq, parentContext) {
  return tracer.startSpan(`op-${seq}`, {
    kind: seq % 2 === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
    attributes: attributesFor(seq),
  }, parentContext);
}

function endSpan(span, seq) {
  span.addEvent(`event-${seq}`, { 'event.seq': seq });
  if (seq % 10 === 0) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: `error-${seq}` });
  } else {
    span.setStatus({ code: SpanStatusCode.OK });
  }
  span.end();
}

// Makes span `seq` (and its child, when it is a parent); returns how many spans it made.
function produce(tracer, seq, total) {
  if (seq % 5 === 3 && seq + 1 < total) {
    const parent = startSpan(tracer, seq, context.active());
    const child = startSpan(tracer, seq + 1, trace.setSpan(context.active(), parent));
    endSpan(child, seq + 1);
    endSpan(parent, seq);
    return 2;
  }
  endSpan(startSpan(tracer, seq, context.active()), seq);
  return 1;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.verbose) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.INFO);

  const outFd = fs.openSync(args.out, 'w');
  const exporter = new RecordingExporter(new OTLPTraceExporter({
    url: args.url,
    compression: args.gzip ? 'gzip' : 'none',
    timeoutMillis: args.timeoutMs,
    // forceFlush hands every queued batch to the exporter at once; let them all go.
    concurrencyLimit: 1000,
  }), outFd);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes(RESOURCE_ATTRIBUTES),
    spanProcessors: [new BatchSpanProcessor(exporter, {
      // Room for a receiver outage of tens of seconds at a few hundred spans a second.
      maxQueueSize: 50000,
      maxExportBatchSize: 512,
      scheduledDelayMillis: 200,
      // Longer than the exporter's own deadline, so the processor waits for its verdict.
      exportTimeoutMillis: args.timeoutMs + 5000,
    })],
  });
  const tracer = provider.getTracer(args.scopeName, args.scopeVersion);

  let stopRequested = false;
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => { stopRequested = true; });

  // Paced by elapsed time, so a slow tick catches up instead of lowering the rate.
  let created = 0;
  const startedAt = Date.now();
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(args.spans, Math.floor(((Date.now() - startedAt) / 1000) * args.rate) + 1);
      while (!stopRequested && created < due) created += produce(tracer, created, args.spans);
      if (stopRequested || created >= args.spans) {
        resolve();
      } else {
        setTimeout(tick, 10);
      }
    };
    tick();
  });

  try {
    await provider.forceFlush();
  } catch (e) {
    exporter.errors.add(`forceFlush: ${e?.message ?? e}`);
  }
  try {
    await provider.shutdown();
  } catch (e) {
    exporter.errors.add(`shutdown: ${e?.message ?? e}`);
  }

  const summary = {
    summary: true,
    ok: exporter.ok,
    failed: exporter.failed,
    created,
    dropped: created - exporter.ok - exporter.failed,
    calls_ok: exporter.callsOk,
    calls_failed: exporter.callsFailed,
    errors: [...exporter.errors],
    stopped_early: stopRequested,
  };
  fs.writeSync(outFd, JSON.stringify(summary) + '\n');
  fs.closeSync(outFd);
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`export_spans: ${e?.stack ?? e}\n`);
  process.exit(1);
});
