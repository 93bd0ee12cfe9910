import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { assertNever, BodyTooLargeError } from '@outpost/shared';
import type { buildApp } from 'fauxqs';
import type { Refusal, SigV4Verifier } from './sigv4-verifier.js';

/** A refusal as one AWS protocol answers it: status, headers, body. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const requestId = () => randomBytes(16).toString('hex').toUpperCase();

/** DynamoDB (JSON 1.0): every signature problem is a 400 with a coral `__type`, as on AWS. */
export function dynamoRefusal(r: Refusal): Answer {
  const type = {
    missing: 'MissingAuthenticationTokenException',
    malformed: 'IncompleteSignatureException',
    unknown_key: 'UnrecognizedClientException',
    wrong_scope: 'InvalidSignatureException',
    skewed: 'InvalidSignatureException',
    expired: 'InvalidSignatureException',
    not_yet_valid: 'InvalidSignatureException',
    body_mismatch: 'InvalidSignatureException',
    bad_signature: 'InvalidSignatureException',
  }[r.reason];
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId() },
    body: JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message: r.message }),
  };
}

/** SQS (JSON 1.0 with the query-compatible error header, or the XML of the query protocol). */
export function sqsRefusal(r: Refusal, protocol: 'json' | 'query'): Answer {
  const code = {
    missing: 'MissingAuthenticationToken',
    malformed: 'IncompleteSignature',
    unknown_key: 'InvalidClientTokenId',
    wrong_scope: 'SignatureDoesNotMatch',
    skewed: 'SignatureDoesNotMatch',
    expired: 'RequestExpired',
    not_yet_valid: 'SignatureDoesNotMatch',
    body_mismatch: 'SignatureDoesNotMatch',
    bad_signature: 'SignatureDoesNotMatch',
  }[r.reason];
  const status = r.reason === 'malformed' ? 400 : 403;
  const id = requestId();
  if (protocol === 'json') {
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': id, 'x-amzn-query-error': `${code};Sender` },
      body: JSON.stringify({ __type: `com.amazon.coral.service#${code}`, message: r.message }),
    };
  }
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': id },
    body: `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(r.message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  };
}

/** S3 (REST XML): 403 with the codes S3 uses; a HEAD gets the status alone. */
export function s3Refusal(r: Refusal, now: Date): Answer {
  let code: string;
  let message = r.message;
  const extra: string[] = [];
  let status = 403;
  switch (r.reason) {
    case 'missing':
      code = 'AccessDenied';
      message = 'Access Denied';
      break;
    case 'malformed':
      code = 'AuthorizationHeaderMalformed';
      status = 400;
      break;
    case 'unknown_key':
      code = 'InvalidAccessKeyId';
      message = 'The AWS Access Key Id you provided does not exist in our records.';
      if (r.detail?.accessKeyId) extra.push(`<AWSAccessKeyId>${xml(r.detail.accessKeyId)}</AWSAccessKeyId>`);
      break;
    case 'skewed':
      code = 'RequestTimeTooSkewed';
      message = 'The difference between the request time and the current time is too large.';
      if (r.detail?.amzDate) extra.push(`<RequestTime>${r.detail.amzDate}</RequestTime>`, `<ServerTime>${now.toISOString()}</ServerTime>`, '<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>');
      break;
    case 'expired':
    case 'not_yet_valid':
      code = 'AccessDenied';
      if (r.detail?.expires !== undefined) extra.push(`<X-Amz-Expires>${r.detail.expires}</X-Amz-Expires>`, `<ServerTime>${now.toISOString()}</ServerTime>`);
      break;
    case 'body_mismatch':
      code = 'XAmzContentSHA256Mismatch';
      status = 400;
      break;
    case 'wrong_scope':
    case 'bad_signature':
      code = 'SignatureDoesNotMatch';
      if (r.detail?.accessKeyId) extra.push(`<AWSAccessKeyId>${xml(r.detail.accessKeyId)}</AWSAccessKeyId>`);
      break;
    default:
      return assertNever(r.reason);
  }
  const id = requestId();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': id.slice(0, 16), 'x-amz-id-2': 'outpost-local' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message>${extra.join('')}<RequestId>${id.slice(0, 16)}</RequestId><HostId>outpost-local</HostId></Error>`,
  };
}

function xml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, a: Answer, method: string | undefined): void {
  res.writeHead(a.status, { ...a.headers, ...(method === 'HEAD' ? {} : { 'content-length': String(Buffer.byteLength(a.body)) }) });
  res.end(method === 'HEAD' ? undefined : a.body);
}

/** Too large to buffer before the signature is known: 413, as the emulators answer themselves. */

/** Reads a request body whole, up to `limit` bytes. */
function readBody(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        stream.removeAllListeners('data');
        stream.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(c);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks, size)));
    stream.once('error', reject);
  });
}

/** Bodies dynalite itself accepts (its MAX_REQUEST_BYTES). */
const DYNALITE_MAX_BODY = 16 * 1024 * 1024;

/**
 * Puts the signature check in front of dynalite's own request handler. dynalite reads the body
 * from the request stream, so the verified body is handed on in a stream that replays it.
 */
export function guardDynalite(server: Server, verifier: SigV4Verifier): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const head = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
      const pre = verifier.precheck(head);
      if (!pre.ok) {
        req.resume();
        return send(res, dynamoRefusal(pre), req.method);
      }
      const body = await readBody(req, DYNALITE_MAX_BODY);
      const verdict = await verifier.verify({ ...head, body }, pre);
      if (!verdict.ok) return send(res, dynamoRefusal(verdict), req.method);
      const replay = Object.assign(Readable.from(body.length ? [body] : []), { headers: req.headers, url: req.url, method: req.method, socket: req.socket });
      for (const h of handlers) h(replay as unknown as IncomingMessage, res);
    })().catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(err instanceof BodyTooLargeError ? 413 : 500).end();
    });
  });
}

/** fauxqs serves SQS (JSON 1.0, or the query protocol shared with SNS and STS) and S3 on one port. */
function fauxqsProtocol(req: IncomingMessage): { answer: (r: Refusal, now: Date) => Answer; services: readonly string[] } {
  const ct = req.headers['content-type'] ?? '';
  if (req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?'))) {
    if (ct.includes('application/x-amz-json-1.0')) return { answer: (r) => sqsRefusal(r, 'json'), services: ['sqs'] };
    if (ct.includes('application/x-www-form-urlencoded')) return { answer: (r) => sqsRefusal(r, 'query'), services: ['sqs', 'sns', 'sts'] };
  }
  return { answer: s3Refusal, services: ['s3'] };
}

/** fauxqs's own limit (its Fastify bodyLimit, 11 MiB), so nothing larger is buffered here. */
const FAUXQS_MAX_BODY = 11 * 1_048_576;

/**
 * Verifies every fauxqs request before Fastify parses it (its inspection routes `/health` and
 * `/_fauxqs/*` included: they list queues and their messages). The body is read here, checked,
 * and handed on as a fresh stream.
 */
export function guardFauxqs(app: ReturnType<typeof buildApp>, verifier: SigV4Verifier, now: () => Date): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const raw = request.raw;
    const head = { method: raw.method ?? 'GET', url: request.originalUrl, headers: raw.headers };
    const protocol = fauxqsProtocol(raw);
    const refuseWith = (r: Refusal) => {
      // Drain (never buffer) a refused body, so the client reads the answer instead of a reset.
      payload.resume();
      reply.hijack();
      send(reply.raw, protocol.answer(r, now()), raw.method);
      return payload;
    };
    const pre = verifier.precheck(head);
    if (!pre.ok) return refuseWith(pre);
    if (!protocol.services.includes(pre.service)) {
      return refuseWith({ ok: false, reason: 'wrong_scope', message: `Credential should be scoped to correct service: '${protocol.services.join("' or '")}'.` });
    }
    let body: Buffer;
    try {
      body = await readBody(payload, FAUXQS_MAX_BODY);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      reply.hijack();
      reply.raw.writeHead(413).end();
      return payload;
    }
    const verdict = await verifier.verify({ ...head, body }, pre);
    if (!verdict.ok) return refuseWith(verdict);
    return Readable.from(body.length ? [body] : []);
  });
}
