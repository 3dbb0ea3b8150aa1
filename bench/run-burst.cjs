// A burst of CreateLogGroup events, one after the other as Lambda would deliver them to a
// function with reserved concurrency 1, through the bundle `serverless package` made.
// argv: <bundle path> <event template path> <JSON list of group names>; answers over IPC with
// { ms, perEventMs: [...], maxRssKb }.
const { readFileSync } = require('node:fs');

const [bundlePath, templatePath, namesJson] = process.argv.slice(2);
const names = JSON.parse(namesJson);
const template = JSON.parse(readFileSync(templatePath, 'utf8'));
const { buildHandler } = require(bundlePath);
const handler = buildHandler(process.env);
const context = {
  awsRequestId: 'bench-burst',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:logs-kms-remediator-bench-remediate',
  functionName: 'logs-kms-remediator-bench-remediate',
  getRemainingTimeInMillis: () => 300_000,
};

async function main() {
  const perEventMs = [];
  const started = performance.now();
  for (const logGroupName of names) {
    const event = {
      ...template,
      detail: {
        ...template.detail,
        eventTime: new Date().toISOString(),
        requestParameters: { logGroupName },
      },
    };
    const t = performance.now();
    const answer = await handler(event, context);
    perEventMs.push(performance.now() - t);
    if (answer.totals?.remediated !== 1) throw new Error(`not remediated: ${JSON.stringify(answer)}`);
  }
  return { ms: performance.now() - started, perEventMs, maxRssKb: process.resourceUsage().maxRSS };
}

main().then(
  (result) => process.send(result, () => process.exit(0)),
  (error) => process.send({ error: String(error?.stack ?? error) }, () => process.exit(1)),
);
