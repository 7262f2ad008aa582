import { RuntimeError } from '../errors';

const EXCERPT_CHARS = 32;

/**
 * A value whose text does not parse as its column's type. PostgreSQL printed it, so this means
 * the session settings were not the pinned ones or the type was resolved wrongly: a bug, reported
 * with the type and a short excerpt (values can be large, and can be personal data).
 */
export class ValueConversionError extends RuntimeError {
  readonly excerpt: string;

  constructor(
    readonly sqlType: string,
    text: string,
    expected: string,
  ) {
    const excerpt = excerptOf(text);
    super(`a value of type ${sqlType} does not parse: ${excerpt} (expected ${expected})`);
    this.excerpt = excerpt;
  }
}

function excerptOf(text: string): string {
  if (text.length <= EXCERPT_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, EXCERPT_CHARS))}… (${text.length} chars)`;
}
