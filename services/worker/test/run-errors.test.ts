import { describe, expect, it } from '@jest/globals';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { InternalServerError } from '@aws-sdk/client-ssm';
import { LeaseLostError } from '@outpost/shared';
import { decideFailure, isDependencyFailure, NonRetryableError, retryDelaySeconds, RunStepError, step } from '../src/run-errors.js';

const ssmDown = () => new InternalServerError({ $metadata: { httpStatusCode: 500 }, message: 'SSM is having a bad day' });
const s3SlowDown = () =>
  new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });
const dynamoThrottled = () => new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('decideFailure()', () => {
  it.each([
    ['an SSM 500', ssmDown],
    ['an S3 SlowDown', s3SlowDown],
    ['a DynamoDB throttle', dynamoThrottled],
    ['a reset connection', reset],
  ])('retries %s while attempts remain, and fails the last attempt with dependency_unavailable', (_what, make) => {
    const err = new RunStepError('loading the tenant\'s secrets', { cause: make() });
    expect(decideFailure(err, { attempt: 1, maxAttempts: 3 })).toMatchObject({ action: 'retry', code: 'dependency_unavailable', delaySeconds: 2 });
    expect(decideFailure(err, { attempt: 2, maxAttempts: 3 })).toMatchObject({ action: 'retry', delaySeconds: 4 });
    const last = decideFailure(err, { attempt: 3, maxAttempts: 3 });
    expect(last).toMatchObject({ action: 'fail', code: 'dependency_unavailable' });
    expect(last.message).toMatch(/^loading the tenant's secrets failed: .+ \(attempt 3 of 3; none left\)$/);
  });

  it('retries an error of its own (a bug) too, and fails the last attempt with internal', () => {
    expect(decideFailure(new TypeError('x is undefined'), { attempt: 1, maxAttempts: 2 })).toMatchObject({ action: 'retry', code: 'internal' });
    expect(decideFailure(new TypeError('x is undefined'), { attempt: 2, maxAttempts: 2 })).toMatchObject({ action: 'fail', code: 'internal' });
  });

  it('fails a NonRetryableError at once with its code, attempts left or not', () => {
    const err = new NonRetryableError('invalid_job', 'the task object is gone');
    expect(decideFailure(err, { attempt: 1, maxAttempts: 3 })).toEqual({ action: 'fail', code: 'invalid_job', message: 'the task object is gone' });
  });
});

describe('step()', () => {
  it('names the step and keeps the cause', async () => {
    const cause = s3SlowDown();
    const err = await step('numbering the log chunks', () => Promise.reject(cause)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunStepError);
    expect((err as RunStepError).message).toBe('numbering the log chunks failed: SlowDown: Please reduce your request rate.');
    expect((err as RunStepError).cause).toBe(cause);
    expect(isDependencyFailure(err)).toBe(true);
  });

  it.each([
    ['a lost lease', () => new LeaseLostError('run_x', undefined)],
    ['a non-retryable error', () => new NonRetryableError('invalid_job', 'bad')],
  ])('lets %s through unwrapped', async (_what, make) => {
    const original = make();
    await expect(step('reading the task', () => Promise.reject(original))).rejects.toBe(original);
  });
});

describe('retryDelaySeconds()', () => {
  it('doubles per attempt, at most a minute', () => {
    expect([1, 2, 3, 5, 6, 10].map(retryDelaySeconds)).toEqual([2, 4, 8, 32, 60, 60]);
  });
});
