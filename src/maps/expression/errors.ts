/** An expression that cannot be compiled: bad syntax, or a construct outside the supported subset. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based column of the offending token, when known. */
    readonly column?: number,
  ) {
    super(column === undefined ? message : `${message} (at column ${column})`);
    this.name = 'ExpressionSyntaxError';
  }
}

/**
 * A Python exception raised while evaluating. The message starts with the Python exception class
 * (`TypeError: ...`) so that users who know the Meltano SDK recognise it.
 */
export class ExpressionEvalError extends Error {
  constructor(
    /** The Python exception class name: TypeError, KeyError, ZeroDivisionError, ... */
    readonly pyClass: string,
    readonly detail: string,
  ) {
    super(detail === '' ? pyClass : `${pyClass}: ${detail}`);
    this.name = 'ExpressionEvalError';
  }
}

export function typeError(detail: string): ExpressionEvalError {
  return new ExpressionEvalError('TypeError', detail);
}

export function valueError(detail: string): ExpressionEvalError {
  return new ExpressionEvalError('ValueError', detail);
}

/** Something Python can do but this implementation does not: said plainly, never a wrong answer. */
export function unsupported(what: string): ExpressionEvalError {
  return new ExpressionEvalError(
    'NotImplementedError',
    `${what} is not supported in stream map expressions`,
  );
}
