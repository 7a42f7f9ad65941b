// The daemon's side of each gRPC call of the run path, from a TSCR_TRACE file (bench/run-path-ab.sh keeps them in
// bench/.bench-out/run-path-ab-{a,b}.jsonl): per method, the medians of the HTTP/2 stream's life
// (`grpc.stream.<Method>`, from its headers read to its close), of the handler (`grpc.<method>`, from its request
// decoded to its answer handed to grpc-js), and the two pieces of the stream's life around the handler: before it
// (the request's frames read and decoded) and after it (the answer encoded and written, then, a loop turn or more
// later, the trailers with the status, then the close). Usage: node bench/grpc-trace.mjs TRACE_FILE
import { readFileSync } from 'node:fs';

const spans = readFileSync(process.argv[2], 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
const f = (x) => x.toFixed(2);
console.log('| gRPC method (daemon side) | calls | stream ms | handler ms | before the handler | after the answer |');
console.log('|---|---|---|---|---|---|');
const methods = new Set(spans.filter((s) => s.step.startsWith('grpc.stream.')).map((s) => s.step.slice(12)));
for (const method of [...methods].sort()) {
  const streams = spans.filter((s) => s.step === `grpc.stream.${method}`).sort((a, b) => a.at - b.at);
  const handlers = spans.filter((s) => s.step === `grpc.${method[0].toLowerCase()}${method.slice(1)}`);
  const before = [];
  const after = [];
  for (const h of handlers) {
    // The call's stream: the first to close after the handler answered and that opened before it began.
    const s = streams.find((x) => x.at >= h.at && x.at - x.ms <= h.at - h.ms);
    if (!s) continue;
    before.push(h.at - h.ms - (s.at - s.ms));
    after.push(s.at - h.at);
  }
  const row = [streams.length, f(median(streams.map((s) => s.ms))), f(median(handlers.map((h) => h.ms)))];
  console.log(`| ${method} | ${row.join(' | ')} | ${f(median(before))} | ${f(median(after))} |`);
}
