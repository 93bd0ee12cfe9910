import { describe, expect, it } from '@jest/globals';

// Importing the library must not reconfigure the process: services and CLIs own their
// environment (a variable set at import would leak into every agent a worker spawns).
describe('importing @outpost/shared', () => {
  it('leaves process.env as it was', async () => {
    const before = { ...process.env };
    const shared = await import('../src/index.js');
    expect(typeof shared.createAwsClients).toBe('function');
    expect({ ...process.env }).toEqual(before);
  });

  it('building the clients does not change process.env either', async () => {
    const { createAwsClients } = await import('../src/index.js');
    const before = { ...process.env };
    const clients = createAwsClients({ mode: 'aws', region: 'eu-west-1', endpoints: {} });
    clients.destroy();
    expect({ ...process.env }).toEqual(before);
  });
});
