import type { Lsn } from '../../replication/lsn';
import type {
  DeleteMessage,
  InsertMessage,
  RelationMessage,
  Tuple,
  UpdateMessage,
} from '../../replication/pgoutput/messages';
import type { ResolvedType } from '../../types/resolved-type';
import { jsonString, recordBodyConverter, type ValuePolicy } from '../../values';

/** A LOG_BASED stream as the encoder needs it: its table and selected columns with their types. */
export interface LogStreamTarget {
  readonly tapStreamId: string;
  readonly schemaName: string;
  readonly tableName: string;
  readonly columns: readonly string[];
  readonly types: readonly ResolvedType[];
}

/**
 * One change as PostgreSQL text per selected column, before conversion. `missing` lists the
 * positions of unchanged TOAST values the server did not send and no old tuple carried: the
 * caller fetches them by key (never emits them as null) and then calls `body`.
 */
export interface DecodedChange {
  readonly target: LogStreamTarget;
  readonly texts: (string | null)[];
  readonly missing: readonly number[];
  readonly deleted: boolean;
}

interface RelationPlan {
  readonly target: LogStreamTarget;
  /** For each selected column, its index in the Relation's tuples, or -1 when absent. */
  readonly sourceIndex: readonly number[];
}

const targetKey = (schema: string, table: string) => JSON.stringify([schema, table]);

/**
 * Turns pgoutput changes into RECORD bodies through the same converters as FULL_TABLE, so a row
 * renders identically whichever way it travelled. Relation messages are authoritative for the
 * tuple layout; changes of tables no stream selected cost one map lookup.
 */
export class ChangeEncoder {
  private readonly targets = new Map<string, LogStreamTarget>();
  private readonly plans = new Map<number, RelationPlan | null>();
  private readonly bodies = new Map<
    LogStreamTarget,
    (texts: readonly (string | null)[]) => string
  >();

  constructor(
    targets: readonly LogStreamTarget[],
    private readonly policy: ValuePolicy,
  ) {
    for (const t of targets) this.targets.set(targetKey(t.schemaName, t.tableName), t);
  }

  relation(msg: RelationMessage): void {
    const target = this.targets.get(targetKey(msg.schema, msg.name));
    if (!target) {
      this.plans.set(msg.relationId, null);
      return;
    }
    const byName = new Map(msg.columns.map((c, i) => [c.name, i]));
    this.plans.set(msg.relationId, {
      target,
      sourceIndex: target.columns.map((c) => byName.get(c) ?? -1),
    });
  }

  /** The change's texts in the stream's column order; null when no selected stream wants it. */
  decode(change: InsertMessage | UpdateMessage | DeleteMessage): DecodedChange | null {
    const plan = this.plans.get(change.relationId);
    if (!plan) return null;
    const deleted = change.tag === 'delete';
    const image: Tuple | undefined =
      change.tag === 'delete' ? (change.old ?? change.key) : change.newTuple;
    const old: Tuple | undefined = change.tag === 'update' ? change.old : undefined;
    const texts: (string | null)[] = [];
    const missing: number[] = [];
    plan.sourceIndex.forEach((i, j) => {
      const v = i >= 0 && image ? image[i] : undefined;
      if (v?.kind === 'text') texts.push(v.text);
      else if (v?.kind === 'unchanged') {
        const before = old?.[i];
        if (before?.kind === 'text') texts.push(before.text);
        else {
          texts.push(null);
          missing.push(j);
        }
      } else texts.push(null);
    });
    return { target: plan.target, texts, missing, deleted };
  }

  /** The RECORD body: every selected column, then `_sdc_lsn` and `_sdc_deleted_at`. */
  body(change: DecodedChange, lsn: Lsn, commitTime: string): string {
    let columns = this.bodies.get(change.target);
    if (!columns) {
      const t = change.target;
      columns = recordBodyConverter(
        t.columns.map((name, j) => ({ name, type: t.types[j]! })),
        this.policy,
      );
      this.bodies.set(t, columns);
    }
    const out = columns(change.texts);
    // An LSN is a bigint: its decimal digits are exact, beyond 2^53 too.
    return `${out}${out ? ',' : ''}"_sdc_lsn":${lsn.toString()},"_sdc_deleted_at":${change.deleted ? jsonString(commitTime) : 'null'}`;
  }
}
