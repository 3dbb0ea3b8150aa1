// One benchmark run of the product, in a process of its own so that its peak RSS is its own.
// Plain CommonJS on purpose: it loads the bundle `serverless package` made, as Lambda would,
// and nothing else that would weigh on the memory figure.
// argv: <bundle path> <config JSON> [event JSON file]; answers { ms, maxRssKb, totals, keysInUse, keyEvent } over IPC.
const bundlePath = process.argv[2];
const env = JSON.parse(process.argv[3]);
// The event to invoke with: a manual run ({}) unless a file is given (a CloudTrail key event, say).
const event = process.argv[4] ? JSON.parse(require('node:fs').readFileSync(process.argv[4], 'utf8')) : {};
Object.assign(process.env, env);

const { buildHandler } = require(bundlePath);
const handler = buildHandler(process.env);
const context = {
  awsRequestId: `bench-${process.pid}`,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:logs-kms-remediator-bench-remediate',
  functionName: 'logs-kms-remediator-bench-remediate',
  getRemainingTimeInMillis: () => 3_600_000,
};

const started = performance.now();
handler(event, context).then(
  (report) => {
    const ms = performance.now() - started;
    const { totals, keysInUse, keyEvent, pace } = report;
    process.send({ ms, maxRssKb: process.resourceUsage().maxRSS, totals, keysInUse, keyEvent, pace }, () =>
      process.exit(0),
    );
  },
  (error) => {
    process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
  },
);
