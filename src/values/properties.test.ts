import fc from 'fast-check';
import type { ResolvedType } from '../types/resolved-type';
import { converterFor } from './converter';
import { jsonString } from './json-fragment';
import { minifyJson } from './json-text';

/*
 * Properties against independent oracles: PostgreSQL's own quoting rules (array_out, hstore_out)
 * re-implemented here, JSON.stringify for minification, and Date for offset arithmetic.
 */

function builtIn(name: string, arrayDims = 0): ResolvedType {
  const schema = name === 'hstore' ? 'public' : 'pg_catalog';
  return {
    sqlType: name,
    base: { name, schema, typtype: 'b', category: 'U' },
    arrayDims,
    domains: [],
  };
}

/** Any UTF-16 string, lone surrogates and control characters included. */
const anyText = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
});
/** Text PostgreSQL can hold: no NUL, and only well-formed UTF-16 (the server speaks UTF-8). */
const pgText = fc.string({ unit: 'binary' }).map((s) => s.replace(/\0/g, ''));

/** array_out's rule: quote when empty, NULL-like, or holding a delimiter, brace, quote, backslash or space. */
function arrayElement(s: string | null): string {
  if (s === null) return 'NULL';
  if (s !== '' && s.toUpperCase() !== 'NULL' && !/[{},"\\ \t\n\r\v\f]/.test(s)) return s;
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function hstoreQuoted(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

describe('properties', () => {
  it('jsonString round-trips any string on one line, short or long', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.string({ minLength: 100, maxLength: 300 })), (s) => {
        const fragment = jsonString(s);
        expect(JSON.parse(fragment)).toBe(s);
        expect(fragment).not.toMatch(/[\n\r]/);
      }),
    );
  });

  it('minifyJson equals JSON.stringify of the pretty-printed document', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(2, '\t', '\r\n '), (v, indent) => {
        const pretty = JSON.stringify(v, null, indent as string | number);
        expect(minifyJson(pretty)).toBe(JSON.stringify(v));
      }),
    );
  });

  it('text[] and text[][] literals parse back to their elements', () => {
    const convert1 = converterFor(builtIn('text', 1));
    const convert2 = converterFor(builtIn('text', 2));
    fc.assert(
      fc.property(fc.array(fc.option(pgText)), (elements) => {
        const literal = `{${elements.map(arrayElement).join(',')}}`;
        expect(JSON.parse(convert1(literal))).toEqual(elements);
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((width) =>
          fc.array(fc.array(fc.option(pgText), { minLength: width, maxLength: width }), {
            minLength: 1,
          }),
        ),
        (rows) => {
          const literal = `{${rows.map((r) => `{${r.map(arrayElement).join(',')}}`).join(',')}}`;
          expect(JSON.parse(convert2(literal))).toEqual(rows);
        },
      ),
    );
  });

  it('hstore text parses back to its pairs', () => {
    const convert = converterFor(builtIn('hstore'));
    fc.assert(
      fc.property(fc.dictionary(pgText, fc.option(pgText)), (pairs) => {
        const text = Object.entries(pairs)
          .map(([k, v]) => `${hstoreQuoted(k)}=>${v === null ? 'NULL' : hstoreQuoted(v)}`)
          .join(', ');
        expect(JSON.parse(convert(text))).toEqual(pairs);
      }),
    );
  });

  it('timestamptz printed with any offset converts to the same UTC instant', () => {
    const convert = converterFor(builtIn('timestamptz'));
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19);
    fc.assert(
      fc.property(
        fc.integer({ min: -62135596800, max: 253402300799 }),
        fc.integer({ min: -(15 * 3600 + 59 * 60 + 59), max: 15 * 3600 + 59 * 60 + 59 }),
        fc.constantFrom('', '.5', '.000001', '.123456'),
        (utc, offset, fraction) => {
          const local = iso(utc + offset);
          fc.pre(!local.startsWith('0000') && !local.startsWith('+'));
          const abs = Math.abs(offset);
          const hms = [Math.floor(abs / 3600), Math.floor(abs / 60) % 60, abs % 60]
            .map((n) => String(n).padStart(2, '0'))
            .join(':');
          const text = `${local.replace('T', ' ')}${fraction}${offset < 0 ? '-' : '+'}${hms}`;
          expect(convert(text)).toBe(`"${iso(utc)}${fraction}+00:00"`);
        },
      ),
    );
  });
});
