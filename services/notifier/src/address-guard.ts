import { OutpostError } from '@outpost/shared';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** We would not send to this URL or address (SSRF rule): not retried differently from a failure, but recorded as `refused`. */
export class DeliveryRefusedError extends OutpostError {
  override readonly name = 'DeliveryRefusedError';
  readonly code = 'forbidden';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

export interface AddressPolicy {
  /** local mode: loopback (127.0.0.0/8, ::1) is allowed, for receivers on this machine. */
  allowLoopback: boolean;
}

/**
 * Why an address may not be sent to, or undefined. Only global unicast passes: private,
 * loopback, link-local (so 169.254.169.254, the metadata service), CGNAT, ULA (fd00:ec2::254),
 * multicast, reserved, and v6 forms that embed a v4 address (mapped, NAT64, 6to4, Teredo) are
 * refused; a mapped v4 address is judged as the v4 address it is.
 */
export function addressProblem(address: string, policy: AddressPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `not an IP address: ${address}`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  return `${address} is a ${range} address; webhooks go to public addresses only`;
}

/** Resolves a host name to every address it has (dns.lookup, as the OS would). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * A `lookup` for the HTTP agent's sockets: resolves the host itself and refuses the connection
 * when ANY address is not allowed (so a name with one public and one private address cannot be
 * steered to the private one). It runs for every connection, i.e. at send time, after DNS: a
 * name that was public when the endpoint was added and points inward now is refused.
 */
export function guardedLookup(policy: AddressPolicy, resolver: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw new DeliveryRefusedError(`${hostname} has no address`);
        for (const a of addresses) {
          const problem = addressProblem(a.address, policy);
          if (problem) throw new DeliveryRefusedError(`${hostname} resolves to ${problem}`);
        }
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (options.all) callback(null, wanted);
        else if (wanted[0]) callback(null, wanted[0].address, wanted[0].family);
        else throw new DeliveryRefusedError(`${hostname} has no IPv${options.family} address`);
      })
      .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), ''));
  };
}

/**
 * Checks what can be checked before connecting: the scheme (https only unless local mode) and an
 * IP-literal host (sockets skip `lookup` for literals, so the guard above never sees them).
 */
export function urlProblem(url: URL, policy: AddressPolicy & { httpsOnly: boolean }): string | undefined {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.httpsOnly)) return `${url.protocol} URLs are not allowed; use https`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? addressProblem(host, policy) : undefined;
}
