import { describe, expect, it } from '@jest/globals';
import { answersInOne } from '../src/http/json-answer.js';

const call = (name: string, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) },
});

describe('answersInOne()', () => {
  it.each([
    ['a get_run call', call('get_run')],
    ['a dispatch call', call('dispatch')],
    ['a ping', { jsonrpc: '2.0', id: 7, method: 'ping' }],
  ])('answers %s in one JSON body', (_, body) => {
    expect(answersInOne(body)).toBe(true);
  });

  it.each([
    ['initialize', { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }],
    ['tools/list', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
    ['a call that asked for progress', call('get_run', { progressToken: 'p1' })],
    ['wait_for_run (a long call)', call('wait_for_run')],
    ['promote (waits for its worker)', call('promote')],
    ['a batch', [call('get_run')]],
    ['a notification', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }],
    ['not JSON-RPC', { id: 1, method: 'ping' }],
  ])('keeps SSE for %s', (_, body) => {
    expect(answersInOne(body)).toBe(false);
  });
});
