/**
 * A JSON value that must be printed exactly as given: a bookmark taken from a RECORD (a bigint or
 * numeric replication key keeps all its digits). `serializeState` splices it in unchanged.
 */
export class RawJson {
  constructor(readonly json: string) {}
  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
  /** A number's digits as written (what a query parameter needs). */
  toString(): string {
    return this.json;
  }
}
