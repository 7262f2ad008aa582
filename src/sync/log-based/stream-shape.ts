import type { JsonSchema } from '../../catalog/catalog-types';
import { RuntimeError } from '../../errors';
import type { Logger } from '../../log/logger';
import type { Lsn } from '../../replication/lsn';
import { jsonSchemaFor } from '../../types/json-schema-mapping';
import type { ResolvedType } from '../../types/resolved-type';
import { jsonString, recordBodyConverter, type ValuePolicy } from '../../values';
import type { StreamColumns } from '../stream-columns';
import type { BufferedChange, RelationLayout } from './change-encoder';
import type { TypeLookup } from './type-lookup';

type Property = Readonly<Record<string, unknown>>;

const typesOf = (p: Property): string[] => {
  const t = p.type;
  return Array.isArray(t) ? (t as string[]) : t === undefined ? [] : [t as string];
};

/** A property that also admits null (LOG_BASED: every column may be null). */
export function nullableProperty(p: Property): Property {
  const types = typesOf(p);
  return types.length && !types.includes('null') ? { ...p, type: ['null', ...types] } : p;
}

/** LOG_BASED schemas: every column nullable, plus the two columns the contract adds. */
export function logBasedSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, Property>;
  return {
    ...schema,
    properties: {
      ...Object.fromEntries(Object.entries(props).map(([k, p]) => [k, nullableProperty(p)])),
      _sdc_lsn: { type: ['null', 'integer'] },
      _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' },
    },
  };
}

/**
 * Whether values that fit `after` are stored by a target that built its column from `before`:
 * the same JSON types and format, at every array level. Bounds, lengths and scales may change
 * (int4 → int8, varchar(10) → text): the SCHEMA is sent again and targets widen the column.
 */
export function absorbs(before: Property, after: Property): boolean {
  const a = new Set(typesOf(before).filter((t) => t !== 'null'));
  const b = new Set(typesOf(after).filter((t) => t !== 'null'));
  if (a.size !== b.size || [...a].some((t) => !b.has(t))) return false;
  if (before.format !== after.format) return false;
  const ia = before.items as Property | undefined;
  const ib = after.items as Property | undefined;
  if (!ia || !ib) return !ia && !ib;
  return absorbs(elementOf(ia), elementOf(ib));
}

/** An array's element schema, whether its items nest deeper arrays (`anyOf`) or not. */
function elementOf(items: Property): Property {
  const branches = items.anyOf as readonly Property[] | undefined;
  return branches?.[0] ?? items;
}

/** A column's type as the server identifies it (pg_attribute.atttypid / atttypmod). */
export interface ColumnTypeId {
  readonly typeOid: number;
  readonly typmod: number;
}

const idOf = (t: ColumnTypeId) => `${t.typeOid}/${t.typmod}`;

/**
 * One LOG_BASED stream's schema while streaming: the catalog's columns, then the columns added
 * since, each with its current type. A Relation layout is adopted before the first change decoded
 * with it is emitted; `adopt` says when the stream's SCHEMA changed and must be sent again.
 * A dropped column stays in the schema; its values stop appearing.
 */
export class StreamShape {
  private readonly order: string[];
  private readonly properties: Record<string, Property>;
  private readonly types = new Map<string, ResolvedType>();
  private readonly typeIds = new Map<string, string>();
  private layoutId = -1;
  /** For the adopted layout: the stream-ordered positions of its texts, and the body builder. */
  private picks: number[] = [];
  private convert: (texts: readonly (string | null)[]) => string = () => '';

  constructor(
    private readonly sc: StreamColumns,
    baseline: ReadonlyMap<string, ColumnTypeId>,
    private readonly lookup: TypeLookup,
    private readonly policy: ValuePolicy,
    private readonly log: Logger,
  ) {
    const st = sc.stream;
    this.order = [...st.columns];
    this.properties = { ...((st.schema.properties ?? {}) as Record<string, Property>) };
    st.columns.forEach((c, i) => {
      if (sc.absent.includes(c)) return; // its type is learnt if a Relation still has it
      this.types.set(c, sc.types[i]!);
      const id = baseline.get(c);
      if (id) this.typeIds.set(c, idOf(id));
    });
  }

  /** The SCHEMA message's schema as the stream stands now. */
  schema(): Record<string, unknown> {
    return logBasedSchema({ ...this.sc.stream.schema, properties: this.properties });
  }

  /**
   * Makes `layout` the one records are built with. Returns true when the schema changed (a
   * column was added, or a type changed in a way the schema shows); throws when a column's new
   * type cannot be absorbed by its JSON type.
   */
  hasAdopted(layout: RelationLayout): boolean {
    return layout.id === this.layoutId;
  }

  async adopt(layout: RelationLayout): Promise<boolean> {
    if (layout.id === this.layoutId) return false;
    const st = this.sc.stream;
    let changed = false;
    for (const col of layout.columns) {
      const known = this.types.get(col.name);
      const id = idOf(col);
      if (!known && col.name in this.properties) {
        // A catalog column dropped since the run started: WAL from before the drop still has it.
        const type = await this.lookup.resolve(col.typeOid, col.typmod);
        this.types.set(col.name, type);
        this.typeIds.set(col.name, id);
        continue;
      }
      if (!known) {
        const type = await this.lookup.resolve(col.typeOid, col.typmod);
        this.order.push(col.name);
        this.types.set(col.name, type);
        this.typeIds.set(col.name, id);
        this.properties[col.name] = jsonSchemaFor(type, { nullable: true });
        this.log.info(`${st.tapStreamId}: column '${col.name}' (${type.sqlType}) added`);
        changed = true;
        continue;
      }
      const before = this.typeIds.get(col.name);
      // A decoder that cannot name the type (OID 0) keeps the known one.
      if (before === id || col.typeOid === 0) continue;
      this.typeIds.set(col.name, id);
      if (before === undefined) continue;
      const type = await this.lookup.resolve(
        col.typeOid,
        col.typmod,
        known.arrayDims > 0 ? known.arrayDims : 0,
      );
      const was = nullableProperty(this.properties[col.name] ?? {});
      const now = nullableProperty(jsonSchemaFor(type, { nullable: true }));
      if (!absorbs(was, now)) {
        throw new RuntimeError(
          `${st.tapStreamId}: column '${col.name}' changed type from ${known.sqlType} to ${type.sqlType}, which its JSON Schema (${typesOf(was).join(', ')}) cannot carry; resync this stream: remove its bookmark from the state so the next run copies ${st.schemaName}.${st.tableName} again`,
        );
      }
      this.types.set(col.name, type);
      if (JSON.stringify(was) !== JSON.stringify(now)) {
        this.properties[col.name] = now as JsonSchema;
        this.log.info(
          `${st.tapStreamId}: column '${col.name}' changed type from ${known.sqlType} to ${type.sqlType}`,
        );
        changed = true;
      }
    }
    const position = new Map(layout.columns.map((c, i) => [c.name, i]));
    const present = this.order.filter((c) => position.has(c));
    this.picks = present.map((c) => position.get(c)!);
    this.convert = recordBodyConverter(
      present.map((name) => ({ name, type: this.types.get(name)! })),
      this.policy,
    );
    this.layoutId = layout.id;
    return changed;
  }

  /** The RECORD body of a change decoded with the adopted layout, then `_sdc_lsn` and `_sdc_deleted_at`. */
  body(change: BufferedChange, lsn: Lsn, commitTime: string): string {
    const texts = this.picks.map((i) => change.texts[i]!);
    const out = this.convert(texts);
    // An LSN is a bigint: its decimal digits are exact, beyond 2^53 too.
    return `${out}${out ? ',' : ''}"_sdc_lsn":${lsn.toString()},"_sdc_deleted_at":${change.deleted ? jsonString(commitTime) : 'null'}`;
  }
}
