import { SpanKind } from '@opentelemetry/api';
import type { MiddlewareStack } from '@smithy/types';
import { withSpan } from './tracing.js';

/**
 * One client span per AWS command (`DynamoDB.UpdateItem`, `SQS.SendMessage`, …), retries
 * included, named the way the OpenTelemetry AWS SDK conventions name them. A middleware rather
 * than @opentelemetry/instrumentation-aws-sdk: that one patches modules through require hooks,
 * which do not see our ESM imports; this sees every client createAwsClients builds.
 */
export function traceAwsClient<I extends object, O extends object>(client: { middlewareStack: MiddlewareStack<I, O> }): void {
  client.middlewareStack.add(
    (next, ctx) => (args) => {
      const service = (ctx.clientName ?? 'AWS').replace(/Client$/, '');
      const method = (ctx.commandName ?? 'Command').replace(/Command$/, '');
      const attributes = { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': method };
      return withSpan(`${service}.${method}`, { kind: SpanKind.CLIENT, attributes }, () => next(args));
    },
    { step: 'initialize', name: 'outpostTracing', override: true },
  );
}
