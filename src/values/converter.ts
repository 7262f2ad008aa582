import { objectAttributes, type ResolvedType } from '../types/resolved-type';
import { arrayConverter } from './array-literal';
import { compositeConverter } from './composite-literal';
import type {
  ConversionContext,
  TextConverter,
  UnrepresentableListener,
} from './conversion-context';
import { hstoreConverter } from './hstore';
import { jsonString, type JsonFragment } from './json-fragment';
import { jsonConverter } from './json-text';
import {
  booleanConverter,
  byteaConverter,
  decimalConverter,
  integerConverter,
  stringConverter,
} from './scalars';
import {
  dateConverter,
  intervalConverter,
  timeConverter,
  timestampConverter,
  timestamptzConverter,
  timetzConverter,
} from './temporal';
import { arrayDelimiterOf, valueKindOf, type ValueKind } from './value-kind';
import { DEFAULT_VALUE_POLICY, type ValuePolicy } from './value-policy';

const SCALAR_CONVERTERS: Readonly<Record<ValueKind, (ctx: ConversionContext) => TextConverter>> = {
  integer: integerConverter,
  numeric: decimalConverter,
  float: decimalConverter,
  boolean: booleanConverter,
  json: jsonConverter,
  hstore: hstoreConverter,
  bytea: byteaConverter,
  date: dateConverter,
  timestamp: timestampConverter,
  timestamptz: timestamptzConverter,
  time: timeConverter,
  timetz: timetzConverter,
  interval: intervalConverter,
  string: stringConverter,
};

/**
 * The converter for one column: PostgreSQL's text output of a value (or null for SQL NULL) in,
 * a JSON fragment out. Build it once per column and call it per value; FULL_TABLE query results
 * and LOG_BASED pgoutput / wal2json tuples go through the same function, so both methods emit
 * identical values. The text must come from a session with the pinned settings
 * (`src/db/session-settings.ts`).
 *
 * `onUnrepresentable` hears about every non-null value emitted as anything other than itself
 * because JSON cannot carry it: numeric / float NaN and ±Infinity, and dates or timestamps out of
 * RFC 3339's range (whatever `policy.temporalOutOfRange` then emits). It runs only on that rare
 * path; the sync uses it to count and warn per column. A key column (`type.keyColumn`) sends
 * those values as PostgreSQL's text instead (`"NaN"`, `"infinity"`, `"0044-03-15 BC"`), and
 * reports nothing.
 *
 * Throws `ValueConversionError` for a text that is not the declared type's output.
 *
 * @example
 * const convert = converterFor(type, DEFAULT_VALUE_POLICY);
 * convert('12345678901234567890.123456789') // '12345678901234567890.123456789' (numeric)
 * convert('2024-01-02 03:04:05.123456+00')  // '"2024-01-02T03:04:05.123456+00:00"' (timestamptz)
 * convert('{{1,2},{3,NULL}}')               // '[[1,2],[3,null]]' (int4[])
 * // a composite (street text, zip int4) with policy.compositeAsObject:
 * convert('("1 Main St",)')                  // '{"street":"1 Main St","zip":null}'
 */
export function converterFor(
  type: ResolvedType,
  policy: ValuePolicy = DEFAULT_VALUE_POLICY,
  onUnrepresentable?: UnrepresentableListener,
): TextConverter {
  const key = type.keyColumn === true && type.arrayDims === 0;
  const ctx: ConversionContext = {
    sqlType: type.sqlType,
    policy,
    // A key's text is sent as it is: nothing is lost, so there is nothing to report.
    onUnrepresentable: key ? undefined : onUnrepresentable,
    key,
  };
  const attributes = objectAttributes(type.base, policy.compositeAsObject);
  const scalar = attributes
    ? compositeConverter(
        attributes.map((a) => ({
          name: a.name,
          convert: converterFor(a.type, policy, onUnrepresentable),
        })),
        ctx,
      )
    : SCALAR_CONVERTERS[valueKindOf(type.base)](ctx);
  if (type.arrayDims === 0) return scalar;
  return arrayConverter(scalar, arrayDelimiterOf(type.base), ctx);
}

export interface ColumnToConvert {
  readonly name: string;
  readonly type: ResolvedType;
}

/**
 * The body of a RECORD (`"a":1,"b":"x"`, what `StreamOutput.record` splices between braces) from
 * one row's texts in column order. Keys are escaped once here, not per row.
 */
export function recordBodyConverter(
  columns: readonly ColumnToConvert[],
  policy: ValuePolicy = DEFAULT_VALUE_POLICY,
  onUnrepresentable?: (column: string, text: string) => void,
): (texts: readonly (string | null)[]) => JsonFragment {
  const keys = columns.map((c, i) => `${i === 0 ? '' : ','}${jsonString(c.name)}:`);
  const converters = columns.map((c) =>
    converterFor(
      c.type,
      policy,
      onUnrepresentable && ((text: string) => onUnrepresentable(c.name, text)),
    ),
  );
  const n = columns.length;
  return (texts) => {
    if (texts.length !== n) {
      throw new RangeError(`a row of ${texts.length} values for ${n} columns`);
    }
    let body = '';
    for (let i = 0; i < n; i++) body += keys[i]! + converters[i]!(texts[i]!);
    return body;
  };
}
