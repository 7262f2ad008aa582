import type { JsonSchema } from '../../catalog/catalog-types';
import type { Logger } from '../../log/logger';
import type { Lsn } from '../../replication/lsn';
import { jsonSchemaFor } from '../../types/json-schema-mapping';
import type { ResolvedType } from '../../types/resolved-type';
import { jsonString, recordBodyConverter, type ValuePolicy } from '../../values';
import { keyPropertySchema } from '../key-properties';
import type { StreamColumns } from '../stream-columns';
import type { BufferedChange, RelationLayout } from './change-encoder';
import type { ColumnOrigin } from './table-identity';
import type { TypeLookup } from './type-lookup';

type Property = Readonly<Record<string, unknown>>;

const typesOf = (p: Property): string[] => {
  const t = p.type;
  return Array.isArray(t) ? (t as string[]) : t === undefined ? [] : [t as string];
};

/** A key property's `anyOf`: its column's own schema comes first (src/sync/key-properties.ts). */
const firstBranch = (p: Property): Property =>
  Array.isArray(p.anyOf) && p.anyOf.length > 0 ? (p.anyOf[0] as Property) : p;

/** A property that also admits null (LOG_BASED: every column may be null). */
export function nullableProperty(p: Property): Property {
  if (Array.isArray(p.anyOf) && p.anyOf.length > 0) {
    const [first, ...rest] = p.anyOf as Property[];
    return { ...p, anyOf: [nullableProperty(first!), ...rest] };
  }
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
export function absorbs(wider: Property, next: Property): boolean {
  const before = firstBranch(wider);
  const after = firstBranch(next);
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

/**
 * A property's JSON types and format at every array level, bounds aside: two properties with the
 * same kind absorb each other (`absorbs`).
 */
export function jsonKind(p: Property): string {
  const first = firstBranch(p);
  const types = typesOf(first)
    .filter((t) => t !== 'null')
    .sort()
    .join('|');
  const format = typeof first.format === 'string' ? `/${first.format}` : '';
  const items = first.items as Property | undefined;
  return `${types}${format}${items ? `[${jsonKind(items)}]` : ''}${objectKind(first)}`;
}

/**
 * A composite sent as an object (`composite_as_object`): its attributes' names and kinds, so
 * that an attribute added, dropped or retyped between runs is a changed kind (the stream is
 * copied again): changes decoded before it print the type's old fields, which could not be told
 * apart by name. Empty for every other property, so earlier bookmarks keep their meaning.
 */
function objectKind(p: Property): string {
  const props = p.properties as Readonly<Record<string, Property>> | undefined;
  if (!props || typeof props !== 'object') return '';
  const inner = Object.entries(props).map(([k, v]) => `${JSON.stringify(k)}:${jsonKind(v)}`);
  return `{${inner.join(',')}}`;
}

/**
 * A change the stream's schema cannot carry (a column's JSON type changed): the stream is copied
 * again under a new version with the table's current types instead.
 */
export class ShapeNeedsCopy extends Error {}

/** Key-order-independent JSON, to compare two schemas. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems'] as const;
const LOWER = ['minimum', 'exclusiveMinimum'] as const;

/** Whether every value valid under `inner` is valid under `outer`, for the schemas types map to. */
export function fitsWithin(inner: Property, outer: Property): boolean {
  if (!absorbs(outer, inner)) return false;
  const num = (p: Property, k: string) => p[k] as number | undefined;
  for (const k of UPPER) {
    const o = num(outer, k);
    const i = num(inner, k);
    if (o !== undefined && (i === undefined || i > o)) return false;
  }
  for (const k of LOWER) {
    const o = num(outer, k);
    const i = num(inner, k);
    if (o !== undefined && (i === undefined || i < o)) return false;
  }
  const om = num(outer, 'multipleOf');
  if (om !== undefined) {
    const im = num(inner, 'multipleOf');
    if (im === undefined) return false;
    const ratio = im / om;
    if (Math.abs(ratio - Math.round(ratio)) > 1e-9) return false;
  }
  const known = new Set<string>([...UPPER, ...LOWER, 'multipleOf', 'type', 'items']);
  const rest = (p: Property) =>
    canonical(Object.fromEntries(Object.entries(p).filter(([k]) => !known.has(k))));
  if (rest(inner) !== rest(outer)) return false;
  const ii = inner.items as Property | undefined;
  const oi = outer.items as Property | undefined;
  return !ii || !oi ? ii === oi : fitsWithin(ii, oi);
}

/** Why a column met mid-stream cannot simply be added to the schema. */
const ORIGIN_WHY: Record<Exclude<ColumnOrigin, 'added'>, (c: string) => string> = {
  renamed: (c) =>
    `column '${c}' was renamed while streaming: rows no change touched keep their values under the old name only`,
  filled: (c) =>
    `column '${c}' was added with a default (or generated) while streaming: rows no change touched hold values the change stream does not send`,
  gone: (c) =>
    `column '${c}' appeared while streaming and is gone again (renamed or dropped): its rows cannot be told from the changes`,
};

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

  /**
   * `sent`: the properties of the SCHEMA the run sent first. A column whose property there is not
   * its live type's (the catalog is older than a type change) has no known type id: the first
   * Relation that has it decides, by comparing schemas.
   */
  constructor(
    private readonly sc: StreamColumns,
    sent: Readonly<Record<string, Property>>,
    baseline: ReadonlyMap<string, ColumnTypeId>,
    private readonly lookup: TypeLookup,
    private readonly policy: ValuePolicy,
    private readonly log: Logger,
    /** How a column the run did not know at its start came to be (table-identity.ts). */
    private readonly origin: (column: string) => Promise<ColumnOrigin> = () =>
      Promise.resolve('added'),
  ) {
    const st = sc.stream;
    this.order = [...st.columns];
    this.properties = { ...sent };
    st.columns.forEach((c, i) => {
      if (sc.absent.includes(c)) return; // its type is learnt if a Relation still has it
      this.types.set(c, sc.types[i]!);
      const live = nullableProperty(
        jsonSchemaFor(sc.types[i]!, {
          nullable: true,
          compositeAsObject: policy.compositeAsObject,
        }),
      );
      const id = baseline.get(c);
      // The catalog's own description of a column whose type is still the one discovered (a
      // jsonb column whose properties the user declared, for flattening or a target) is not a
      // type change: only a schema that differs from the live type's on another type is.
      const discoveredAs = st.sqlDatatypes[c];
      const sameType = discoveredAs !== undefined && discoveredAs === sc.types[i]!.sqlType;
      if (id && (sameType || canonical(nullableProperty(sent[c] ?? {})) === canonical(live))) {
        this.typeIds.set(c, idOf(id));
      }
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
        const origin = await this.origin(col.name);
        if (origin !== 'added') throw new ShapeNeedsCopy(ORIGIN_WHY[origin](col.name));
        const type = await this.lookup.resolve(col.typeOid, col.typmod);
        this.order.push(col.name);
        this.types.set(col.name, type);
        this.typeIds.set(col.name, id);
        this.properties[col.name] = jsonSchemaFor(type, {
          nullable: true,
          compositeAsObject: this.policy.compositeAsObject,
        });
        this.log.info(`${st.tapStreamId}: column '${col.name}' (${type.sqlType}) added`);
        changed = true;
        continue;
      }
      const before = this.typeIds.get(col.name);
      // A decoder that cannot name the type (OID 0) keeps the known one.
      if (before === id || col.typeOid === 0) continue;
      this.typeIds.set(col.name, id);
      const type = await this.lookup.resolve(
        col.typeOid,
        col.typmod,
        known.arrayDims > 0 ? known.arrayDims : 0,
      );
      const keyed: ResolvedType = known.keyColumn ? { ...type, keyColumn: true } : type;
      const was = nullableProperty(this.properties[col.name] ?? {});
      const fresh = jsonSchemaFor(type, {
        nullable: true,
        compositeAsObject: this.policy.compositeAsObject,
      });
      const now = nullableProperty(known.keyColumn ? keyPropertySchema(fresh, keyed) : fresh);
      // An older or narrower type (WAL from before a widening, or a narrowing): its values fit
      // the schema already sent.
      if (fitsWithin(now, was)) {
        this.types.set(col.name, keyed);
        continue;
      }
      if (!absorbs(was, now)) {
        throw new ShapeNeedsCopy(
          `column '${col.name}' is ${type.sqlType} in a change and ${known.sqlType} in the stream's schema (${typesOf(was).join(', ')}), which cannot carry it`,
        );
      }
      this.types.set(col.name, keyed);
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
