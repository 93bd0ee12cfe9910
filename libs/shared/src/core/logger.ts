import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/** The slice of a logger the services use; pino satisfies it, and so does a test spy. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Service name, on every line. */
  service: string;
  /** @default 'info' */
  level?: string;
  /** @default stdout */
  destination?: DestinationStream;
}

// Fields that may carry credentials are censored wherever they appear in a log object.
const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'leaseToken',
  '*.leaseToken',
];

/** A JSON (pino) logger. Lines about a run carry runId and tenantId: use `runLogger`. */
export function createLogger(options: LoggerOptions): PinoLogger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A child logger bound to one run. */
export function runLogger(logger: Logger, run: { tenantId: string; runId: string }): Logger {
  return logger.child({ tenantId: run.tenantId, runId: run.runId });
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
