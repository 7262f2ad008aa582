import { RuntimeError } from '../errors';
import { createHash } from 'node:crypto';
import { GrowableSink, type ByteSink } from '../values/byte-sink';
import { RecordTransform } from './record-transform';
import { RecordView } from './record-view';
import { parseStreamMapsConfig, planStream } from './stream-maps-config';
import type { StreamSource } from './stream-map';

const SOURCE: StreamSource = {
  streamName: 's',
  schema: {
    type: 'object',
    properties: {
      id: { type: ['integer'] },
      email: { type: ['null', 'string'] },
      n: { type: ['null', 'number'] },
      active: { type: ['null', 'boolean'] },
      _sdc_lsn: { type: ['null', 'integer'] },
    },
  },
  keyProperties: ['id'],
};

/** Each output's body for each record body (null: left out). */
function run(map: unknown, bodies: string[], mapConfig: unknown = {}): Array<Array<string | null>> {
  const config = parseStreamMapsConfig({ s: map }, mapConfig)!;
  const { outputs } = planStream(config, SOURCE);
  const view = new RecordView();
  const transforms = outputs.map((m) => new RecordTransform(m, config.mapConfig));
  return bodies.map((body) => {
    const b = Buffer.from(body);
    view.load(b, 0, b.length);
    return transforms.map((t) => {
      if (!t.prepare(view)) return null;
      const sink = new GrowableSink(8);
      t.writeBody(sink);
      return sink.text();
    });
  });
}

const R1 = '"id":1,"email":"a@x.org","n":12345678901234567890.5,"active":true,"_sdc_lsn":7';
const R2 = '"id":2,"email":null,"n":null,"active":false,"_sdc_lsn":8';

describe('RecordTransform', () => {
  it('removes, renames (value bytes copied) and keeps the order of the SDK’s dict', () => {
    expect(run({ mail: 'email', email: null, n: "record['n']" }, [R1])).toEqual([
      ['"id":1,"n":12345678901234567890.5,"active":true,"_sdc_lsn":7,"mail":"a@x.org"'],
    ]);
  });

  it('adds a constant at the end', () => {
    expect(run({ tag: "'x'" }, [R2])).toEqual([[`${R2},"tag":"x"`]]);
  });

  it('__filter__ leaves records out', () => {
    expect(run({ __filter__: 'active' }, [R1, R2])).toEqual([[R1], [null]]);
  });

  it('__else__: null keeps key properties, mapped properties and _sdc_ ones', () => {
    expect(run({ __else__: null, id: 'id', mail: 'email' }, [R1])).toEqual([
      ['"id":1,"mail":"a@x.org","_sdc_lsn":7'],
    ]);
  });

  it('an empty output record is not emitted (the SDK drops a falsy dict)', () => {
    expect(
      run({ __else__: null, __key_properties__: null, id: null }, ['"id":1,"email":"x"']),
    ).toEqual([[null]]);
  });

  it('follows a record whose keys change (a LOG_BASED shape change)', () => {
    expect(run({ mail: 'email', email: null }, [R1, '"id":3,"email":"b","n":1', R1])).toEqual([
      ['"id":1,"n":12345678901234567890.5,"active":true,"_sdc_lsn":7,"mail":"a@x.org"'],
      ['"id":3,"n":1,"mail":"b"'],
      ['"id":1,"n":12345678901234567890.5,"active":true,"_sdc_lsn":7,"mail":"a@x.org"'],
    ]);
  });

  it('config, __stream_name__ and __original_stream_name__ are in scope', () => {
    const out = run(
      { __alias__: 'renamed', c: 'config', a: '__stream_name__', o: '__original_stream_name__' },
      ['"id":1'],
      { salt: 'x' },
    );
    expect(out).toEqual([['"id":1,"c":{"salt":"x"},"a":"renamed","o":"s"']]);
  });

  it('a failure names the stream, the property, the expression and the error', () => {
    // A LOG_BASED record without the column (dropped mid-run): the SDK's NameError.
    expect(() => run({ mail: 'email' }, ['"id":1'])).toThrow(RuntimeError);
    expect(() => run({ mail: 'email' }, ['"id":1'])).toThrow(
      /stream map of stream 's' \(source stream 's'\), property 'mail': expression "email" failed: NameError: name 'email' is not defined/,
    );
  });

  it('evaluates expressions on the decoded values, exactly', () => {
    expect(
      run(
        {
          email: 'md5(email) if email else None',
          n: 'n * 2',
          k: 'id * 10 + 1',
          up: 'email.upper() if email else email',
          whole: 'len(record)',
          __filter__: 'id < 2',
        },
        [R1, R2],
      ),
    ).toEqual([
      [
        '"id":1,"email":"a3b41ff4486881e36bcbc10292f307bb","n":24691357802469135781.0,"active":true,"_sdc_lsn":7,"k":11,"up":"A@X.ORG","whole":5',
      ],
      [null],
    ]);
  });

  it('self is the mapped property’s value', () => {
    expect(run({ n: 'self + 1' }, ['"id":1,"n":2.5'])).toEqual([['"id":1,"n":3.5']]);
  });

  it('a failing expression is a RuntimeError with the Python-like error', () => {
    expect(() => run({ k: 'int(email)' }, [R1])).toThrow(
      /property 'k': expression "int\(email\)" failed: ValueError: invalid literal for int\(\) with base 10: 'a@x.org'/,
    );
    expect(() => run({ __filter__: 'email + 1' }, [R1])).toThrow(
      /__filter__: expression "email \+ 1" failed: TypeError/,
    );
  });

  it('reads each record’s own values as its keys move, appear and go (names bound per layout)', () => {
    const map = {
      __filter__: 'id != 4',
      tag: "str(id) + ':' + (email or '-') + ':' + str(n)",
      email: "self.upper() if self else 'none'",
      n: 'int(n * 100) if n is not None else -1',
      flag: "record.get('active', 'absent')",
    };
    const bodies = [
      '"id":1,"email":"a@x.org","n":1.25,"active":true',
      '"n":-0.5,"id":2,"email":"b@x.org"',
      '"id":3,"n":2.5,"email":null',
      '"id":4,"email":"d","n":1.0',
      '"email":"e@x.org","active":false,"id":5,"n":3.75',
      '"id":6,"email":"a@x.org","n":1.25,"active":true',
    ];
    expect(run(map, bodies)).toEqual([
      ['"id":1,"email":"A@X.ORG","n":125,"active":true,"tag":"1:a@x.org:1.25","flag":true'],
      ['"n":-50,"id":2,"email":"B@X.ORG","tag":"2:b@x.org:-0.5","flag":"absent"'],
      ['"id":3,"n":250,"email":"none","tag":"3:-:2.5","flag":"absent"'],
      [null],
      ['"email":"E@X.ORG","active":false,"id":5,"n":375,"tag":"5:e@x.org:3.75","flag":false'],
      ['"id":6,"email":"A@X.ORG","n":125,"active":true,"tag":"6:a@x.org:1.25","flag":true'],
    ]);
    // One transform per record (no layout seen before) gives the same.
    expect(bodies.map((b) => run(map, [b])[0])).toEqual(run(map, bodies));
  });

  it('makes room for exactly what a record writes: each copy of a value, each key, each form', () => {
    // A sink that grows to exactly what is asked: a piece written past the room made fails.
    class ExactSink implements ByteSink {
      buf = Buffer.alloc(0);
      pos = 0;
      reserve(n: number): void {
        if (this.pos + n <= this.buf.length) return;
        const b = Buffer.alloc(this.pos + n);
        this.buf.copy(b, 0, 0, this.pos);
        this.buf = b;
      }
    }
    const long = 'x'.repeat(5000);
    const body = `"id":1,"email":"${long}","n":-1234.5,"active":true,"_sdc_lsn":7`;
    const map = {
      a: 'email',
      b: 'email',
      u: 'email.upper()',
      h: 'md5(email)',
      s: 'sha256(email)',
      i: 'int(n * 100)',
      g: 'str(n) + email',
    };
    const config = parseStreamMapsConfig({ s: map }, {})!;
    const t = new RecordTransform(planStream(config, SOURCE).outputs[0]!, config.mapConfig);
    const view = new RecordView();
    const b = Buffer.from(body);
    view.load(b, 0, b.length);
    expect(t.prepare(view)).toBe(true);
    const sink = new ExactSink();
    t.writeBody(sink);
    const o = JSON.parse(`{${sink.buf.toString('utf8', 0, sink.pos)}}`) as Record<string, unknown>;
    expect([o.email, o.a, o.b, o.u, o.i, o.g]).toEqual([
      long,
      long,
      long,
      long.toUpperCase(),
      -123450,
      `-1234.5${long}`,
    ]);
    expect([o.h, o.s]).toEqual([
      createHash('md5').update(long).digest('hex'),
      createHash('sha256').update(long).digest('hex'),
    ]);
    // Nothing reserved beyond the record.
    expect(sink.buf.length).toBe(sink.pos);
  });
});
