import { EventError } from '../../lib/errors';
import { parseEvent } from '../../lib/event';
import { decodeResumeToken, encodeResumeToken } from '../../lib/resume-token';

describe('resume tokens', () => {
  it.each([
    [{ skip: 0 }],
    [{ skip: 17, pageToken: 'abc/+==' }],
    [{ skip: 3, pageToken: 'x', logGroupNamePrefix: '/aws/rds/' }],
  ])('round-trips %j', (position) => {
    expect(decodeResumeToken(encodeResumeToken(position))).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'not-a-token'],
    ['another version', Buffer.from(JSON.stringify({ v: 2, s: 0 })).toString('base64url')],
    ['a negative skip', Buffer.from(JSON.stringify({ v: 1, s: -1 })).toString('base64url')],
    ['a fractional skip', Buffer.from(JSON.stringify({ v: 1, s: 1.5 })).toString('base64url')],
    ['a numeric page token', Buffer.from(JSON.stringify({ v: 1, s: 0, t: 5 })).toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
  ])('rejects %s, naming resumeToken', (_label, token) => {
    expect(() => decodeResumeToken(token)).toThrow(EventError);
    expect(() => parseEvent({ resumeToken: token })).toThrow(
      expect.objectContaining({ field: 'resumeToken' }),
    );
  });

  it('carries the sweep’s prefix into the resumed request', () => {
    const token = encodeResumeToken({ skip: 2, pageToken: 'p', logGroupNamePrefix: '/aws/rds/' });
    expect(parseEvent({ resumeToken: token })).toEqual({
      trigger: 'manual',
      logGroupNamePrefix: '/aws/rds/',
      resumeFrom: { skip: 2, pageToken: 'p', logGroupNamePrefix: '/aws/rds/' },
    });
  });

  it('rejects a prefix that contradicts the token’s', () => {
    const token = encodeResumeToken({ skip: 0, logGroupNamePrefix: '/aws/rds/' });
    expect(() => parseEvent({ resumeToken: token, logGroupNamePrefix: '/aws/lambda/' })).toThrow(
      expect.objectContaining({ field: 'logGroupNamePrefix' }),
    );
  });
});
