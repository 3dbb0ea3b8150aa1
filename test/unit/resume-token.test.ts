import { EventError } from '../../lib/core/errors';
import { parseEvent } from '../../lib/core/event';
import { decodeResumeToken, encodeResumeToken, type ResumePoint } from '../../lib/core/resume-token';

const b64 = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

describe('resume tokens', () => {
  it.each<[ResumePoint]>([
    [{ position: {}, intent: { dryRun: false, report: 'findings' } }],
    [{ position: { pageToken: 'abc/+==', after: '/aws/a' }, intent: { dryRun: true, report: 'always' } }],
    [
      {
        position: { pageToken: 'x' },
        intent: { dryRun: true, report: 'findings', remediationsLeft: 0, logGroupNamePrefix: '/aws/rds/' },
      },
    ],
  ])('round-trips %j', (point) => {
    expect(decodeResumeToken(encodeResumeToken(point))).toEqual(point);
  });

  it.each([
    ['not base64 JSON', 'not-a-token'],
    ['another version', b64({ v: 3, d: true, r: 'always' })],
    ['a token without the dry-run switch', b64({ v: 2, r: 'always' })],
    ['a dry-run switch that is a string', b64({ v: 2, d: 'true', r: 'always' })],
    ['a negative remediations left', b64({ v: 2, d: false, r: 'always', m: -1 })],
    ['a fractional remediations left', b64({ v: 2, d: false, r: 'always', m: 1.5 })],
    ['an unknown report mode', b64({ v: 2, d: false, r: 'problems' })],
    ['a numeric page token', b64({ v: 2, d: false, r: 'always', t: 5 })],
    ['a numeric after', b64({ v: 2, d: false, r: 'always', a: 5 })],
    ['a version 1 token', b64({ v: 1, s: 0 })],
    ['JSON null', Buffer.from('null').toString('base64url')],
  ])('rejects %s, naming resumeToken', (_label, token) => {
    expect(() => decodeResumeToken(token)).toThrow(EventError);
    expect(() => parseEvent({ resumeToken: token })).toThrow(
      expect.objectContaining({ field: 'resumeToken' }),
    );
  });
});
