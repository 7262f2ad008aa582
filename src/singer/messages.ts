/** Singer message shapes. RECORD lines are built by `writer.ts` without objects. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface SchemaMessage {
  readonly type: 'SCHEMA';
  readonly stream: string;
  readonly schema: JsonSchema;
  readonly key_properties: readonly string[];
  readonly bookmark_properties: readonly string[];
}

export interface StateMessage {
  readonly type: 'STATE';
  readonly value: unknown;
}

export interface ActivateVersionMessage {
  readonly type: 'ACTIVATE_VERSION';
  readonly stream: string;
  readonly version: number;
}

export type SingerMessage = SchemaMessage | StateMessage | ActivateVersionMessage;
