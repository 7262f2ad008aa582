import { redact } from './redact';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** A sink for stderr; tests pass their own to capture what a user would see. */
export type LineSink = (line: string) => void;

/**
 * Logs go to stderr, one line each, in the Singer convention `LEVEL message` that singer-python and
 * the Meltano SDK print, so Meltano's log parsing keeps working. Every line is redacted.
 */
export function createLogger(sink: LineSink, level: LogLevel = 'info'): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const at = (l: LogLevel) => (msg: string) => {
    if (LOG_LEVELS.indexOf(l) >= min) sink(`${l.toUpperCase()} ${redact(msg)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
