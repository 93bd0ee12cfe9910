import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Context } from '@opentelemetry/api';
import { contextOfTraceparent, traceparentOf } from './tracing.js';

/** The message attribute a job's trace context travels in (W3C trace context). */
export const TRACEPARENT_ATTRIBUTE = 'traceparent';

/** Message attributes carrying `traceparent` (default: the active span's); none when nothing is traced. */
export function traceAttributes(traceparent: string | undefined = traceparentOf()): Record<string, MessageAttributeValue> | undefined {
  return traceparent ? { [TRACEPARENT_ATTRIBUTE]: { DataType: 'String', StringValue: traceparent } } : undefined;
}

/**
 * The trace a received job continues: its message's traceparent, else the one stored on its run
 * (a message re-sent by a process that was not tracing it), else a new trace.
 */
export function jobContext(message: Pick<Message, 'MessageAttributes'>, storedTraceparent?: string): Context {
  const sent = message.MessageAttributes?.[TRACEPARENT_ATTRIBUTE]?.StringValue;
  return contextOfTraceparent(sent ?? storedTraceparent);
}
