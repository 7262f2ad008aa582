import { conversionError, type ConversionContext, type TextConverter } from './conversion-context';
import { JSON_NULL, jsonString, type JsonFragment } from './json-fragment';

/*
 * Under DateStyle=ISO and TimeZone=UTC PostgreSQL prints, for years 1–9999:
 *   date         2024-01-02
 *   timestamp    2024-01-02 03:04:05[.f{1,6}]
 *   timestamptz  2024-01-02 03:04:05[.f{1,6}]+00
 *   time         03:04:05[.f{1,6}]          (24:00:00 is a valid time)
 *   timetz       03:04:05[.f{1,6}]+05:30[:SS]
 * and otherwise `infinity`, `-infinity`, `<4+ digit year>-… BC`, or a 5+ digit year. The fast
 * paths below check those fixed shapes by char position and slice; the fraction is copied as
 * text, so microseconds are exact and no float or Date is involved.
 */

const CH_SPACE = 0x20;
const CH_PLUS = 0x2b;
const CH_MINUS = 0x2d;
const CH_DOT = 0x2e;
const CH_COLON = 0x3a;

function isDigitAt(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

function twoDigitsAt(t: string, i: number): boolean {
  return isDigitAt(t, i) && isDigitAt(t, i + 1);
}

/** `YYYY-MM-DD` at the start of `t`, with a four-digit year. */
function startsWithIsoDate(t: string): boolean {
  return (
    twoDigitsAt(t, 0) &&
    twoDigitsAt(t, 2) &&
    t.charCodeAt(4) === CH_MINUS &&
    twoDigitsAt(t, 5) &&
    t.charCodeAt(7) === CH_MINUS &&
    twoDigitsAt(t, 8)
  );
}

/** Index after `HH:MM:SS[.f+]` starting at `p`, or -1. */
function timeEnd(t: string, p: number): number {
  if (
    !twoDigitsAt(t, p) ||
    t.charCodeAt(p + 2) !== CH_COLON ||
    !twoDigitsAt(t, p + 3) ||
    t.charCodeAt(p + 5) !== CH_COLON ||
    !twoDigitsAt(t, p + 6)
  ) {
    return -1;
  }
  let i = p + 8;
  if (t.charCodeAt(i) === CH_DOT) {
    i++;
    if (!isDigitAt(t, i)) return -1;
    while (isDigitAt(t, i)) i++;
  }
  return i;
}

function twoDigitValue(t: string, i: number): number {
  return (t.charCodeAt(i) - 0x30) * 10 + (t.charCodeAt(i + 1) - 0x30);
}

/** Index after `:NN` at `i`, or -1. */
function colonPairEnd(t: string, i: number): number {
  return t.charCodeAt(i) === CH_COLON && twoDigitsAt(t, i + 1) ? i + 3 : -1;
}

/** The signed seconds of a `±HH[:MM[:SS]]` offset filling `t` from `p` to the end, or NaN. */
function offsetSeconds(t: string, p: number): number {
  const sign = t.charCodeAt(p);
  if ((sign !== CH_PLUS && sign !== CH_MINUS) || !twoDigitsAt(t, p + 1)) return NaN;
  let seconds = twoDigitValue(t, p + 1) * 3600;
  let i = p + 3;
  if (i < t.length) {
    i = colonPairEnd(t, i);
    if (i < 0) return NaN;
    seconds += twoDigitValue(t, i - 2) * 60;
  }
  if (i < t.length) {
    i = colonPairEnd(t, i);
    if (i < 0) return NaN;
    seconds += twoDigitValue(t, i - 2);
  }
  if (i !== t.length) return NaN;
  return sign === CH_MINUS ? -seconds : seconds;
}

type Direction = 'high' | 'low';

const DATE_CLAMP: Readonly<Record<Direction, JsonFragment>> = {
  high: '"9999-12-31"',
  low: '"0001-01-01"',
};
// No fraction on the upper bound: `.999999` at 9999-12-31 rounds up to year 10000 in
// float-seconds parsers, and singer-check-tap rejects it (see value-policy.ts).
const TIMESTAMP_CLAMP: Readonly<Record<Direction, JsonFragment>> = {
  high: '"9999-12-31T23:59:59+00:00"',
  low: '"0001-01-01T00:00:00+00:00"',
};

/** The shapes PostgreSQL prints outside years 1–9999 (slow path only, so a regex is fine). */
const OUT_OF_RANGE_SHAPES = {
  date: /^(\d{4,})-\d\d-\d\d( BC)?$/,
  timestamp: /^(\d{4,})-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?( BC)?$/,
  timestamptz: /^(\d{4,})-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?[+-]\d\d(?::\d\d){0,2}( BC)?$/,
} as const;
type InstantKind = keyof typeof OUT_OF_RANGE_SHAPES;

function outOfRangeDirection(t: string, kind: InstantKind): Direction | undefined {
  if (t === 'infinity') return 'high';
  if (t === '-infinity') return 'low';
  const m = OUT_OF_RANGE_SHAPES[kind].exec(t);
  if (!m) return undefined;
  if (m[2] !== undefined) return 'low';
  return m[1]!.length > 4 ? 'high' : undefined;
}

function applyPolicy(
  ctx: ConversionContext,
  t: string,
  direction: Direction,
  clamp: Readonly<Record<Direction, JsonFragment>>,
): JsonFragment {
  // A key never clamps or nulls: two keys would become one value.
  if (ctx.key) return jsonString(t);
  ctx.onUnrepresentable?.(t);
  switch (ctx.policy.temporalOutOfRange) {
    case 'null':
      return JSON_NULL;
    case 'string':
      return jsonString(t);
    case 'clamp':
      return clamp[direction];
  }
}

function outOfRange(
  ctx: ConversionContext,
  t: string,
  kind: InstantKind,
  expected: string,
): JsonFragment {
  const direction = outOfRangeDirection(t, kind);
  if (direction === undefined) throw conversionError(ctx, t, expected);
  return applyPolicy(ctx, t, direction, kind === 'date' ? DATE_CLAMP : TIMESTAMP_CLAMP);
}

const DATE_EXPECTED = 'an ISO date; is DateStyle=ISO set?';
const TIMESTAMP_EXPECTED = 'an ISO timestamp; is DateStyle=ISO set?';

/** date → `YYYY-MM-DD` (the text itself). */
export function dateConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (t.length === 10 && startsWithIsoDate(t)) return `"${t}"`;
    return outOfRange(ctx, t, 'date', DATE_EXPECTED);
  };
}

/**
 * timestamp (without time zone) → RFC 3339 with `+00:00`: the wall-clock value is taken as UTC,
 * as the Python taps do, since a Singer date-time needs an offset and the column has none.
 */
export function timestampConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (
      t.length >= 19 &&
      startsWithIsoDate(t) &&
      t.charCodeAt(10) === CH_SPACE &&
      timeEnd(t, 11) === t.length
    ) {
      return `"${t.slice(0, 10)}T${t.slice(11)}+00:00"`;
    }
    return outOfRange(ctx, t, 'timestamp', TIMESTAMP_EXPECTED);
  };
}

/**
 * timestamptz → RFC 3339 in UTC. The pinned session prints every instant with `+00`; any other
 * offset (a session that escaped the pinning) is shifted to UTC rather than passed on, because
 * target-postgres drops offsets without converting.
 */
export function timestamptzConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    const n = t.length;
    if (n >= 22 && startsWithIsoDate(t) && t.charCodeAt(10) === CH_SPACE) {
      const e = timeEnd(t, 11);
      if (
        e === n - 3 &&
        t.charCodeAt(e) === CH_PLUS &&
        t.charCodeAt(e + 1) === 0x30 &&
        t.charCodeAt(e + 2) === 0x30
      ) {
        return `"${t.slice(0, 10)}T${t.slice(11, e)}+00:00"`;
      }
      if (e > 0) {
        const offset = offsetSeconds(t, e);
        if (!Number.isNaN(offset)) return shiftedToUtc(ctx, t, e, offset);
      }
    }
    return outOfRange(ctx, t, 'timestamptz', TIMESTAMP_EXPECTED);
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Rare path: whole seconds go through Date arithmetic, the fraction stays text. */
function shiftedToUtc(
  ctx: ConversionContext,
  t: string,
  timeEndIndex: number,
  offset: number,
): JsonFragment {
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  d.setUTCFullYear(Number(t.slice(0, 4)), Number(t.slice(5, 7)) - 1, Number(t.slice(8, 10)));
  d.setUTCHours(
    Number(t.slice(11, 13)),
    Number(t.slice(14, 16)),
    Number(t.slice(17, 19)) - offset,
    0,
  );
  const year = d.getUTCFullYear();
  if (year < 1) return applyPolicy(ctx, t, 'low', TIMESTAMP_CLAMP);
  if (year > 9999) return applyPolicy(ctx, t, 'high', TIMESTAMP_CLAMP);
  const fraction = t.slice(19, timeEndIndex);
  return (
    `"${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `${fraction}+00:00"`
  );
}

/** time → `HH:MM:SS[.ffffff]` as printed. No `format: time`: consumers want no fraction there. */
export function timeConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (timeEnd(t, 0) === t.length) return `"${t}"`;
    throw conversionError(ctx, t, '`HH:MM:SS[.ffffff]`');
  };
}

/**
 * timetz → as printed, `03:04:05.123+05:30`. The offset is part of a timetz value (there is no
 * date to resolve it against), so it is kept rather than shifted to UTC.
 */
export function timetzConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    const e = timeEnd(t, 0);
    if (e > 0 && !Number.isNaN(offsetSeconds(t, e))) return `"${t}"`;
    throw conversionError(ctx, t, '`HH:MM:SS[.ffffff]±HH[:MM]`');
  };
}

/**
 * interval → the ISO 8601 duration as printed under IntervalStyle=iso_8601 (`P1Y2M-3DT4H5M6.5S`,
 * `PT0S`); PostgreSQL 17's `infinity` / `-infinity` pass as they are (a duration has no format).
 */
export function intervalConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (t.charCodeAt(0) === 0x50 || t === 'infinity' || t === '-infinity') return jsonString(t);
    throw conversionError(ctx, t, 'an ISO 8601 duration; is IntervalStyle=iso_8601 set?');
  };
}
