import { describe, it, expect } from '@jest/globals';
import { add, combine, condition, increment, remove, set, setIfAbsent, toUpdateInput } from '../src/aws/update-expression.js';

describe('update-expression', () => {
  describe('set()', () => {
    it('names every attribute and value after the attribute, skipping undefined and keeping null', () => {
      expect(set({ status: 'queued', exitCode: null, logTail: undefined })).toEqual({
        set: ['#status = :status', '#exitCode = :exitCode'],
        remove: [],
        add: [],
        condition: [],
        names: { '#status': 'status', '#exitCode': 'exitCode' },
        values: { ':status': 'queued', ':exitCode': null },
      });
    });
  });

  describe('setIfAbsent(), increment(), remove(), add()', () => {
    it.each([
      ['setIfAbsent', setIfAbsent({ cancelReason: 'x' }).set, ['#cancelReason = if_not_exists(#cancelReason, :cancelReason)']],
      ['increment', increment('attempt', -1).set, ['#attempt = #attempt + :attemptDelta']],
      ['remove', remove('leaseToken', 'workerId').remove, ['#leaseToken', '#workerId']],
      ['add', add({ outboxEvents: new Set(['a']) }).add, ['#outboxEvents :outboxEvents']],
    ])('%s writes its clause', (_name, clauses, expected) => {
      expect(clauses).toEqual(expected);
    });
  });

  describe('condition()', () => {
    it('generates the names the expression uses, nested paths too', () => {
      const c = condition('#status = :succeeded AND #promotion.#status = :p', { ':succeeded': 'succeeded', ':p': 'pending' });
      expect(c.names).toEqual({ '#status': 'status', '#promotion': 'promotion' });
      expect(c.condition).toEqual(['#status = :succeeded AND #promotion.#status = :p']);
    });
  });

  describe('combine()', () => {
    it('joins parts; the same placeholder with the same value is fine', () => {
      const parts = combine(set({ status: 'running' }), condition('#status = :queued', { ':queued': 'queued' }), condition('#tier = :queued', { ':queued': 'queued' }));
      expect(parts.set).toEqual(['#status = :status']);
      expect(parts.condition).toHaveLength(2);
      expect(parts.values).toEqual({ ':status': 'running', ':queued': 'queued' });
    });

    it('refuses a placeholder bound to two values', () => {
      expect(() => combine(condition('#a = :x', { ':x': 1 }), condition('#b = :x', { ':x': 2 }))).toThrow(/:x/);
      expect(() => combine(add({ s: new Set(['a']) }), condition('#t = :s', { ':s': new Set(['b']) }))).toThrow(/:s/);
    });

    it('refuses an attribute updated twice (DynamoDB would refuse the overlap)', () => {
      expect(() => combine(set({ activeSk: 'a' }), remove('activeSk'))).toThrow(/#activeSk/);
      expect(() => combine(set({ attempt: 1 }), increment('attempt', 1))).toThrow(/#attempt/);
    });
  });

  describe('toUpdateInput()', () => {
    it('writes SET, REMOVE and ADD in that order and ANDs the condition parts', () => {
      const parts = combine(
        set({ status: 'failed' }),
        remove('leaseToken'),
        add({ outboxEvents: new Set(['run.failed@t']) }),
        condition('attribute_exists(#runId)'),
        condition('#status = :queued OR #status = :running', { ':queued': 'queued', ':running': 'running' }),
      );
      expect(toUpdateInput(parts)).toEqual({
        UpdateExpression: 'SET #status = :status REMOVE #leaseToken ADD #outboxEvents :outboxEvents',
        ConditionExpression: '(attribute_exists(#runId)) AND (#status = :queued OR #status = :running)',
        ExpressionAttributeNames: { '#status': 'status', '#leaseToken': 'leaseToken', '#outboxEvents': 'outboxEvents', '#runId': 'runId' },
        ExpressionAttributeValues: { ':status': 'failed', ':outboxEvents': new Set(['run.failed@t']), ':queued': 'queued', ':running': 'running' },
      });
    });

    it('leaves out what is empty, and refuses an update with no clause', () => {
      expect(toUpdateInput(remove('x'))).toEqual({ UpdateExpression: 'REMOVE #x', ExpressionAttributeNames: { '#x': 'x' } });
      expect(() => toUpdateInput(condition('attribute_exists(#runId)'))).toThrow(/at least one clause/);
    });
  });
});
