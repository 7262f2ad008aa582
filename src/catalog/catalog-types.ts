import type { ReplicationMethod } from '../config/tap-config';

/**
 * The Singer catalog as discovery emits it. Users hand it back with their own keys
 * added (`selected`, `replication-method`, …) and sometimes with keys of other taps, so every
 * object also admits unknown keys; `schemas/catalog.schema.json` is the validated input shape.
 */

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type JsonSchemaType =
  'null' | 'boolean' | 'integer' | 'number' | 'string' | 'object' | 'array';

/** The draft-07 keywords the tap writes; any other keyword of a user's catalog passes through. */
export interface JsonSchema {
  /** Always a list in what discovery writes, `'null'` first when the column is nullable. */
  readonly type?: JsonSchemaType | readonly JsonSchemaType[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly format?: string;
  readonly enum?: readonly JsonValue[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly multipleOf?: number;
  readonly maxLength?: number;
  readonly [keyword: string]: unknown;
}

export type Inclusion = 'automatic' | 'available' | 'unsupported';

/** Root metadata (`breadcrumb: []`). The optional keys are the user's. */
export interface StreamMetadata {
  readonly 'table-key-properties': readonly string[];
  readonly 'schema-name': string;
  readonly 'database-name': string;
  readonly 'is-view': boolean;
  /** pg_class.reltuples: an estimate, 0 when the table was never analysed. */
  readonly 'row-count': number;
  readonly 'valid-replication-keys': readonly string[];
  readonly 'selected-by-default': boolean;
  /** LOG_BASED is left out for views and UNLOGGED tables. */
  readonly 'valid-replication-methods': readonly ReplicationMethod[];
  /** An UNLOGGED table writes no WAL: it cannot be LOG_BASED. */
  readonly 'is-unlogged': boolean;
  /** Tables only: which old values an UPDATE or DELETE carries in the WAL. */
  readonly 'replica-identity'?: 'default' | 'full' | 'index' | 'nothing';
  readonly selected?: boolean;
  readonly 'replication-method'?: ReplicationMethod;
  readonly 'forced-replication-method'?: ReplicationMethod;
  readonly 'replication-key'?: string;
  readonly [key: string]: unknown;
}

/** Column metadata (`breadcrumb: ['properties', column]`). */
export interface PropertyMetadata {
  /** `format_type(atttypid, atttypmod)`: `numeric(12,2)`, `character varying(50)`, `integer[]`. */
  readonly 'sql-datatype': string;
  readonly inclusion: Inclusion;
  readonly 'selected-by-default': boolean;
  readonly selected?: boolean;
  readonly [key: string]: unknown;
}

export interface StreamMetadataEntry {
  readonly breadcrumb: readonly [];
  readonly metadata: StreamMetadata;
}

export interface PropertyMetadataEntry {
  readonly breadcrumb: readonly ['properties', string];
  readonly metadata: PropertyMetadata;
}

export type MetadataEntry = StreamMetadataEntry | PropertyMetadataEntry;

export interface CatalogStream {
  /** `<schema>-<table>` (pipelinewise, MeltanoLabs). */
  readonly tap_stream_id: string;
  /** Same as tap_stream_id: the stream name of SCHEMA and RECORD messages. */
  readonly stream: string;
  readonly table_name: string;
  /** `{ type: 'object', properties: { <column>: … } }`, columns in table order. */
  readonly schema: JsonSchema;
  /** The root entry first, then one entry per column in table order. */
  readonly metadata: readonly MetadataEntry[];
  // Mirrors of the root metadata at the top level, where the Meltano SDK reads them.
  readonly key_properties: readonly string[];
  readonly replication_method?: ReplicationMethod;
  readonly replication_key?: string;
  readonly is_view: boolean;
}

export interface Catalog {
  readonly streams: readonly CatalogStream[];
}
