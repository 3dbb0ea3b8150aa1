// One invocation of a sweep, in a process of its own so that its peak RSS is its own: the state
// machine's Task state, with the bundle `serverless package` made, as Lambda would run it.
// argv: <bundle path> <budget ms>. The payload (the state the state machine passes) arrives over
// IPC, since a sweep state can outgrow a command-line argument; answers over IPC with
// { ms, maxRssKb, answer }, the answer being what the handler returned (a continuation or the report).
const bundlePath = process.argv[2];
const budgetMs = Number(process.argv[3]);
// The handler stops this long before the deadline (lib/remediate.ts DEADLINE_MARGIN_MS).
const DEADLINE_MARGIN_MS = 20_000;

const { buildHandler } = require(bundlePath);
const handler = buildHandler(process.env);

process.once('message', (payload) => {
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
      process.send({ ms, maxRssKb: process.resourceUsage().maxRSS, answer }, () => process.exit(0));
    },
    (error) => {
      process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
    },
  );
});
