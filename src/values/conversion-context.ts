import type { JsonFragment } from './json-fragment';
import { ValueConversionError } from './value-conversion-error';
import type { ValuePolicy } from './value-policy';

/** One column's converter: PostgreSQL's text output (or SQL NULL) in, JSON text out. */
export type TextConverter = (text: string | null) => JsonFragment;

/** Told about every non-null value that JSON cannot carry faithfully (see `converterFor`). */
export type UnrepresentableListener = (text: string) => void;

/** What the converters of one column share; built once per column, never per value. */
export interface ConversionContext {
  /** The column's declared type (`sql-datatype`), for error messages. */
  readonly sqlType: string;
  readonly policy: ValuePolicy;
  readonly onUnrepresentable: UnrepresentableListener | undefined;
  /** A key property (`ResolvedType.keyColumn`): unrepresentable values keep PostgreSQL's text. */
  readonly key: boolean;
}

export function conversionError(
  ctx: ConversionContext,
  text: string,
  expected: string,
): ValueConversionError {
  return new ValueConversionError(ctx.sqlType, text, expected);
}
