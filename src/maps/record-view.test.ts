import fc from 'fast-check';
import { GrowableSink } from '../values/byte-sink';
import { pyEquals, pyFromJson, pyToJson, pyTypeName } from './expression';
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
        ),
        (v) => {
          const json = typeof v === 'string' && /^-?\d+$/.test(v) ? v : JSON.stringify(v);
          const b = Buffer.from(` ${json} `);
          const fast = decodeValue(b, 1, b.length - 1);
          const slow = pyFromJson(json);
          expect(pyTypeName(fast)).toBe(pyTypeName(slow));
          expect(pyEquals(fast, slow)).toBe(true);
          expect(pyToJson(fast)).toBe(pyToJson(slow));
        },
      ),
    );
  });

  it('putJson is pyToJson', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.bigInt(),
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
