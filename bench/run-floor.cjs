// The floor: the fewest calls that can do the job with the bare SDK, and nothing else.
// DescribeLogGroups pages, and one AssociateKmsKey per unencrypted group with the same
// concurrency as the product. No key check, no report, no logging.
// argv: <key ARN> <concurrency>; answers { ms, maxRssKb } over IPC.
const {
  AssociateKmsKeyCommand,
  CloudWatchLogsClient,
  paginateDescribeLogGroups,
} = require('@aws-sdk/client-cloudwatch-logs');

const keyArn = process.argv[2];
const concurrency = Number(process.argv[3]);
const client = new CloudWatchLogsClient({ region: 'us-east-1' });

async function main() {
  const running = new Set();
  for await (const page of paginateDescribeLogGroups({ client, pageSize: 50 }, { limit: 50 })) {
    for (const group of page.logGroups ?? []) {
      if (group.kmsKeyId) continue;
      while (running.size >= concurrency) await Promise.race(running);
      const call = client
        .send(new AssociateKmsKeyCommand({ logGroupName: group.logGroupName, kmsKeyId: keyArn }))
        .finally(() => running.delete(call));
      running.add(call);
    }
  }
  await Promise.all(running);
}

const started = performance.now();
main().then(
  () => {
    const ms = performance.now() - started;
    process.send({ ms, maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(0));
  },
  (error) => process.send({ error: String(error) }, () => process.exit(1)),
);
