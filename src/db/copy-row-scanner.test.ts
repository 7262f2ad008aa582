import fc from 'fast-check';
import { unescapeCopyText } from '../values/row-body-encoder';
import { copyEscape } from '../values/testing/conversion-cases';
import { CopyRowScanner, rowTexts } from './copy-row-scanner';

/** A field as COPY TO writes it, NULL included. */
const copyField = (v: string | null) => (v === null ? '\\N' : copyEscape(v));

function parseAll(columns: number, chunks: Buffer[]): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = [];
  const p = new CopyRowScanner(columns, (src, fields) => rows.push(rowTexts(src, fields)));
  for (const c of chunks) p.push(c);
  p.end();
  // The resume point agrees with the last row handed out.
  expect(p.lastRowTexts()).toEqual(rows.length ? rows[rows.length - 1] : null);
  return rows;
}

describe('CopyRowScanner', () => {
  it('reads rows split anywhere, even inside a multi-byte character', () => {
    const value = ['ü😀\\x', null, 'a\tb\nc'];
    const bytes = Buffer.from(`${value.map(copyField).join('\t')}\n`.repeat(3));
    for (let cut = 1; cut < bytes.length; cut++) {
      const rows = parseAll(3, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(rows).toEqual([value, value, value]);
    }
  });

  it('gives back exactly the values COPY escaped, for any text', () => {
    const field = fc.option(fc.string({ unit: 'binary' }), { nil: null });
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field), { minLength: 1 }), fc.nat(), (rows, cut) => {
        const bytes = Buffer.from(rows.map((r) => `${r.map(copyField).join('\t')}\n`).join(''));
        const at = cut % bytes.length;
        const want = rows.map((r) => r.map((v) => (v === null ? null : Buffer.from(v).toString())));
        expect(parseAll(2, [bytes.subarray(0, at), bytes.subarray(at)])).toEqual(want);
      }),
    );
  });

  it('reads a CopyData message of one row (pushRow) as the byte scan does, in a larger chunk', () => {
    const field = fc.option(fc.string({ unit: 'binary' }), { nil: null });
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field, field), { minLength: 1 }), (rows) => {
        const lines = rows.map((r) => Buffer.from(`${r.map(copyField).join('\t')}\n`));
        // The rows side by side in one buffer, as messages lie in a socket chunk.
        const chunk = Buffer.concat([Buffer.from('x\ty'), ...lines, Buffer.from('\tz')]);
        const got: Array<Array<string | null>> = [];
        const p = new CopyRowScanner(3, (src, fields) => got.push(rowTexts(src, fields)));
        let at = 3;
        for (const l of lines) {
          p.pushRow(chunk, at, at + l.length);
          at += l.length;
        }
        p.end();
        expect(got).toEqual(parseAll(3, [Buffer.concat(lines)]));
        expect(p.lastRowTexts()).toEqual(got[got.length - 1]);
      }),
    );
    const one = (text: string) => {
      const b = Buffer.from(`\t${text}\t\t`);
      new CopyRowScanner(2, () => {}).pushRow(b, 1, 1 + text.length);
    };
    expect(() => one('a\tb\tc\n')).toThrow(/3 fields, expected 2/);
    expect(() => one('a\n')).toThrow(/1 fields, expected 2/);
  });

  it('refuses a row with the wrong number of fields, and a truncated last row', () => {
    expect(() => parseAll(2, [Buffer.from('a\tb\tc\n')])).toThrow(/3 fields, expected 2/);
    expect(() => parseAll(2, [Buffer.from('a\n')])).toThrow(/1 fields, expected 2/);
    expect(() => parseAll(2, [Buffer.from('a\tb\nc\t')])).toThrow(/ended inside a row/);
  });

  it('tells NULL from the text \\N', () => {
    expect(parseAll(2, [Buffer.from('\\N\t\\\\N\n')])).toEqual([[null, '\\N']]);
  });

  it('undoes the escapes COPY writes', () => {
    expect(unescapeCopyText('\\\\x00ff')).toBe('\\x00ff');
    expect(unescapeCopyText('a\\tb\\nc\\rd\\be\\ff\\vg\\\\')).toBe('a\tb\nc\rd\be\ff\vg\\');
  });
});
