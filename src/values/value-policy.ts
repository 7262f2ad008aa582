/**
 * What to emit for a date, timestamp or timestamptz that RFC 3339 cannot carry: `infinity`,
 * `-infinity`, BC dates (`0044-03-15 BC`) and years after 9999 (`12021-01-01`).
 *
 * - `null`: emit null. Nothing is invented and every record still matches its SCHEMA
 *   (`format: date` / `date-time`), so strict consumers accept the stream.
 * - `string`: emit PostgreSQL's text unchanged (`"infinity"`, `"2000-01-01 00:00:00 BC"`).
 *   Nothing is lost and a PostgreSQL target can store it (PostgreSQL reads those texts back as
 *   timestamps), but the value breaks the column's `format`, so validating consumers
 *   (singer-check-tap, targets with record validation on) reject the record.
 * - `clamp`: emit the nearest representable instant: `9999-12-31T23:59:59+00:00` /
 *   `0001-01-01T00:00:00+00:00` (dates `9999-12-31` / `0001-01-01`). The upper bound has no
 *   fraction on purpose: `…23:59:59.999999` rounds up to year 10000 in any float-seconds parser
 *   (Python's `timestamp()` gives 253402300800.0), and singer-check-tap rejects it. Clamped values look real,
 *   which is why this is never the default.
 */
export const TEMPORAL_OUT_OF_RANGE_POLICIES = ['null', 'string', 'clamp'] as const;
export type TemporalOutOfRangePolicy = (typeof TEMPORAL_OUT_OF_RANGE_POLICIES)[number];

export function isTemporalOutOfRangePolicy(v: unknown): v is TemporalOutOfRangePolicy {
  return (TEMPORAL_OUT_OF_RANGE_POLICIES as readonly unknown[]).includes(v);
}

/** Choices value conversion leaves to the user; everything else is fixed by the type mapping (docs/reference.md). */
export interface ValuePolicy {
  readonly temporalOutOfRange: TemporalOutOfRangePolicy;
  /**
   * `composite_as_object`: a composite value (a column of a `CREATE TYPE … AS (…)` type or of a
   * table's row type, also inside arrays, domains and other composites) is sent as a JSON object
   * of its attributes, each converted as a column of its type, and described with `properties`
   * (so schema flattening can expand it). Off, it is its row literal as a string, `("Main St",1)`.
   */
  readonly compositeAsObject: boolean;
}

/**
 * `null` by default. The tap's rule is "nothing lost, nothing invented" and no policy keeps both
 * halves here, so the choice is which failure is recoverable:
 * - `clamp` invents data that looks genuine and joins, filters and sorts as genuine.
 * - `string` keeps the text but emits records that contradict the SCHEMA the tap itself sent;
 *   one `infinity` then fails the whole load in any validating consumer.
 * - `null` loses only what JSON Schema's date-time cannot say, keeps the stream valid, and is not
 *   silent: converters report every such value (see `converterFor`'s `onUnrepresentable`) so the
 *   sync can log a per-column count naming this setting. Users whose target keeps the text (a
 *   PostgreSQL target parses `infinity` and BC back) can choose `string`.
 * Numeric and float NaN / ±Infinity are always null: JSON has no spelling for them.
 * None of this applies to key properties, which are never null (`ResolvedType.keyColumn`).
 */
export const DEFAULT_VALUE_POLICY: ValuePolicy = Object.freeze({
  temporalOutOfRange: 'null',
  compositeAsObject: false,
});
