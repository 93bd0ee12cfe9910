import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@outpost/shared';
import { loadMcpEdgeConfig } from '../src/config.js';

const AWS = { OUTPOST_MODE: 'aws', OUTPOST_ENV: 'prod', OUTPOST_PREFIX: 'outpost-prod', AWS_REGION: 'eu-west-1' };

describe('loadMcpEdgeConfig() › OAuth', () => {
  it('has no public URL in aws mode unless one is set (so sign-in is off), and reads the external issuer', () => {
    expect(loadMcpEdgeConfig(AWS)).toMatchObject({ oauth: true });
    expect(loadMcpEdgeConfig(AWS).publicUrl).toBeUndefined();
    const config = loadMcpEdgeConfig({ ...AWS, OUTPOST_EDGE_PUBLIC_URL: 'https://outpost.acme.dev', OUTPOST_OAUTH_ISSUER: 'https://idp.acme.dev/', OUTPOST_OAUTH: 'on' });
    expect(config).toMatchObject({ publicUrl: 'https://outpost.acme.dev', externalIssuer: { issuer: 'https://idp.acme.dev/', tenantClaim: 'outpost_tenant' } });
    expect(loadMcpEdgeConfig({ ...AWS, OUTPOST_OAUTH: 'off' }).oauth).toBe(false);
  });

  it.each([
    ['OUTPOST_EDGE_PUBLIC_URL', 'http://outpost.acme.dev'],
    ['OUTPOST_OAUTH_ISSUER', 'http://idp.acme.dev'],
    ['OUTPOST_EDGE_PUBLIC_URL', 'https://outpost.acme.dev/?x=1'],
  ])('refuses %s=%s (https only off loopback, no query)', (variable, value) => {
    expect(() => loadMcpEdgeConfig({ ...AWS, [variable]: value })).toThrow(ConfigError);
  });

  it('takes http on loopback', () => {
    expect(loadMcpEdgeConfig({ ...AWS, OUTPOST_EDGE_PUBLIC_URL: 'http://127.0.0.1:7400' }).publicUrl).toBe('http://127.0.0.1:7400');
  });
});
