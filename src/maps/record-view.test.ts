import fc from 'fast-check';
import { GrowableSink } from '../values/byte-sink';
import { pyEquals, pyFromJson, pyRepr, pyToJson, pyTypeName } from './expression';
import { putJson } from './record-transform';
import { decodeValue } from './record-view';

describe('the fast paths agree with the expression module', () => {
  it('decodeValue is pyFromJson', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map((n) => n.toString()),
          fc.string({ unit: 'grapheme' }),
          // Fixed-point numbers as a numeric column gives them (trailing zeros, -0.00), either
          // side of the 15 digits decodeValue reads itself.
          fc
            .tuple(
              fc.boolean(),
              fc.stringMatching(/^(0|[1-9]\d{0,11})$/),
              fc.stringMatching(/^\d{1,9}$/),
            )
            .map(([neg, i, f]) => `${neg ? '-' : ''}${i}.${f}`),
        ),
        (v) => {
          const json = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v);
          const b = Buffer.from(` ${json} `);
          const fast = decodeValue(b, 1, b.length - 1);
          const slow = pyFromJson(json);
          expect(pyTypeName(fast)).toBe(pyTypeName(slow));
          expect(pyRepr(fast)).toBe(pyRepr(slow));
          expect(pyEquals(fast, slow)).toBe(true);
          expect(pyToJson(fast)).toBe(pyToJson(slow));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('putJson is pyToJson', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.bigInt(),
          // Either side of the safe integers putJson writes digit by digit.
          fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
          fc.jsonValue().map((v) => pyFromJson(JSON.stringify(v))),
        ),
        (v) => {
          const sink = new GrowableSink(4);
          putJson(sink, v);
          expect(sink.text()).toBe(pyToJson(v));
        },
      ),
    );
  });
});
