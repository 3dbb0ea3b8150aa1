// One benchmark run of the product, in a process of its own so that its peak RSS is its own.
// Plain CommonJS on purpose: it loads the bundle `serverless package` made, as Lambda would,
// and nothing else that would weigh on the memory figure.
// argv: <bundle path> <config JSON>; answers { ms, maxRssKb, report } over IPC.
const bundlePath = process.argv[2];
const env = JSON.parse(process.argv[3]);
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
handler({}, context).then(
  (report) => {
    const ms = performance.now() - started;
    process.send(
      { ms, maxRssKb: process.resourceUsage().maxRSS, totals: report.totals, pace: report.pace },
      () => process.exit(0),
    );
  },
  (error) => {
    process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
  },
);
