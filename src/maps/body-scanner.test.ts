import fc from 'fast-check';
import { bodyEntries, scanBody } from './body-scanner';

const body = (entries: ReadonlyArray<readonly [string, unknown]>) =>
  entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');

describe('scanBody', () => {
  it('splits a body into key and value byte ranges, exactly', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ unit: 'grapheme' }), fc.jsonValue()), {
          selector: ([k]) => k,
          maxLength: 8,
        }),
        (entries) => {
          const text = body(entries);
          const buf = Buffer.from(text);
          const out = bodyEntries();
          expect(scanBody(buf, 0, buf.length, out)).toBe(buf.length);
          expect(out.n).toBe(entries.length);
          entries.forEach(([k, v], i) => {
            const key = buf.toString('utf8', out.keyStarts[i], out.keyEnds[i]);
            const value = buf.toString('utf8', out.valueStarts[i], out.valueEnds[i]);
            expect(JSON.parse(key)).toBe(k);
            expect(value).toBe(JSON.stringify(v));
          });
        },
      ),
    );
  });

  it('finds the end of a body inside a whole RECORD line', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }), (record) => {
        const prefix = '{"type":"RECORD","stream":"s","record":{';
        const line = Buffer.from(
          `${prefix}${JSON.stringify(record).slice(1, -1)}},"version":1,"time_extracted":"x"}\n`,
        );
        const out = bodyEntries();
        const stop = scanBody(line, prefix.length, line.length, out, true);
        expect(line.toString('utf8', stop)).toBe('},"version":1,"time_extracted":"x"}\n');
        expect(out.n).toBe(Object.keys(record).length);
      }),
    );
  });

  it('keeps numbers as written (no float round trip)', () => {
    const buf = Buffer.from('"a":12345678901234567890.000100,"b":-1e400,"c":null,"d":"x\\"}"');
    const out = bodyEntries();
    scanBody(buf, 0, buf.length, out);
    const values = [0, 1, 2, 3].map((i) =>
      buf.toString('utf8', out.valueStarts[i], out.valueEnds[i]),
    );
    expect(values).toEqual(['12345678901234567890.000100', '-1e400', 'null', '"x\\"}"']);
  });

  it('rejects a body that is not one', () => {
    for (const bad of ['1', '"a"', '"a":"unterminated', '"a":[1,2']) {
      const buf = Buffer.from(bad);
      expect(() => scanBody(buf, 0, buf.length, bodyEntries())).toThrow(/RECORD body/);
    }
  });
});
