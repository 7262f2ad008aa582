import { putString, type ByteSink } from '../values/byte-sink';
import { flattenRecordEntries, flattenSchema, type FlatteningOptions } from './flattening';
import type { RecordStep, RecordStepFactory } from './record-step';
import { putRange } from './byte-copy';
import type { RecordView } from './record-view';
import type { Schema } from './schema-types';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const QUOTE = 0x22;

/**
 * Flattening as the last stage of every output (after the stream's map, as in the Meltano SDK):
 * the SCHEMA is flattened once, and a record's entries are copied as they are unless their value
 * is an object or array, or a scalar where the flattened schema allows only text.
 */
class FlattenStep implements RecordStep {
  private view: RecordView | undefined;
  /** Property names of the flattened schema that allow nothing but a string (or null). */
  private readonly textOnly: ReadonlySet<string>;

  constructor(
    private readonly flat: Schema,
    private readonly options: FlatteningOptions,
  ) {
    const props = (flat.properties ?? {}) as Record<string, Schema>;
    this.textOnly = new Set(
      Object.entries(props)
        .filter(([, s]) => {
          const t = s.type;
          const types = typeof t === 'string' ? [t] : Array.isArray(t) ? (t as string[]) : [];
          return types.length > 0 && types.every((x) => x === 'string' || x === 'null');
        })
        .map(([k]) => k),
    );
  }

  schema(before: Schema): Schema {
    return flattenSchema(before, this.options);
  }

  prepare(view: RecordView): boolean {
    this.view = view;
    return true;
  }

  writeBody(sink: ByteSink): void {
    const view = this.view!;
    const e = view.entries;
    const b = view.buf;
    let first = true;
    for (let i = 0; i < e.n; i++) {
      const key = view.keys[i]!;
      const vs = e.valueStarts[i]!;
      const ve = e.valueEnds[i]!;
      const c = b[vs]!;
      const plain =
        c !== OPEN_BRACE &&
        c !== OPEN_BRACKET &&
        key.length < this.options.maxKeyLength &&
        (c === QUOTE || !this.textOnly.has(key) || b.toString('latin1', vs, ve) === 'null');
      if (plain) {
        if (!first) putString(sink, ',');
        putRange(sink, b, e.keyStarts[i]!, ve);
        first = false;
        continue;
      }
      const json = b.toString('utf8', vs, ve);
      for (const [k, v] of flattenRecordEntries([[key, json]], this.flat, this.options)) {
        putString(sink, `${first ? '' : ','}${JSON.stringify(k)}:${v}`);
        first = false;
      }
    }
  }
}

/** The flattening stage of each output, its SCHEMA flattened from the map's. */
export function flatteningStep(options: FlatteningOptions): RecordStepFactory {
  return (output) => new FlattenStep(flattenSchema(output.schema, options), options);
}
