import { suppressTracing } from '@opentelemetry/core';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';

/** The one tracer every service's spans come from. */
export function tracer() {
  return trace.getTracer('outpost');
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The W3C traceparent of `ctx` (default: the active one), or undefined when nothing is traced. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const value = carrier.traceparent;
  return value && TRACEPARENT.test(value) ? value : undefined;
}

/** The context a traceparent names (a remote parent), or the root context for anything malformed. */
export function contextOfTraceparent(traceparent: string | undefined): Context {
  if (!traceparent || !TRACEPARENT.test(traceparent)) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** Runs `fn` in the trace an incoming request's headers name (W3C `traceparent`), or in a new one. */
export function withIncomingTrace<T>(headers: Record<string, string | string[] | undefined>, fn: () => T): T {
  return context.with(propagation.extract(ROOT_CONTEXT, headers), fn);
}

/**
 * Runs `fn` (and whatever timers it starts) with tracing suppressed: for the periodic writes a run
 * makes (lease renewals every 2 s, log chunks and progress every second), which would bury a long
 * run's trace under thousands of identical spans. Their metrics and logs still record them.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}

/** Run attributes on spans, named like the log fields. */
export function runAttributes(run: { tenantId: string; runId: string; tier?: string; agent?: string; attempt?: number }): Attributes {
  return {
    'outpost.tenant_id': run.tenantId,
    'outpost.run_id': run.runId,
    ...(run.tier ? { 'outpost.tier': run.tier } : {}),
    ...(run.agent ? { 'outpost.agent': run.agent } : {}),
    ...(run.attempt !== undefined ? { 'outpost.attempt': run.attempt } : {}),
  };
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
  /** Parent context (default: the active one). */
  parent?: Context;
  /** Spans this one relates to without being their child (e.g. the call that asked for it). */
  links?: Link[];
}

/** A link to the active span, for a span parented elsewhere. */
export function linkToActive(): Link[] {
  const active = trace.getSpanContext(context.active());
  return active ? [{ context: active }] : [];
}

/**
 * Runs `fn` inside a new active span; a throw marks the span as an error and is rethrown. The
 * span ends when `fn` settles.
 */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL, links: options.links }, options.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      // The error's type only: messages can quote a tenant's output, and spans leave the account.
      const type = errorType(err);
      span.setAttribute('error.type', type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** An error's code (OutpostError, AWS SDK) or its class name, never its message. */
export function errorType(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[\w.-]{1,64}$/.test(code)) return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && /^[\w.-]{1,64}$/.test(name)) return name;
  }
  return 'error';
}

export { SpanKind, SpanStatusCode, type Span, type Context };
