/**
 * Every failure the tap reports is one of these. The class says whose fault it is and therefore
 * the exit code: 2 for bad usage or invalid input, detected before anything is
 * emitted; 1 for a failure while running. Only `bin/` turns them into `process.exit`.
 */
export abstract class TapError extends Error {
  abstract readonly exitCode: 1 | 2;
}

/** Bad flags or flag combinations. */
export class UsageError extends TapError {
  readonly exitCode = 2 as const;
}

/** A config, catalog or state document that cannot be used. */
export class InputError extends TapError {
  readonly exitCode = 2 as const;
}

/** Something failed while running: connection, SQL, replication. */
export class RuntimeError extends TapError {
  readonly exitCode = 1 as const;
  constructor(
    message: string,
    /** SQLSTATE when the server reported one. */
    readonly sqlState?: string,
  ) {
    super(message);
  }
}

/** A flag or mode that a later release implements. */
export class NotImplementedError extends TapError {
  readonly exitCode = 2 as const;
}

export function isTapError(e: unknown): e is TapError {
  return e instanceof TapError;
}
