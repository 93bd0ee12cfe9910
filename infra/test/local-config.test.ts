import { describe, it, expect } from '@jest/globals';
import { ConfigError, parseEnv } from '@outpost/shared';
import { LocalStackEnv } from '../src/local/index.js';

describe('LocalStackEnv', () => {
  it('defaults the three ports', () => {
    const env = parseEnv(LocalStackEnv, {});
    expect([env.OUTPOST_EDGE_PORT, env.OUTPOST_DYNAMODB_PORT, env.OUTPOST_SQS_PORT]).toEqual([7400, 7401, 7402]);
  });

  it.each([
    ['OUTPOST_EDGE_PORT', 'eighty'],
    ['OUTPOST_DYNAMODB_PORT', '70000'],
    ['OUTPOST_SQS_PORT', '-1'],
    ['OUTPOST_SQS_PORT', '80.5'],
  ])('%s=%s fails naming the variable and the allowed range', (variable, value) => {
    let err: unknown;
    try {
      parseEnv(LocalStackEnv, { [variable]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.variable)).toEqual([variable]);
    expect(problems[0]?.message).toContain('port number from 0 to 65535');
    expect(problems[0]?.message).toContain(JSON.stringify(value));
  });
});
