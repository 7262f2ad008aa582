import type { BodyEntries } from '../body-scanner';

/**
 * Where the entries of each record of a job's bodies are, as the row encoder wrote them: per
 * record each entry's key start, key end, value start and value end. With it the map worker reads
 * each record as the main thread would (RecordView.written), instead of scanning for them again.
 */
export class RecordIndex {
  ints: Int32Array;
  length = 0;
  private readonly spares: ArrayBuffer[] = [];

  constructor(private readonly initial = 16 * 1024) {
    this.ints = new Int32Array(initial);
  }

  /** One record: the encoder's entries for it. */
  push(e: BodyEntries): void {
    const n = e.n;
    if (this.length + 4 * n > this.ints.length) this.grow(4 * n);
    const a = this.ints;
    let p = this.length;
    for (let i = 0; i < n; i++) {
      a[p++] = e.keyStarts[i]!;
      a[p++] = e.keyEnds[i]!;
      a[p++] = e.valueStarts[i]!;
      a[p++] = e.valueEnds[i]!;
    }
    this.length = p;
  }

  /** What was pushed, on a buffer of its own (transferable); the index is empty again. */
  take(): Int32Array {
    const out = this.ints.subarray(0, this.length);
    const spare = this.spares.pop();
    this.ints = spare ? new Int32Array(spare) : new Int32Array(this.initial);
    this.length = 0;
    return out;
  }

  /** A buffer `take` handed out is free again. */
  giveBack(buffer: ArrayBuffer): void {
    if (this.spares.length < 4 && buffer.byteLength >= this.initial * 4) this.spares.push(buffer);
  }

  private grow(more: number): void {
    const bigger = new Int32Array(Math.max(this.ints.length * 2, this.length + more));
    bigger.set(this.ints.subarray(0, this.length));
    this.ints = bigger;
  }
}

/** Record `r`'s entries from an index of records of `columns` entries each into `e`. */
export function readIndexed(index: Int32Array, r: number, columns: number, e: BodyEntries): void {
  let p = r * 4 * columns;
  for (let i = 0; i < columns; i++) {
    e.keyStarts[i] = index[p++]!;
    e.keyEnds[i] = index[p++]!;
    e.valueStarts[i] = index[p++]!;
    e.valueEnds[i] = index[p++]!;
  }
  e.n = columns;
}
