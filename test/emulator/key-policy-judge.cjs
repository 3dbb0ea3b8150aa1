#!/usr/bin/env node
/**
 * The emulator's key-policy judge: does a key policy let CloudWatch Logs use the key for a log group?
 *
 * Run by test/emulator/moto_server.py as one long-lived child process. It reads one JSON request per line on
 * stdin, {"policy": "<key policy text>", "region": "...", "account": "...", "keyArn": "...", "groupArn": "..."},
 * and answers one JSON line on stdout, {"allowed": true|false} or {"error": "..."}.
 *
 * It shares no code with the product's evaluator (lib/key-policy.ts): IAM's rules come from an independent
 * evaluator, @cloud-copilot/iam-simulate (a devDependency), so an integration test fails when the product's
 * verdict is wrong. The request it judges is one concrete request, as AWS would see it (see the README's
 * key-policy section for the sources): keys the documentation leaves open are taken as absent here.
 */
'use strict';

const readline = require('node:readline');
const { runUnsafeSimulation } = require('@cloud-copilot/iam-simulate');

// What CloudWatch Logs needs from the key for a log group.
const ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
];

/** The request context of CloudWatch Logs' own call to KMS for the group (its service principal, over TLS). */
function requestContext(region, groupArn) {
  return {
    'kms:EncryptionContext:aws:logs:arn': groupArn,
    'kms:EncryptionContextKeys': ['aws:logs:arn'],
    'aws:PrincipalIsAWSService': 'true',
    'aws:PrincipalServiceName': `logs.${region}.amazonaws.com`,
    'aws:SecureTransport': 'true',
    'aws:ViaAWSService': 'false',
    'aws:RequestedRegion': region,
  };
}

/**
 * iam-simulate's runSimulation drops context keys it does not list for the action (it only matches variable
 * keys spelt `prefix/suffix`), which loses kms:EncryptionContext:aws:logs:arn; runUnsafeSimulation takes the
 * context as given. It needs the policy in its "validated" wrapper, or it crashes reading the policy's name.
 */
function allowed(policy, { region, account, keyArn, groupArn }) {
  const context = requestContext(region, groupArn);
  return ACTIONS.every(
    (action) =>
      runUnsafeSimulation(
        {
          request: {
            principal: `logs.${region}.amazonaws.com`,
            action,
            resource: { resource: keyArn, accountId: account },
            contextVariables: context,
          },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: {
            __validated: true,
            policyDocument: policy,
            metadata: { name: 'key-policy' },
            errors: [],
          },
        },
        {},
      ) === 'Allowed',
  );
}

function answer(line) {
  try {
    const request = JSON.parse(line);
    return { allowed: allowed(JSON.parse(request.policy), request) };
  } catch (error) {
    return { error: String(error?.message ?? error) };
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== '') process.stdout.write(`${JSON.stringify(answer(line))}\n`);
});
