import { optArg } from './args';
import { ExpressionEvalError, typeError, unsupported, valueError } from './errors';
import { decimalToFloat, isDecimal } from './py-decimal';
import type { ArithmeticObject } from './operators';
import {
  PyCallable,
  PyObject,
  pyShortTypeName,
  strRepr,
  type PyKwargs,
  type PyValue,
} from './py-value';

/*
 * The parts of Python's `datetime` module that map expressions use: date, datetime (naive or with
 * a fixed UTC offset), timedelta and timezone.utc. Named time zones (zoneinfo) are not available.
 */

const US_PER_DAY = 86400000000n;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Days since 0001-01-01 (ordinal 1), proleptic Gregorian. */
function toOrdinal(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468 + 719163; // days since 1970-01-01 shifted to ordinal
}

function fromOrdinal(ord: number): [number, number, number] {
  const z = ord - 719163 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  return [
    31,
    y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][m - 1]!;
}

function checkDate(y: number, m: number, d: number): void {
  if (y < 1 || y > 9999) throw valueError(`year ${y} is out of range`);
  if (m < 1 || m > 12) throw valueError('month must be in 1..12');
  if (d < 1 || d > daysInMonth(y, m)) throw valueError('day is out of range for month');
}

function intArg(v: PyValue | undefined, name: string, dflt?: number): number {
  if (v === undefined || (v === null && dflt !== undefined)) {
    if (dflt === undefined) throw typeError(`function missing required argument '${name}'`);
    return dflt;
  }
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw typeError(`'${pyShortTypeName(v)}' object cannot be interpreted as an integer`);
}

function realArg(v: PyValue): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isDecimal(v)) return decimalToFloat(v);
  throw typeError(`unsupported type for timedelta component: ${pyShortTypeName(v)}`);
}

function method(
  name: string,
  fn: (args: readonly PyValue[], kwargs: PyKwargs) => PyValue,
): PyCallable {
  return new PyCallable(name, fn);
}

export class PyTimeDelta extends PyObject implements ArithmeticObject {
  readonly typeName = 'datetime.timedelta';
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  constructor(readonly totalMicros: bigint) {
    super();
    let days = totalMicros / US_PER_DAY;
    let rest = totalMicros % US_PER_DAY;
    if (rest < 0n) {
      rest += US_PER_DAY;
      days -= 1n;
    }
    if (days > 999999999n || days < -999999999n)
      throw new ExpressionEvalError(
        'OverflowError',
        `days=${days}; must have magnitude <= 999999999`,
      );
    this.days = Number(days);
    this.seconds = Number(rest / 1000000n);
    this.microseconds = Number(rest % 1000000n);
  }
  repr(): string {
    const parts: string[] = [];
    if (this.days !== 0) parts.push(`days=${this.days}`);
    if (this.seconds !== 0) parts.push(`seconds=${this.seconds}`);
    if (this.microseconds !== 0) parts.push(`microseconds=${this.microseconds}`);
    return `datetime.timedelta(${parts.length === 0 ? '0' : parts.join(', ')})`;
  }
  override str(): string {
    const h = Math.floor(this.seconds / 3600);
    const m = Math.floor((this.seconds % 3600) / 60);
    const s = this.seconds % 60;
    let out = `${h}:${pad(m)}:${pad(s)}`;
    if (this.microseconds !== 0) out += `.${pad(this.microseconds, 6)}`;
    if (this.days !== 0) out = `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${out}`;
    return out;
  }
  override getAttr(name: string): PyValue | undefined {
    switch (name) {
      case 'days':
        return BigInt(this.days);
      case 'seconds':
        return BigInt(this.seconds);
      case 'microseconds':
        return BigInt(this.microseconds);
      case 'total_seconds':
        return method(name, () => Number(this.totalMicros) / 1e6);
    }
    return undefined;
  }
  override equals(other: PyValue): boolean {
    return other instanceof PyTimeDelta && other.totalMicros === this.totalMicros;
  }
  override compare(other: PyValue): number | undefined {
    if (!(other instanceof PyTimeDelta)) return undefined;
    return this.totalMicros < other.totalMicros ? -1 : this.totalMicros > other.totalMicros ? 1 : 0;
  }
  override truthy(): boolean {
    return this.totalMicros !== 0n;
  }
  arithmetic(op: '+' | '-', other: PyValue, reflected: boolean): PyValue | undefined {
    if (other instanceof PyTimeDelta) {
      return new PyTimeDelta(
        op === '+' ? this.totalMicros + other.totalMicros : this.totalMicros - other.totalMicros,
      );
    }
    if (reflected && op === '+' && (other instanceof PyDate || other instanceof PyDateTime))
      return other.arithmetic('+', this);
    return undefined;
  }
}

export class PyTimezone extends PyObject {
  readonly typeName = 'datetime.timezone';
  constructor(readonly offsetSeconds: number) {
    super();
  }
  repr(): string {
    return this.offsetSeconds === 0
      ? 'datetime.timezone.utc'
      : `datetime.timezone(${new PyTimeDelta(BigInt(this.offsetSeconds) * 1000000n).repr()})`;
  }
  override str(): string {
    return this.offsetSeconds === 0 ? 'UTC' : `UTC${formatOffset(this.offsetSeconds, ':')}`;
  }
  override equals(other: PyValue): boolean {
    return other instanceof PyTimezone && other.offsetSeconds === this.offsetSeconds;
  }
}

const UTC = new PyTimezone(0);

function formatOffset(seconds: number, sep: string): string {
  const sign = seconds < 0 ? '-' : '+';
  const a = Math.abs(seconds);
  let out = `${sign}${pad(Math.floor(a / 3600))}${sep}${pad(Math.floor((a % 3600) / 60))}`;
  if (a % 60 !== 0) out += `${sep}${pad(a % 60)}`;
  return out;
}

export class PyDate extends PyObject implements ArithmeticObject {
  readonly typeName: string = 'datetime.date';
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    super();
  }
  get ordinal(): number {
    return toOrdinal(this.year, this.month, this.day);
  }
  isoDate(): string {
    return `${pad(this.year, 4)}-${pad(this.month)}-${pad(this.day)}`;
  }
  repr(): string {
    return `datetime.date(${this.year}, ${this.month}, ${this.day})`;
  }
  override str(): string {
    return this.isoDate();
  }
  weekday(): number {
    return (this.ordinal + 6) % 7;
  }
  override getAttr(name: string): PyValue | undefined {
    switch (name) {
      case 'year':
        return BigInt(this.year);
      case 'month':
        return BigInt(this.month);
      case 'day':
        return BigInt(this.day);
      case 'isoformat':
        return method(name, () => this.str().replace(' ', 'T'));
      case 'weekday':
        return method(name, () => BigInt(this.weekday()));
      case 'isoweekday':
        return method(name, () => BigInt(this.weekday() + 1));
      case 'toordinal':
        return method(name, () => BigInt(this.ordinal));
      case 'strftime':
        return method(name, (a) =>
          strftime(
            this,
            typeof a[0] === 'string' ? a[0] : fail('strftime() argument 1 must be str'),
          ),
        );
      case 'replace':
        return method(name, (a, k) => this.replaced(a, k));
    }
    return undefined;
  }
  replaced(args: readonly PyValue[], kwargs: PyKwargs): PyValue {
    const y = intArg(optArg(args, kwargs, 0, 'year'), 'year', this.year);
    const m = intArg(optArg(args, kwargs, 1, 'month'), 'month', this.month);
    const d = intArg(optArg(args, kwargs, 2, 'day'), 'day', this.day);
    checkDate(y, m, d);
    return new PyDate(y, m, d);
  }
  override equals(other: PyValue): boolean {
    return (
      other instanceof PyDate && !(other instanceof PyDateTime) && other.ordinal === this.ordinal
    );
  }
  override compare(other: PyValue): number | undefined {
    if (!(other instanceof PyDate) || other instanceof PyDateTime) return undefined;
    return Math.sign(this.ordinal - other.ordinal);
  }
  arithmetic(op: '+' | '-', other: PyValue): PyValue | undefined {
    if (other instanceof PyTimeDelta) {
      const ord = this.ordinal + (op === '+' ? other.days : -other.days);
      const [y, m, d] = fromOrdinal(ord);
      if (y < 1 || y > 9999)
        throw new ExpressionEvalError('OverflowError', 'date value out of range');
      return new PyDate(y, m, d);
    }
    if (op === '-' && other instanceof PyDate && !(other instanceof PyDateTime)) {
      return new PyTimeDelta(BigInt(this.ordinal - other.ordinal) * US_PER_DAY);
    }
    return undefined;
  }
}

function fail(msg: string): never {
  throw typeError(msg);
}

export class PyDateTime extends PyDate {
  override readonly typeName = 'datetime.datetime';
  constructor(
    year: number,
    month: number,
    day: number,
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly offset: number | null,
  ) {
    super(year, month, day);
  }
  static fromMicros(us: bigint, offset: number | null): PyDateTime {
    let days = us / US_PER_DAY;
    let rest = us % US_PER_DAY;
    if (rest < 0n) {
      rest += US_PER_DAY;
      days -= 1n;
    }
    const [y, m, d] = fromOrdinal(Number(days));
    if (y < 1 || y > 9999)
      throw new ExpressionEvalError('OverflowError', 'date value out of range');
    const r = Number(rest);
    const secs = Math.floor(r / 1e6);
    return new PyDateTime(
      y,
      m,
      d,
      Math.floor(secs / 3600),
      Math.floor((secs % 3600) / 60),
      secs % 60,
      r % 1e6,
      offset,
    );
  }
  /** Microseconds since ordinal 0, local wall time (the offset not applied). */
  get wallMicros(): bigint {
    return (
      BigInt(this.ordinal) * US_PER_DAY +
      BigInt(((this.hour * 60 + this.minute) * 60 + this.second) * 1e6 + this.microsecond)
    );
  }
  /** Microseconds since ordinal 0 in UTC (aware values only). */
  get utcMicros(): bigint {
    return this.wallMicros - BigInt(this.offset ?? 0) * 1000000n;
  }
  timeText(): string {
    let t = `${pad(this.hour)}:${pad(this.minute)}:${pad(this.second)}`;
    if (this.microsecond !== 0) t += `.${pad(this.microsecond, 6)}`;
    return t;
  }
  iso(sep: string): string {
    return `${this.isoDate()}${sep}${this.timeText()}${this.offset === null ? '' : formatOffset(this.offset, ':')}`;
  }
  override repr(): string {
    const parts = [this.year, this.month, this.day, this.hour, this.minute];
    if (this.second !== 0 || this.microsecond !== 0) parts.push(this.second);
    if (this.microsecond !== 0) parts.push(this.microsecond);
    const tz = this.offset === null ? '' : `, tzinfo=${new PyTimezone(this.offset).repr()}`;
    return `datetime.datetime(${parts.join(', ')}${tz})`;
  }
  override str(): string {
    return this.iso(' ');
  }
  override getAttr(name: string): PyValue | undefined {
    switch (name) {
      case 'hour':
        return BigInt(this.hour);
      case 'minute':
        return BigInt(this.minute);
      case 'second':
        return BigInt(this.second);
      case 'microsecond':
        return BigInt(this.microsecond);
      case 'tzinfo':
        return this.offset === null ? null : new PyTimezone(this.offset);
      case 'isoformat':
        return method(name, (a, k) => {
          const sep = optArg(a, k, 0, 'sep') ?? 'T';
          if (typeof sep !== 'string')
            throw typeError('isoformat() argument 1 must be a unicode character');
          if (optArg(a, k, 1, 'timespec') !== undefined)
            throw unsupported('isoformat(timespec=...)');
          return this.iso(sep);
        });
      case 'date':
        return method(name, () => new PyDate(this.year, this.month, this.day));
      case 'timestamp':
        return method(name, () => {
          if (this.offset !== null) return Number(this.utcMicros - EPOCH_MICROS) / 1e6;
          const local = new Date(
            this.year,
            this.month - 1,
            this.day,
            this.hour,
            this.minute,
            this.second,
          );
          local.setFullYear(this.year);
          return local.getTime() / 1000 + this.microsecond / 1e6;
        });
      case 'utcoffset':
        return method(name, () =>
          this.offset === null ? null : new PyTimeDelta(BigInt(this.offset) * 1000000n),
        );
      case 'replace':
        return method(name, (a, k) => {
          const d = this.replaced(a, k) as PyDate;
          const h = intArg(optArg(a, k, 3, 'hour'), 'hour', this.hour);
          const mi = intArg(optArg(a, k, 4, 'minute'), 'minute', this.minute);
          const s = intArg(optArg(a, k, 5, 'second'), 'second', this.second);
          const us = intArg(optArg(a, k, 6, 'microsecond'), 'microsecond', this.microsecond);
          const tz = optArg(a, k, 7, 'tzinfo');
          const offset = tz === undefined ? this.offset : tz === null ? null : tzOffset(tz);
          checkTime(h, mi, s, us);
          return new PyDateTime(d.year, d.month, d.day, h, mi, s, us, offset);
        });
    }
    return super.getAttr(name);
  }
  override equals(other: PyValue): boolean {
    if (!(other instanceof PyDateTime)) return false;
    if ((this.offset === null) !== (other.offset === null)) return false;
    return this.offset === null
      ? this.wallMicros === other.wallMicros
      : this.utcMicros === other.utcMicros;
  }
  override compare(other: PyValue): number | undefined {
    if (!(other instanceof PyDateTime)) {
      if (other instanceof PyDate)
        throw typeError("can't compare datetime.datetime to datetime.date");
      return undefined;
    }
    if ((this.offset === null) !== (other.offset === null))
      throw typeError("can't compare offset-naive and offset-aware datetimes");
    const a = this.offset === null ? this.wallMicros : this.utcMicros;
    const b = other.offset === null ? other.wallMicros : other.utcMicros;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  override arithmetic(op: '+' | '-', other: PyValue): PyValue | undefined {
    if (other instanceof PyTimeDelta) {
      return PyDateTime.fromMicros(
        op === '+' ? this.wallMicros + other.totalMicros : this.wallMicros - other.totalMicros,
        this.offset,
      );
    }
    if (op === '-' && other instanceof PyDateTime) {
      if ((this.offset === null) !== (other.offset === null))
        throw typeError("can't subtract offset-naive and offset-aware datetimes");
      return new PyTimeDelta(
        this.offset === null
          ? this.wallMicros - other.wallMicros
          : this.utcMicros - other.utcMicros,
      );
    }
    return undefined;
  }
}

const EPOCH_MICROS = BigInt(toOrdinal(1970, 1, 1)) * US_PER_DAY;

function checkTime(h: number, m: number, s: number, us: number): void {
  if (h < 0 || h > 23) throw valueError('hour must be in 0..23');
  if (m < 0 || m > 59) throw valueError('minute must be in 0..59');
  if (s < 0 || s > 59) throw valueError('second must be in 0..59');
  if (us < 0 || us > 999999) throw valueError('microsecond must be in 0..999999');
}

function tzOffset(tz: PyValue): number {
  if (tz instanceof PyTimezone) return tz.offsetSeconds;
  throw typeError(
    `tzinfo argument must be None or of a tzinfo subclass, not type '${pyShortTypeName(tz)}'`,
  );
}

// ---- strftime / strptime -----------------------------------------------------------------------

function strftime(d: PyDate, fmt: string): string {
  const dt = d instanceof PyDateTime ? d : null;
  return fmt.replace(/%(.)/gs, (whole, c: string) => {
    const h = dt?.hour ?? 0;
    switch (c) {
      case 'Y':
        return String(d.year);
      case 'y':
        return pad(d.year % 100);
      case 'm':
        return pad(d.month);
      case 'd':
        return pad(d.day);
      case 'H':
        return pad(h);
      case 'I':
        return pad(h % 12 === 0 ? 12 : h % 12);
      case 'p':
        return h < 12 ? 'AM' : 'PM';
      case 'M':
        return pad(dt?.minute ?? 0);
      case 'S':
        return pad(dt?.second ?? 0);
      case 'f':
        return pad(dt?.microsecond ?? 0, 6);
      case 'z':
        return dt?.offset === null || dt === null ? '' : formatOffset(dt.offset, '');
      case 'Z':
        return dt?.offset === null || dt === null ? '' : new PyTimezone(dt.offset).str();
      case 'j':
        return pad(d.ordinal - toOrdinal(d.year, 1, 1) + 1, 3);
      case 'a':
        return DAYS[d.weekday()]!.slice(0, 3);
      case 'A':
        return DAYS[d.weekday()]!;
      case 'b':
        return MONTHS[d.month - 1]!.slice(0, 3);
      case 'B':
        return MONTHS[d.month - 1]!;
      case 'F':
        return d.isoDate();
      case 'T':
        return `${pad(h)}:${pad(dt?.minute ?? 0)}:${pad(dt?.second ?? 0)}`;
      case '%':
        return '%';
      default:
        return whole;
    }
  });
}

const STRPTIME: Record<string, string> = {
  Y: '(?<Y>\\d{4})',
  y: '(?<y>\\d{2})',
  m: '(?<m>\\d{1,2})',
  d: '(?<d>\\d{1,2})',
  H: '(?<H>\\d{1,2})',
  I: '(?<I>\\d{1,2})',
  M: '(?<M>\\d{1,2})',
  S: '(?<S>\\d{1,2})',
  f: '(?<f>\\d{1,6})',
  p: '(?<p>[AaPp][Mm])',
  j: '(?<j>\\d{1,3})',
  z: '(?<z>Z|[+-]\\d{2}:?\\d{2}(?::?\\d{2}(?:\\.\\d{1,6})?)?)',
  b: '(?<b>[A-Za-z]{3})',
  B: '(?<B>[A-Za-z]+)',
  a: '(?:[A-Za-z]{3})',
  A: '(?:[A-Za-z]+)',
  '%': '%',
};

function strptime(text: string, fmt: string): PyDateTime {
  let re = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '%') {
      const d = fmt[++i];
      const part = d === undefined ? undefined : STRPTIME[d];
      if (part === undefined) throw unsupported(`the strptime directive '%${d ?? ''}'`);
      if (re.includes(`(?<${d}>`)) throw unsupported(`a repeated strptime directive '%${d}'`);
      re += part;
    } else if (/\s/.test(c)) {
      re += '\\s+';
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const m = new RegExp(`^${re}$`, 'i').exec(text);
  const bad = (): never => {
    throw valueError(`time data ${strRepr(text)} does not match format ${strRepr(fmt)}`);
  };
  if (m === null) return bad();
  const g = m.groups ?? {};
  const num = (k: string, dflt: number): number => (g[k] === undefined ? dflt : Number(g[k]));
  let year =
    g['Y'] !== undefined
      ? Number(g['Y'])
      : g['y'] !== undefined
        ? (Number(g['y']) < 69 ? 2000 : 1900) + Number(g['y'])
        : 1900;
  let month = num('m', 1);
  let day = num('d', 1);
  const monthName = g['b'] ?? g['B'];
  if (monthName !== undefined) {
    const idx = MONTHS.findIndex(
      (n) => (g['b'] !== undefined ? n.slice(0, 3) : n).toLowerCase() === monthName.toLowerCase(),
    );
    if (idx < 0) bad();
    month = idx + 1;
  }
  if (g['j'] !== undefined) {
    const [yy, mm, dd] = fromOrdinal(toOrdinal(year, 1, 1) + Number(g['j']) - 1);
    year = yy;
    month = mm;
    day = dd;
  }
  let hour = num('H', 0);
  if (g['I'] !== undefined) {
    hour = Number(g['I']) % 12;
    if ((g['p'] ?? 'AM').toUpperCase() === 'PM') hour += 12;
  }
  const micro = g['f'] === undefined ? 0 : Number(g['f'].padEnd(6, '0'));
  let offset: number | null = null;
  if (g['z'] !== undefined) offset = parseOffset(g['z']) ?? bad();
  try {
    checkDate(year, month, day);
    checkTime(hour, num('M', 0), num('S', 0), micro);
  } catch {
    return bad();
  }
  return new PyDateTime(year, month, day, hour, num('M', 0), num('S', 0), micro, offset);
}

function parseOffset(z: string): number | undefined {
  if (z === 'Z' || z === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})(?::?(\d{2})(?:\.\d+)?)?$/.exec(z);
  if (m === null) return undefined;
  const s = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  if (s >= 86400) return undefined;
  return m[1] === '-' ? -s : s;
}

const ISO_DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const ISO_DATETIME =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[^\d](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d+)?)?)?)?)?$/;

function fromIsoDate(s: PyValue): PyDate {
  if (typeof s !== 'string') throw typeError(`fromisoformat: argument must be str`);
  const m = ISO_DATE.exec(s);
  if (m === null) throw valueError(`Invalid isoformat string: ${strRepr(s)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  checkDate(y, mo, d);
  return new PyDate(y, mo, d);
}

function fromIsoDateTime(s: PyValue): PyDateTime {
  if (typeof s !== 'string') throw typeError(`fromisoformat: argument must be str`);
  const m = ISO_DATETIME.exec(s);
  const bad = (): never => {
    throw valueError(`Invalid isoformat string: ${strRepr(s)}`);
  };
  if (m === null) return bad();
  const n = (i: number): number => Number(m[i] ?? 0);
  const micro = m[7] === undefined ? 0 : Number(m[7].slice(0, 6).padEnd(6, '0'));
  const offset = m[8] === undefined ? null : (parseOffset(m[8]) ?? bad());
  try {
    checkDate(n(1), n(2), n(3));
    checkTime(n(4), n(5), n(6), micro);
  } catch {
    return bad();
  }
  return new PyDateTime(n(1), n(2), n(3), n(4), n(5), n(6), micro, offset);
}

function fromDate(d: Date, utc: boolean, offset: number | null): PyDateTime {
  const micro = (((d.getTime() % 1000) + 1000) % 1000) * 1000;
  return utc
    ? new PyDateTime(
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        micro,
        offset,
      )
    : new PyDateTime(
        d.getFullYear(),
        d.getMonth() + 1,
        d.getDate(),
        d.getHours(),
        d.getMinutes(),
        d.getSeconds(),
        micro,
        offset,
      );
}

function nowIn(tz: PyValue | undefined): PyDateTime {
  const now = new Date();
  if (tz === undefined || tz === null) return fromDate(now, false, null);
  const offset = tzOffset(tz);
  return fromDate(new Date(now.getTime() + offset * 1000), true, offset);
}

function fromTimestamp(ts: PyValue | undefined, tz: PyValue | undefined, utc: boolean): PyDateTime {
  if (ts === undefined) throw typeError('fromtimestamp() missing required argument');
  const seconds = realArg(ts);
  const ms = Math.floor(seconds * 1000);
  const micro = Math.round((seconds - Math.floor(seconds)) * 1e6) % 1000000;
  const base = (d: Date, isUtc: boolean, offset: number | null): PyDateTime => {
    const dt = fromDate(d, isUtc, offset);
    return new PyDateTime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, micro, offset);
  };
  if (tz !== undefined && tz !== null) {
    const offset = tzOffset(tz);
    return base(new Date(ms + offset * 1000), true, offset);
  }
  return base(new Date(ms), utc, null);
}

class PyClass extends PyObject {
  readonly typeName = 'type';
  constructor(
    readonly name: string,
    readonly call: (args: readonly PyValue[], kwargs: PyKwargs) => PyValue,
    private readonly attrs: Record<string, PyValue>,
  ) {
    super();
  }
  repr(): string {
    return `<class 'datetime.${this.name}'>`;
  }
  override getAttr(name: string): PyValue | undefined {
    return Object.prototype.hasOwnProperty.call(this.attrs, name) ? this.attrs[name] : undefined;
  }
}

const dateClass = new PyClass(
  'date',
  (a, k) => {
    const y = intArg(optArg(a, k, 0, 'year'), 'year');
    const m = intArg(optArg(a, k, 1, 'month'), 'month');
    const d = intArg(optArg(a, k, 2, 'day'), 'day');
    checkDate(y, m, d);
    return new PyDate(y, m, d);
  },
  {
    today: method('today', () => {
      const n = new Date();
      return new PyDate(n.getFullYear(), n.getMonth() + 1, n.getDate());
    }),
    fromisoformat: method('fromisoformat', (a) => fromIsoDate(a[0] ?? null)),
    fromtimestamp: method('fromtimestamp', (a) => {
      const dt = fromTimestamp(a[0], undefined, false);
      return new PyDate(dt.year, dt.month, dt.day);
    }),
    fromordinal: method('fromordinal', (a) => {
      const [y, m, d] = fromOrdinal(intArg(a[0], 'ordinal'));
      return new PyDate(y, m, d);
    }),
  },
);

const datetimeClass = new PyClass(
  'datetime',
  (a, k) => {
    const y = intArg(optArg(a, k, 0, 'year'), 'year');
    const mo = intArg(optArg(a, k, 1, 'month'), 'month');
    const d = intArg(optArg(a, k, 2, 'day'), 'day');
    const h = intArg(optArg(a, k, 3, 'hour'), 'hour', 0);
    const mi = intArg(optArg(a, k, 4, 'minute'), 'minute', 0);
    const s = intArg(optArg(a, k, 5, 'second'), 'second', 0);
    const us = intArg(optArg(a, k, 6, 'microsecond'), 'microsecond', 0);
    const tz = optArg(a, k, 7, 'tzinfo');
    checkDate(y, mo, d);
    checkTime(h, mi, s, us);
    return new PyDateTime(
      y,
      mo,
      d,
      h,
      mi,
      s,
      us,
      tz === undefined || tz === null ? null : tzOffset(tz),
    );
  },
  {
    now: method('now', (a, k) => nowIn(optArg(a, k, 0, 'tz'))),
    today: method('today', () => nowIn(undefined)),
    utcnow: method('utcnow', () => fromDate(new Date(), true, null)),
    fromisoformat: method('fromisoformat', (a) => fromIsoDateTime(a[0] ?? null)),
    strptime: method('strptime', (a) => {
      const [s, f] = a;
      if (typeof s !== 'string' || typeof f !== 'string')
        throw typeError('strptime() argument 1 must be str');
      return strptime(s, f);
    }),
    fromtimestamp: method('fromtimestamp', (a, k) =>
      fromTimestamp(optArg(a, k, 0, 'timestamp'), optArg(a, k, 1, 'tz'), false),
    ),
    utcfromtimestamp: method('utcfromtimestamp', (a) => fromTimestamp(a[0], undefined, true)),
    combine: method('combine', () => {
      throw unsupported('datetime.combine (time objects)');
    }),
  },
);

const TIMEDELTA_UNITS: [string, number][] = [
  ['days', 86400e6],
  ['seconds', 1e6],
  ['microseconds', 1],
  ['milliseconds', 1000],
  ['minutes', 60e6],
  ['hours', 3600e6],
  ['weeks', 604800e6],
];

const timedeltaClass = new PyClass(
  'timedelta',
  (a, k) => {
    let total = 0n;
    let fractional = 0;
    TIMEDELTA_UNITS.forEach(([name, us], i) => {
      const v = optArg(a, k, i, name);
      if (v === undefined) return;
      if (typeof v === 'bigint' || typeof v === 'boolean')
        total += BigInt(intArg(v, name)) * BigInt(us);
      else fractional += realArg(v) * us;
    });
    if (k !== null)
      for (const key of k.keys())
        if (!TIMEDELTA_UNITS.some(([n]) => n === key))
          throw typeError(`'${key}' is an invalid keyword argument for __new__()`);
    return new PyTimeDelta(total + BigInt(Math.round(fractional)));
  },
  {},
);

const timezoneClass = new PyClass(
  'timezone',
  (a) => {
    const td = a[0];
    if (!(td instanceof PyTimeDelta))
      throw typeError('timezone() argument 1 must be datetime.timedelta');
    return new PyTimezone(Number(td.totalMicros / 1000000n));
  },
  { utc: UTC },
);

class DatetimeModule extends PyObject {
  readonly typeName = 'module';
  repr(): string {
    return "<module 'datetime'>";
  }
  override getAttr(name: string): PyValue | undefined {
    switch (name) {
      case 'date':
        return dateClass;
      case 'datetime':
        return datetimeClass;
      case 'timedelta':
        return timedeltaClass;
      case 'timezone':
        return timezoneClass;
      case 'MINYEAR':
        return 1n;
      case 'MAXYEAR':
        return 9999n;
      case 'time':
      case 'tzinfo':
        throw unsupported(`datetime.${name}`);
    }
    return undefined;
  }
}

export const datetimeModule: PyObject = new DatetimeModule();

/** The SDK's serializer writes datetimes with isoformat('T') and any other object as str(). */
export function datetimeJsonText(v: PyObject): string | undefined {
  if (v instanceof PyDateTime) return v.iso('T');
  if (v instanceof PyDate || v instanceof PyTimeDelta || v instanceof PyTimezone) return v.str();
  return undefined;
}
