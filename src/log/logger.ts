import { redact } from './redact';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Structured fields of a line; only the JSON format prints them (the text format has the message). */
export type LogExtra = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, extra?: LogExtra): void;
  info(msg: string, extra?: LogExtra): void;
  warn(msg: string, extra?: LogExtra): void;
  error(msg: string, extra?: LogExtra): void;
}

/** A sink for stderr; tests pass their own to capture what a user would see. */
export type LineSink = (line: string) => void;

/** One line in the chosen format: `LEVEL message`, or a JSON object (level, message, time, extra). */
export function formatLogLine(
  format: LogFormat,
  level: LogLevel | 'critical',
  msg: string,
  extra?: LogExtra,
): string {
  if (format === 'text') return `${level.toUpperCase()} ${redact(msg)}`;
  return redact(
    JSON.stringify({ level, message: msg, time: new Date().toISOString(), ...(extra ?? {}) }),
  );
}

/**
 * Logs go to stderr, one line each: by default in the Singer convention `LEVEL message` that
 * singer-python and the Meltano SDK print, so Meltano's log parsing keeps working; `json` prints
 * one object per line for log collectors. Every line is redacted.
 */
export function createLogger(
  sink: LineSink,
  level: LogLevel = 'info',
  format: LogFormat = 'text',
): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const at = (l: LogLevel) => (msg: string, extra?: LogExtra) => {
    if (LOG_LEVELS.indexOf(l) >= min) sink(formatLogLine(format, l, msg, extra));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
