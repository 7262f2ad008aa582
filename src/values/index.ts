/**
 * Value conversion: PostgreSQL's text output → JSON fragments, one table for every replication
 * method.
 */
export type { TextConverter, UnrepresentableListener } from './conversion-context';
export { CompositeFieldsError } from './composite-literal';
export { converterFor, recordBodyConverter, type ColumnToConvert } from './converter';
export { JSON_NULL, jsonString, type JsonFragment } from './json-fragment';
export { minifyJson } from './json-text';
export { ValueConversionError } from './value-conversion-error';
export { arrayDelimiterOf, valueKindOf, VALUE_KINDS, type ValueKind } from './value-kind';
export {
  DEFAULT_VALUE_POLICY,
  isTemporalOutOfRangePolicy,
  TEMPORAL_OUT_OF_RANGE_POLICIES,
  type TemporalOutOfRangePolicy,
  type ValuePolicy,
} from './value-policy';
export { pgEpochMicrosToRfc3339 } from './pg-epoch';
