import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { systemClock, type Clock } from '@outpost/shared';

/** The access key pair only the stack's services hold. */
export interface StackCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request as an HTTP server received it: the raw path and query, headers as Node lowercases them. */
export interface IncomingSignedRequest {
  method: string;
  /** Path and query exactly as on the wire (`req.url`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Why a request was refused, in the terms the AWS error codes distinguish. */
export type RefusalReason =
  | 'missing' // no Authorization header and no X-Amz-Signature
  | 'malformed' // a signature that cannot be parsed or lacks a required part
  | 'unknown_key' // an access key id (or session token) the stack never issued
  | 'wrong_scope' // signed for another region or service
  | 'skewed' // header-signed more than 15 minutes from now (a replay, or a bad clock)
  | 'expired' // presigned, and past X-Amz-Date + X-Amz-Expires
  | 'not_yet_valid' // presigned, dated more than 15 minutes ahead
  | 'body_mismatch' // the body is not the one x-amz-content-sha256 names
  | 'bad_signature'; // the signature does not verify with the stack's secret

export type Verdict = { ok: true; service: string } | Refusal;
export interface Refusal {
  ok: false;
  reason: RefusalReason;
  message: string;
  /** The parsed pieces a refusal names (S3 echoes some of them). */
  detail?: { accessKeyId?: string; amzDate?: string; expires?: number };
}

/** What precheck() extracted: enough to re-sign once the body is there. */
export interface ParsedAuth {
  ok: true;
  kind: 'header' | 'query';
  accessKeyId: string;
  service: string;
  region: string;
  date: Date;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  expiresIn?: number;
}

/** How far a header-signed request's date may be from now, as AWS allows. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest presigned URL S3 accepts (seven days). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** x-amz-content-sha256 values the SDK sends that carry no body hash to check here. */
const UNHASHED_PAYLOADS = new Set(['UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER']);

const refuse = (reason: RefusalReason, message: string, detail?: Refusal['detail']): Refusal => ({ ok: false, reason, message, ...(detail ? { detail } : {}) });

/**
 * Checks AWS Signature V4 (Authorization header or presigned query string) against the stack's
 * one key pair, the way AWS does: the verdict is reached by re-signing the received request with
 * @smithy/signature-v4 (the SDK's own signer) and comparing signatures in constant time, so no
 * canonicalisation is written here. Stateless: a replay within the 15-minute window passes, as
 * on AWS.
 */
export class SigV4Verifier {
  private readonly clock: Clock;
  private readonly signers = new Map<string, SignatureV4>();

  constructor(
    private readonly o: {
      credentials: StackCredentials;
      /** The one region the stack signs for. */
      region: string;
      /** Signing names this endpoint serves (e.g. `dynamodb`; `sqs`, `s3`). */
      services: readonly string[];
      /** @default systemClock */
      clock?: Clock;
    },
  ) {
    this.clock = o.clock ?? systemClock;
  }

  /** Everything that can be checked before the body is read (a stranger's body is never buffered). */
  precheck(req: Omit<IncomingSignedRequest, 'body'>): ParsedAuth | Refusal {
    const query = parseQuery(req.url);
    const authHeader = header(req.headers, 'authorization');
    const inQuery = query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm');
    if (authHeader !== undefined && inQuery) return refuse('malformed', "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
    if (authHeader === undefined && !inQuery) return refuse('missing', 'Request is missing Authentication Token');
    let parts: { algorithm?: string; credential?: string; signedHeaders?: string; signature?: string; amzDate?: string; expires?: string; token?: string };
    if (authHeader !== undefined) {
      const m = /^(\S+)\s+(.*)$/.exec(authHeader.trim());
      const fields = new Map<string, string>();
      for (const kv of (m?.[2] ?? '').split(',')) {
        const i = kv.indexOf('=');
        if (i > 0) fields.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
      }
      parts = {
        algorithm: m?.[1],
        credential: fields.get('Credential'),
        signedHeaders: fields.get('SignedHeaders'),
        signature: fields.get('Signature'),
        amzDate: header(req.headers, 'x-amz-date'),
        token: header(req.headers, 'x-amz-security-token'),
      };
    } else {
      const one = (k: string) => {
        const v = query.get(k);
        return v === undefined ? undefined : v.length === 1 ? v[0] : '';
      };
      parts = {
        algorithm: one('X-Amz-Algorithm'),
        credential: one('X-Amz-Credential'),
        signedHeaders: one('X-Amz-SignedHeaders'),
        signature: one('X-Amz-Signature'),
        amzDate: one('X-Amz-Date'),
        expires: one('X-Amz-Expires'),
        token: one('X-Amz-Security-Token'),
      };
    }
    const kind = authHeader !== undefined ? 'header' : 'query';
    if (parts.algorithm !== ALGORITHM) return refuse('malformed', `Unsupported AWS 'algorithm': '${parts.algorithm ?? ''}' (only ${ALGORITHM} for now).`);
    const missing = (['credential', 'signedHeaders', 'signature', 'amzDate'] as const).filter((k) => !parts[k]);
    if (kind === 'query' && parts.expires === undefined) missing.push('expires' as never);
    if (missing.length > 0) return refuse('malformed', `the signature lacks ${missing.join(', ')}`);
    const scope = parts.credential!.split('/');
    if (scope.length !== 5 || scope[4] !== 'aws4_request') {
      return refuse('malformed', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parts.credential}'`);
    }
    const [accessKeyId, day, region, service] = scope as [string, string, string, string];
    const amzDate = parts.amzDate!;
    const date = parseAmzDate(amzDate);
    if (!date) return refuse('malformed', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
    if (day !== amzDate.slice(0, 8)) return refuse('malformed', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}'`);
    if (!/^[0-9a-f]+$/.test(parts.signature!)) return refuse('malformed', 'the signature is not hexadecimal');
    const signedHeaders = parts.signedHeaders!.split(';');
    if (!signedHeaders.includes('host')) return refuse('malformed', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    for (const name of signedHeaders) {
      if (name !== name.toLowerCase() || header(req.headers, name) === undefined) return refuse('malformed', `the signed header '${name}' is not in the request`);
    }

    const now = this.clock.now().getTime();
    let expiresIn: number | undefined;
    if (kind === 'header') {
      if (Math.abs(now - date.getTime()) > MAX_SKEW_MS) {
        const earlier = date.getTime() < now;
        const bound = earlier ? now - MAX_SKEW_MS : now + MAX_SKEW_MS;
        return refuse(
          'skewed',
          `Signature expired: ${amzDate} is now ${earlier ? 'earlier' : 'later'} than ${formatAmzDate(bound)} (${formatAmzDate(now)} ${earlier ? '-' : '+'} 15 min.)`,
          { amzDate },
        );
      }
    } else {
      expiresIn = Number(parts.expires);
      if (!/^\d+$/.test(parts.expires!) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
        return refuse('malformed', `X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGN_SECONDS}; got '${parts.expires}'`);
      }
      if (date.getTime() - now > MAX_SKEW_MS) return refuse('not_yet_valid', 'Request is not valid yet', { amzDate, expires: expiresIn });
      if (now > date.getTime() + expiresIn * 1000) return refuse('expired', 'Request has expired', { amzDate, expires: expiresIn });
    }
    if (parts.token !== undefined || !sameText(accessKeyId, this.o.credentials.accessKeyId)) {
      return refuse('unknown_key', 'The security token included in the request is invalid.', { accessKeyId });
    }
    if (region !== this.o.region) return refuse('wrong_scope', `Credential should be scoped to a valid region, not '${region}' (this stack signs for '${this.o.region}').`);
    if (!this.o.services.includes(service)) return refuse('wrong_scope', `Credential should be scoped to correct service: '${this.o.services.join("' or '")}', not '${service}'.`);
    return { ok: true, kind, accessKeyId, service, region, date, amzDate, signedHeaders, signature: parts.signature!, ...(expiresIn ? { expiresIn } : {}) };
  }

  /** The verdict on a whole request (precheck first, then the signature over the body). */
  async verify(req: IncomingSignedRequest, parsed?: ParsedAuth): Promise<Verdict> {
    const auth = parsed ?? this.precheck(req);
    if (!auth.ok) return auth;
    const [path = '/'] = splitUrl(req.url);
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of parseQuery(req.url)) if (k !== 'X-Amz-Signature') query[k] = v.length === 1 ? v[0]! : v;
    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) headers[name] = header(req.headers, name)!;

    const declared = header(req.headers, 'x-amz-content-sha256');
    if (declared !== undefined && auth.signedHeaders.includes('x-amz-content-sha256') && !UNHASHED_PAYLOADS.has(declared)) {
      if (!HEX64.test(declared)) return refuse('malformed', `x-amz-content-sha256 '${declared}' is not supported by the local stack`);
      if (createHash('sha256').update(req.body).digest('hex') !== declared) {
        return refuse('body_mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
      }
    }
    const request = new HttpRequest({ method: req.method, protocol: 'http:', hostname: headers.host!, path, query, headers, body: req.body });
    const signer = this.signer(auth.service);
    const common = { signingDate: auth.date, signingRegion: auth.region, signingService: auth.service, signableHeaders: new Set(auth.signedHeaders) };
    let expected: string | undefined;
    if (auth.kind === 'header') {
      const signed = await signer.sign(request, common);
      expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
    } else {
      // S3 signs presigned requests over UNSIGNED-PAYLOAD; the hash travels as a header the signer
      // reads but neither signs (unsignable) nor hoists into the query.
      const payload = (query['X-Amz-Content-Sha256'] as string | undefined) ?? (auth.service === 's3' ? 'UNSIGNED-PAYLOAD' : undefined);
      const extra: Record<string, string> = payload !== undefined && !headers['x-amz-content-sha256'] ? { 'x-amz-content-sha256': payload } : {};
      const presignable = new HttpRequest({ ...request, headers: { ...headers, ...extra } });
      const signed = await signer.presign(presignable, {
        ...common,
        expiresIn: auth.expiresIn!,
        unsignableHeaders: new Set(Object.keys(extra)),
        unhoistableHeaders: new Set(Object.keys(presignable.headers)),
      });
      expected = signed.query?.['X-Amz-Signature'] as string | undefined;
    }
    if (!expected || !sameText(expected, auth.signature)) {
      return refuse(
        'bad_signature',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        { accessKeyId: auth.accessKeyId },
      );
    }
    return { ok: true, service: auth.service };
  }

  /** One signer per service; the signer caches derived signing keys per day. */
  private signer(service: string): SignatureV4 {
    let s = this.signers.get(service);
    if (!s) {
      s = new SignatureV4({
        credentials: this.o.credentials,
        region: this.o.region,
        service,
        sha256: Sha256,
        // S3 signs the path as sent; every other service double-encodes it.
        uriEscapePath: service !== 's3',
        applyChecksum: false,
      });
      this.signers.set(service, s);
    }
    return s;
  }
}

/** Constant-time comparison of two strings (different lengths are simply unequal). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function splitUrl(url: string): [string, string | undefined] {
  const i = url.indexOf('?');
  return i < 0 ? [url, undefined] : [url.slice(0, i), url.slice(i + 1)];
}

/** The query as sent, decoded once (the signer encodes it again); a bare key is an empty value. */
function parseQuery(url: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = splitUrl(url)[1];
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = safeDecode(i < 0 ? part : part.slice(0, i));
    const v = safeDecode(i < 0 ? '' : part.slice(i + 1));
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // Not decodable: keep it as is, so the signature simply fails to verify.
    return s;
  }
}

function parseAmzDate(s: string): Date | undefined {
  const m = AMZ_DATE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
