import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addressProblem, DeliveryRefusedError, type Resolver } from '../src/address-guard.js';
import { HttpSender, MAX_RESPONSE_BYTES } from '../src/http-sender.js';

/** DNS as an attacker would set it up: names that point inward. */
const stubDns: Resolver = async (hostname) => {
  const table: Record<string, { address: string; family: number }[]> = {
    'metadata.attacker.test': [{ address: '169.254.169.254', family: 4 }],
    'mixed.attacker.test': [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ],
    'ula.attacker.test': [{ address: 'fd00:ec2::254', family: 6 }],
  };
  if (hostname === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  const found = table[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found;
};

describe('addressProblem()', () => {
  it.each([
    ['127.0.0.1'],
    ['169.254.169.254'],
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['192.168.1.1'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['::1'],
    ['fe80::1'],
    ['fd00:ec2::254'],
    ['::ffff:127.0.0.1'],
    ['::ffff:169.254.169.254'],
    ['64:ff9b::a9fe:a9fe'],
    ['224.0.0.1'],
  ])('refuses %s in aws mode', (address) => {
    expect(addressProblem(address, { allowLoopback: false })).toBeDefined();
  });

  it.each([['93.184.215.14'], ['2606:2800:220:1:248:1893:25c8:1946']])('allows the public address %s', (address) => {
    expect(addressProblem(address, { allowLoopback: false })).toBeUndefined();
  });

  it('allows loopback in local mode, and only loopback', () => {
    expect(addressProblem('127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(addressProblem('::1', { allowLoopback: true })).toBeUndefined();
    expect(addressProblem('169.254.169.254', { allowLoopback: true })).toBeDefined();
    expect(addressProblem('10.0.0.1', { allowLoopback: true })).toBeDefined();
  });
});

describe('HttpSender', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/big') {
        res.writeHead(200);
        res.end(Buffer.alloc(1024 * 1024, 'x'));
      } else if (req.url === '/hang') {
        // never answers
      } else res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  describe('in aws mode (strict)', () => {
    const sender = new HttpSender({ strict: true, resolver: stubDns });
    afterAll(() => sender.close());

    it.each([
      ['a name resolving to 127.0.0.1', () => `https://localhost:${port}/hook`],
      ['a name resolving to 169.254.169.254', () => 'https://metadata.attacker.test/latest/meta-data/'],
      ['a name with one private address among public ones', () => 'https://mixed.attacker.test/hook'],
      ['a name resolving to the IPv6 metadata address', () => 'https://ula.attacker.test/hook'],
      ['the literal 169.254.169.254', () => 'https://169.254.169.254/latest/meta-data/'],
      ['the literal 127.0.0.1', () => `https://127.0.0.1:${port}/`],
      ['an IPv4-mapped IPv6 literal', () => `https://[::ffff:127.0.0.1]:${port}/`],
      ['http', () => 'http://example.com/hook'],
    ])('refuses %s, before any byte is sent', async (_label, url) => {
      const before = hits;
      await expect(sender.send({ url: url(), headers: {}, body: '{}' })).rejects.toBeInstanceOf(DeliveryRefusedError);
      expect(hits).toBe(before);
    });
  });

  describe('in local mode', () => {
    const sender = new HttpSender({ strict: false, resolver: stubDns, timeoutMs: 500 });
    afterAll(() => sender.close());

    it('sends to loopback, by literal and by name', async () => {
      await expect(sender.send({ url: `http://127.0.0.1:${port}/ok`, headers: {}, body: '{}' })).resolves.toMatchObject({ statusCode: 204 });
      await expect(sender.send({ url: `http://localhost:${port}/ok`, headers: {}, body: '{}' })).resolves.toMatchObject({ statusCode: 204 });
    });

    it('still refuses the metadata address', async () => {
      await expect(sender.send({ url: 'http://metadata.attacker.test/', headers: {}, body: '{}' })).rejects.toBeInstanceOf(DeliveryRefusedError);
    });

    it(`reads at most ${MAX_RESPONSE_BYTES} bytes of an answer`, async () => {
      const result = await sender.send({ url: `http://127.0.0.1:${port}/big`, headers: {}, body: '{}' });
      expect(result.responseExcerpt).toHaveLength(MAX_RESPONSE_BYTES);
    });

    it('gives up on a receiver that never answers', async () => {
      await expect(sender.send({ url: `http://127.0.0.1:${port}/hang`, headers: {}, body: '{}' })).rejects.toThrow();
    });
  });
});
