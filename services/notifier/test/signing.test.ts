import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret } from '@outpost/shared';
import { signedHeaders, signWebhook } from '../src/signing.js';

describe('signWebhook()', () => {
  const body = JSON.stringify({ type: 'run.succeeded', timestamp: '2026-12-03T00:00:00.000Z', data: { summary: 'é ✓' } });

  it('produces headers the standardwebhooks package verifies', () => {
    const secret = newSigningSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders(secret, 'msg_abc', now, body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });

  it('matches the reference signature byte for byte', () => {
    const secret = newSigningSecret();
    const at = new Date();
    const ts = Math.floor(at.getTime() / 1000);
    expect(signWebhook(secret, 'msg_x', ts, body)).toBe(new Webhook(secret).sign('msg_x', new Date(ts * 1000), body));
  });

  it.each([
    ['another secret', (s: string) => ({ secret: newSigningSecret(), body, id: 'msg_1', s })],
    ['a changed body', (s: string) => ({ secret: s, body: `${body} `, id: 'msg_1', s })],
    ['a changed id', (s: string) => ({ secret: s, body, id: 'msg_2', s })],
  ])('fails verification with %s', (_label, variant) => {
    const secret = newSigningSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = signedHeaders(secret, 'msg_1', ts, body);
    const v = variant(secret);
    expect(() => new Webhook(v.secret).verify(v.body, { ...headers, 'webhook-id': v.id })).toThrow();
  });

  it('makes secrets of whsec_ and 32 random bytes', () => {
    const a = newSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(a);
  });
});
