// One invocation of a sweep, in a process of its own so that its peak RSS is its own: the state
// machine's Task state, with the bundle `serverless package` made, as Lambda would run it.
// argv: <bundle path> <budget ms>. The payload (the state the state machine passes) arrives over
// IPC, since a sweep state can outgrow a command-line argument; answers over IPC with
// { ms, maxRssKb, heap, answer }, the answer being what the handler returned (a continuation or
// the report) and `heap` the largest V8 heap figures sampled, to tell retained memory from garbage.
const bundlePath = process.argv[2];
const budgetMs = Number(process.argv[3]);
// The handler stops this long before the deadline (lib/run/run-context.ts DEADLINE_MARGIN_MS).
const DEADLINE_MARGIN_MS = 20_000;

const { buildHandler } = require(bundlePath);
const handler = buildHandler(process.env);

const heap = { usedMb: 0, totalMb: 0, externalMb: 0 };
const sampleHeap = () => {
  const m = process.memoryUsage();
  heap.usedMb = Math.max(heap.usedMb, m.heapUsed / 2 ** 20);
  heap.totalMb = Math.max(heap.totalMb, m.heapTotal / 2 ** 20);
  heap.externalMb = Math.max(heap.externalMb, m.external / 2 ** 20);
};

process.once('message', (payload) => {
  const sampler = setInterval(sampleHeap, 250);
  const started = performance.now();
  // A deadline `budgetMs` past the handler's margin: it works for about `budgetMs`, then hands over.
  const deadline = started + DEADLINE_MARGIN_MS + budgetMs;
  const context = {
    awsRequestId: `bench-sweep-${process.pid}`,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:logs-kms-remediator-bench-remediate',
    functionName: 'logs-kms-remediator-bench-remediate',
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
  };
  handler(payload, context).then(
    (answer) => {
      const ms = performance.now() - started;
      clearInterval(sampler);
      sampleHeap();
      process.send({ ms, maxRssKb: process.resourceUsage().maxRSS, heap, answer }, () => process.exit(0));
    },
    (error) => {
      process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
    },
  );
});
