import { rmSync } from 'node:fs';
import fc from 'fast-check';
import type { ClientBase } from 'pg';
import { lastState, parseMessages, selectStreams, type Message } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { compareHeld, replay, SchemaChecker } from './support/replay';
import { runTap, tempFiles } from './support/run-tap';
import { dropSlotWhenReleased } from './support/slots';
import { adminUrl, createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Random histories of DML, DDL and LOG_BASED runs, each run resuming from the previous run's last
 * STATE, on real servers (pgoutput on the run's server, wal2json on the Debian one). After every
 * run: each RECORD validates against the last SCHEMA of its stream, and replaying everything
 * printed so far gives what a FULL_TABLE copy of the tables gives now.
 *
 * TAP_POSTGRES_HISTORY_RUNS=<n>: histories per decoder (default 10: seconds, not minutes).
 * TAP_POSTGRES_HISTORY_STEPS: the step kinds to draw from: `all`, `each` (every kind alone with
 *   insert, update and delete, one test each), or `kind,kind;kind,…` (one test per set); default
 *   ENABLED_STEPS.
 * TAP_POSTGRES_HISTORY_SECONDS=<s>: time for each test's histories and the shrinking of a failure.
 * TAP_POSTGRES_HISTORY_SEED=<seed>: replay the histories of a reported seed (with the same
 *   TAP_POSTGRES_HISTORY_STEPS: the kinds shape what a seed draws).
 */

const STEP_KINDS = [
  'insert',
  'update',
  'update-pk',
  'delete',
  'partitioned-dml',
  'transaction',
  'add-column',
  'add-generated-column',
  'drop-column',
  'rename-column',
  'retype-int-bigint',
  'retype-int-text',
  'retype-varchar',
  'drop-create-table',
  'partition-attach',
  'partition-detach',
  'partition-truncate',
  'truncate-table',
  'replica-identity-full',
  'replica-identity-default',
  'replica-identity-index',
] as const;
type Kind = (typeof STEP_KINDS)[number];
type Decoder = 'pgoutput' | 'wal2json';

/**
 * The step kinds each decoder's histories draw from: what the tap handles today. Each kind below
 * "enable when fixed" broke an invariant on its own (with insert, update and delete).
 */
const ENABLED_STEPS: Record<Decoder, readonly Kind[]> = {
  pgoutput: [
    'insert',
    'update',
    'delete',
    'partitioned-dml',
    'transaction',
    'add-column',
    'drop-column',
    'retype-int-bigint',
    'retype-varchar',
    'truncate-table',
    'replica-identity-full',
    'replica-identity-default',
    'update-pk',
    'add-generated-column',
    'rename-column',
    'retype-int-text',
    'drop-create-table',
    'partition-attach',
    'partition-detach',
    'partition-truncate',
    'replica-identity-index',
  ],
  wal2json: [
    'insert',
    'update',
    'delete',
    'transaction',
    'add-column',
    'drop-column',
    'retype-int-bigint',
    'retype-varchar',
    'truncate-table',
    'replica-identity-full',
    'replica-identity-default',
    'partitioned-dml',
    'update-pk',
    'add-generated-column',
    'rename-column',
    'retype-int-text',
    'drop-create-table',
    'partition-attach',
    'partition-detach',
    'partition-truncate',
    'replica-identity-index',
  ],
};

/** Insert, update and delete on the partitioned table are their own kind. */
const DML: readonly Kind[] = ['insert', 'update', 'update-pk', 'delete', 'partitioned-dml'];

/** Always drawn with `each`: the kind under test needs rows to act on and changes to carry. */
const BASE: readonly Kind[] = ['insert', 'update', 'delete'];

/** The sets of step kinds to run, each its own test per decoder. */
function kindSets(
  decoder: Decoder,
  env = process.env.TAP_POSTGRES_HISTORY_STEPS,
): Array<readonly Kind[]> {
  if (!env) return [ENABLED_STEPS[decoder]];
  if (env === 'all') return [STEP_KINDS];
  if (env === 'each') return STEP_KINDS.filter((k) => !BASE.includes(k)).map((k) => [...BASE, k]);
  return env.split(';').map((set) => {
    const kinds = set.split(',').map((k) => k.trim());
    for (const k of kinds)
      if (!(STEP_KINDS as readonly string[]).includes(k))
        throw new Error(`TAP_POSTGRES_HISTORY_STEPS: unknown step kind '${k}'`);
    return kinds as Kind[];
  });
}

const TABLES = ['items', 'pairs', 'parted', 'big'] as const;
type TableName = (typeof TABLES)[number];
const STREAMS = TABLES.map((t) => `public-${t}`);

/** `n` rows, `pick` chooses which rows, column, mode or partition: shrinking makes both small. */
type Step =
  | { kind: 'run' }
  | { kind: 'transaction'; ops: Step[] }
  | { kind: Exclude<Kind, 'transaction'>; table: TableName; n: number; pick: number };

function stepArbitrary(kinds: readonly Kind[]): fc.Arbitrary<Step> {
  const tablesFor = (kind: Kind): readonly TableName[] => {
    if (kind.startsWith('partition')) return ['parted'];
    if (kind === 'insert' || kind === 'update' || kind === 'delete')
      return ['items', 'pairs', 'big'];
    // A partitioned table's partitions carry its replica identity, and dropping it drops them.
    if (kind === 'drop-create-table' || kind.startsWith('replica-identity-'))
      return kind === 'replica-identity-index' ? ['items'] : ['items', 'pairs', 'big'];
    return TABLES;
  };
  const simple = (kind: Exclude<Kind, 'transaction'>) =>
    fc.record({
      kind: fc.constant(kind),
      table: fc.constantFrom(...tablesFor(kind)),
      n: fc.integer({ min: 1, max: 3 }),
      pick: fc.nat(9),
    });
  const dml = kinds.filter((k) => DML.includes(k)) as Exclude<Kind, 'transaction'>[];
  const arbs: Array<{ arbitrary: fc.Arbitrary<Step>; weight: number }> = [];
  for (const kind of kinds) {
    if (kind === 'transaction') {
      if (dml.length === 0) continue;
      const op = fc.oneof(...dml.map(simple));
      const ops = fc.array(op, { minLength: 2, maxLength: 3 });
      arbs.push({ arbitrary: fc.record({ kind: fc.constant('transaction'), ops }), weight: 1 });
    } else {
      arbs.push({ arbitrary: simple(kind), weight: 1 });
    }
  }
  const run = fc.constant<Step>({ kind: 'run' });
  const total = arbs.reduce((s, a) => s + a.weight, 0);
  // About one run in four steps: enough changes between runs, and checks often.
  return fc.oneof({ arbitrary: run, weight: Math.ceil(total / 3) }, ...arbs);
}

interface Col {
  type: string;
  generated?: boolean;
}

interface TableModel {
  keys: Array<[string, string]>;
  /** Columns no step drops or retypes (the unique index's, the TOASTed one). */
  base: Array<[string, string]>;
  extras: Map<string, Col>;
}

const initialModel = (t: TableName): TableModel => {
  const extras = (...cols: Array<[string, string]>) =>
    new Map(cols.map(([n, type]) => [n, { type }]));
  switch (t) {
    case 'items':
      return {
        keys: [['id', 'int']],
        base: [['uid', 'int']],
        extras: extras(['n', 'int'], ['v', 'varchar(20)'], ['note', 'text']),
      };
    case 'pairs':
      return {
        keys: [
          ['a', 'int'],
          ['b', 'text'],
        ],
        base: [],
        extras: extras(['n', 'int'], ['v', 'varchar(20)']),
      };
    case 'parted':
      return {
        keys: [
          ['id', 'int'],
          ['region', 'text'],
        ],
        base: [],
        extras: extras(['n', 'int'], ['v', 'varchar(20)']),
      };
    case 'big':
      return { keys: [['id', 'int']], base: [['body', 'text']], extras: extras(['n', 'int']) };
  }
};

/** Above the TOAST threshold and incompressible, so it is stored out of line. */
const bigText = (k: number) =>
  `(SELECT string_agg(md5(i::text || '-${k}'), '') FROM generate_series(1, 100) i)`;

const PARTITIONS = ['eu', 'us', 'asia', 'oc'];

/** The source database of one history, its model (what columns exist), and the tap runs on it. */
class History {
  private readonly model = new Map<TableName, TableModel>(TABLES.map((t) => [t, initialModel(t)]));
  private attached = ['eu', 'us'];
  private counter = 100;
  readonly files = tempFiles();
  private readonly config: string;
  private readonly all: Message[] = [];
  private readonly schemas = new SchemaChecker();
  private state: unknown;
  runs = 0;
  readonly sql: string[] = [];

  constructor(
    readonly db: TestDatabase,
    readonly slot: string,
    plugin: Decoder,
  ) {
    this.config = this.files.write('config.json', {
      ...db.config,
      logical_decoding_plugin: plugin,
      replication_slot: slot,
      logical_poll_total_seconds: 2,
    });
  }

  async setUp(): Promise<void> {
    const sql = [
      ...(['items', 'pairs', 'big'] as const).map((t) => this.createSql(t)),
      `CREATE TABLE parted (id int, region text, n int, v varchar(20), PRIMARY KEY (id, region))
         PARTITION BY LIST (region)`,
      `CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu')`,
      `CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us')`,
      ...TABLES.map((t) => this.insertSql(t, 4, [1, 2, 3, 4])),
    ];
    await this.exec(sql.join(';\n'));
    // PostgreSQL 18 refuses UPDATE and DELETE on a table with REPLICA IDENTITY FULL and a stored
    // generated column its publication leaves out.
    const v = await this.db.query<{ n: string }>(
      `SELECT current_setting('server_version_num') AS n`,
    );
    const generated = Number(v[0]!.n) >= 180000 ? ', publish_generated_columns = stored' : '';
    // FOR ALL TABLES: a table dropped and created again is published without the test's help.
    await this.exec(
      `CREATE PUBLICATION tap_postgres FOR ALL TABLES WITH (publish_via_partition_root = true${generated})`,
    );
  }

  private createSql(t: 'items' | 'pairs' | 'big'): string {
    const m = initialModel(t);
    const cols = [...m.keys, ...m.base, ...[...m.extras].map(([n, c]) => [n, c.type])];
    const pk = m.keys.map(([k]) => k).join(', ');
    const create = `CREATE TABLE ${t} (${cols.map(([n, ty]) => `${n} ${ty}`).join(', ')}, PRIMARY KEY (${pk}))`;
    return t === 'items'
      ? `${create}; ALTER TABLE items ALTER COLUMN uid SET NOT NULL; CREATE UNIQUE INDEX items_uid ON items (uid)`
      : create;
  }

  private valueSql(table: TableName, col: string, type: string, k: number, i: number): string {
    if (table === 'pairs' && col === 'b') return `'${['x', 'y'][i % 2]}'`;
    if (table === 'parted' && col === 'region')
      return `'${this.attached[i % this.attached.length]}'`;
    if (col === 'body') return bigText(k);
    if (type === 'int' || type === 'bigint') return String(k);
    const len = /^varchar\((\d+)\)$/.exec(type);
    if (len) return `'${`v${k}`.slice(0, Number(len[1]))}'`;
    return `'t${k}'`;
  }

  private insertSql(table: TableName, n: number, ids?: number[], into: string = table): string {
    const m = this.model.get(table)!;
    const cols = [
      ...m.keys,
      ...m.base,
      ...[...m.extras].filter(([, c]) => !c.generated).map(([n, c]) => [n, c.type]),
    ];
    const rows = Array.from({ length: n }, (_, i) => {
      const id = ids?.[i] ?? ++this.counter;
      const vals = cols.map(([c, ty]) =>
        m.keys[0]![0] === c || c === 'uid' ? String(id) : this.valueSql(table, c!, ty!, id, i),
      );
      return `(${vals.join(', ')})`;
    });
    return `INSERT INTO ${into} (${cols.map(([c]) => c).join(', ')}) VALUES ${rows.join(', ')}`;
  }

  /** The rows a DML step touches: `n` rows from a position `pick` chooses. */
  private chosen(table: TableName, n: number, pick: number): string {
    const keys = this.model
      .get(table)!
      .keys.map(([k]) => k)
      .join(', ');
    return `(${keys}) IN (SELECT ${keys} FROM ${table} ORDER BY ${keys} OFFSET ${pick % 4} LIMIT ${n})`;
  }

  private dmlSql(step: Extract<Step, { table: TableName }>): string | null {
    const { table, n, pick } = step;
    const m = this.model.get(table)!;
    switch (step.kind) {
      case 'insert':
        return this.insertSql(table, n);
      case 'update': {
        const k = ++this.counter;
        const settable = [...m.extras].filter(([, c]) => !c.generated);
        const sets = settable.length
          ? [settable[pick % settable.length]!].map(
              ([c, { type }]) => `${c} = ${this.valueSql(table, c, type, k, 0)}`,
            )
          : [`${m.keys[0]![0]} = ${m.keys[0]![0]}`];
        // The TOASTed column is left alone in most updates: that is when it arrives unchanged.
        if (table === 'big' && pick % 3 === 0) sets.push(`body = ${bigText(k)}`);
        return `UPDATE ${table} SET ${sets.join(', ')} WHERE ${this.chosen(table, n, pick)}`;
      }
      case 'update-pk': {
        const id = m.keys[0]![0];
        return `UPDATE ${table} SET ${id} = ${id} + 10000 WHERE ${this.chosen(table, n, pick)}`;
      }
      case 'delete':
        return `DELETE FROM ${table} WHERE ${this.chosen(table, n, pick)}`;
      case 'partitioned-dml': {
        const kind = (['insert', 'update', 'delete'] as const)[pick % 3]!;
        return this.dmlSql({ ...step, kind });
      }
      default:
        return null;
    }
  }

  private ddlSql(step: Extract<Step, { table: TableName }>): string | null {
    const { table, n, pick } = step;
    const m = this.model.get(table)!;
    const extras = [...m.extras];
    const plain = extras.filter(([, c]) => !c.generated);
    const ofType = (re: RegExp) => plain.filter(([, c]) => re.test(c.type));
    const one = <T>(xs: T[]) => (xs.length ? xs[pick % xs.length]! : undefined);
    switch (step.kind) {
      case 'add-column': {
        const name = `c${++this.counter}`;
        const type = ['int', 'text', 'varchar(12)'][pick % 3]!;
        m.extras.set(name, { type });
        // Every other one with a default: existing rows then hold a value no change sends.
        const dflt =
          Math.floor(pick / 3) % 2 === 1 ? (type === 'int' ? ' DEFAULT 7' : " DEFAULT 'dflt'") : '';
        return `ALTER TABLE ${table} ADD COLUMN ${name} ${type}${dflt}`;
      }
      case 'add-generated-column': {
        const name = `g${++this.counter}`;
        m.extras.set(name, { type: 'int', generated: true });
        return `ALTER TABLE ${table} ADD COLUMN ${name} int GENERATED ALWAYS AS (${m.keys[0]![0]} * 2) STORED`;
      }
      case 'drop-column': {
        const col = one(extras);
        if (!col) return null;
        m.extras.delete(col[0]);
        return `ALTER TABLE ${table} DROP COLUMN ${col[0]}`;
      }
      case 'rename-column': {
        const col = one(extras);
        if (!col) return null;
        const name = `r${++this.counter}`;
        m.extras.delete(col[0]);
        m.extras.set(name, col[1]);
        return `ALTER TABLE ${table} RENAME COLUMN ${col[0]} TO ${name}`;
      }
      case 'retype-int-bigint': {
        const col = one(ofType(/^int$/));
        if (!col) return null;
        col[1].type = 'bigint';
        return `ALTER TABLE ${table} ALTER COLUMN ${col[0]} TYPE bigint`;
      }
      case 'retype-int-text': {
        const col = one(ofType(/^(int|bigint)$/));
        if (!col) return null;
        col[1].type = 'text';
        return `ALTER TABLE ${table} ALTER COLUMN ${col[0]} TYPE text`;
      }
      case 'retype-varchar': {
        const col = one(ofType(/^varchar/));
        if (!col) return null;
        const len = 3 + ((pick * 7) % 40);
        col[1].type = `varchar(${len})`;
        return `ALTER TABLE ${table} ALTER COLUMN ${col[0]} TYPE varchar(${len}) USING left(${col[0]}, ${len})`;
      }
      case 'drop-create-table': {
        if (table === 'parted') return null;
        this.model.set(table, initialModel(table));
        // Separate transactions, and n = 1 leaves the new table empty: no change of the new
        // table need follow the DROP.
        const ids = Array.from({ length: n - 1 }, (_, i) => i + 1 + pick);
        return [`DROP TABLE ${table}`, this.createSql(table)]
          .concat(ids.length ? [this.insertSql(table, ids.length, ids)] : [])
          .join(';\n-- next transaction\n');
      }
      case 'truncate-table':
        return `TRUNCATE ${table}`;
      case 'replica-identity-full':
        return `ALTER TABLE ${table} REPLICA IDENTITY FULL`;
      case 'replica-identity-default':
        return `ALTER TABLE ${table} REPLICA IDENTITY DEFAULT`;
      case 'replica-identity-index':
        return `ALTER TABLE items REPLICA IDENTITY USING INDEX items_uid`;
      case 'partition-attach': {
        const region = one(PARTITIONS.filter((p) => !this.attached.includes(p)));
        if (!region) return null;
        const part = `parted_${region}`;
        const saved = this.attached;
        this.attached = [region];
        const load = this.insertSql('parted', n, undefined, part);
        this.attached = [...saved, region];
        return [
          `DROP TABLE IF EXISTS ${part}`,
          `CREATE TABLE ${part} (LIKE parted INCLUDING ALL)`,
          load,
          `ALTER TABLE parted ATTACH PARTITION ${part} FOR VALUES IN ('${region}')`,
        ].join('; ');
      }
      case 'partition-detach': {
        const region = one(this.attached.filter((p) => p !== 'eu'));
        if (!region) return null;
        this.attached = this.attached.filter((p) => p !== region);
        return `ALTER TABLE parted DETACH PARTITION parted_${region}`;
      }
      case 'partition-truncate': {
        const region = one(this.attached);
        return region ? `TRUNCATE parted_${region}` : null;
      }
      default:
        return null;
    }
  }

  async step(step: Step): Promise<void> {
    if (step.kind === 'run') return this.run();
    if (step.kind === 'transaction') {
      const stmts = step.ops
        .map((op) => (op.kind === 'run' || op.kind === 'transaction' ? null : this.dmlSql(op)))
        .filter((s): s is string => s !== null);
      return this.exec(`BEGIN; ${stmts.join('; ')}; COMMIT`);
    }
    const sql = DML.includes(step.kind) ? this.dmlSql(step) : this.ddlSql(step);
    for (const tx of sql?.split(';\n-- next transaction\n') ?? []) await this.exec(tx);
  }

  private async exec(sql: string): Promise<void> {
    this.sql.push(sql);
    try {
      await this.db.query(sql);
    } catch (e) {
      await this.db.query('ROLLBACK').catch(() => {});
      throw new Error(`the history's own SQL failed (a generator bug): ${String(e)}\n${sql}`);
    }
  }

  /** A LOG_BASED run from the last STATE, then both invariants. */
  async run(): Promise<void> {
    this.runs += 1;
    const n = this.runs;
    const disc = await runTap(['--config', this.config, '--discover']);
    if (disc.code !== 0) throw new Error(`discovery before run ${n}: ${disc.stderr}`);
    const discovered = JSON.parse(disc.stdout) as Parameters<typeof selectStreams>[0];
    const catalog = (method: 'LOG_BASED' | 'FULL_TABLE') =>
      this.files.write(
        `catalog-${method}-${n}.json`,
        selectStreams(discovered, Object.fromEntries(STREAMS.map((s) => [s, { method }]))),
      );
    const args = ['--config', this.config, '--catalog', catalog('LOG_BASED')];
    if (this.state !== undefined)
      args.push('--state', this.files.write(`state-${n}.json`, this.state));
    const r = await runTap(args);
    const msgs = parseMessages(r.stdout);
    this.all.push(...msgs);
    if (r.code !== 0)
      throw new Error(
        `LOG_BASED run ${n} exited ${r.code}: ${r.stderrLines.filter((l) => l.startsWith('CRITICAL')).join(' ')}`,
      );
    this.state = lastState(msgs) ?? this.state;

    const broken = this.schemas.violations(msgs);
    if (broken.length)
      throw new Error(`run ${n}: RECORDs that break their SCHEMA:\n${broken.join('\n')}`);

    const full = await runTap(['--config', this.config, '--catalog', catalog('FULL_TABLE')]);
    if (full.code !== 0) throw new Error(`FULL_TABLE copy after run ${n}: ${full.stderr}`);
    const diffs = compareHeld(replay(parseMessages(full.stdout)), replay(this.all));
    if (diffs.length)
      throw new Error(`after run ${n}, the replay differs from the tables:\n${diffs.join('\n')}`);
  }
}

const describeWal2json = wal2jsonSkipped() ? describe.skip : describe;
const HISTORIES = Number(process.env.TAP_POSTGRES_HISTORY_RUNS ?? 10);
const SEED = process.env.TAP_POSTGRES_HISTORY_SEED;
const totals = { histories: 0, steps: 0, runs: 0 };
// A failing history is shrunk by running it again and again; fast-check stops that in time to
// report the smallest failing history found so far.
const BUDGET_MS =
  Number(process.env.TAP_POSTGRES_HISTORY_SECONDS ?? 0) * 1000 ||
  Math.max(120_000, HISTORIES * 30_000);

async function histories(
  plugin: Decoder,
  admin: () => string,
  kinds: readonly Kind[],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArbitrary(kinds), { minLength: 1, maxLength: 14 }),
      async (steps) => {
        const db = await createTestDatabase('hist', admin());
        const slot = `hist_${db.name}`;
        const h = new History(db, slot, plugin);
        try {
          await h.setUp();
          for (const s of steps) await h.step(s);
          // Every history ends with a run, so its last changes are checked too.
          if (steps.at(-1)?.kind !== 'run') await h.run();
          totals.histories += 1;
          totals.steps += steps.length;
          totals.runs += h.runs;
        } catch (e) {
          const sql = h.sql.join(';\n');
          throw new Error(`${(e as Error).message}\nthe history's SQL:\n${sql.slice(-4000)}`);
        } finally {
          // db.drop cannot drop a slot whose walsender has not exited yet.
          const client = {
            query: async (q: string, p: unknown[]) => ({ rows: await db.query(q, p) }),
          };
          await dropSlotWhenReleased(client as unknown as Pick<ClientBase, 'query'>, slot).catch(
            () => {},
          );
          await db.drop();
          rmSync(h.files.dir, { recursive: true, force: true });
        }
      },
    ),
    {
      numRuns: HISTORIES,
      ...(SEED === undefined ? {} : { seed: Number(SEED) }),
      interruptAfterTimeLimit: BUDGET_MS,
      markInterruptAsFailure: false,
    },
  );
}

describe('LOG_BASED histories', () => {
  const started = Date.now();
  afterAll(() => {
    const disabled = (d: Decoder) => STEP_KINDS.filter((k) => !ENABLED_STEPS[d].includes(k));
    console.log(
      `${totals.histories} histories, ${totals.steps} steps, ${totals.runs} tap runs in ` +
        `${Math.round((Date.now() - started) / 1000)} s` +
        (process.env.TAP_POSTGRES_HISTORY_STEPS
          ? ` (step kinds: ${process.env.TAP_POSTGRES_HISTORY_STEPS})`
          : (['pgoutput', 'wal2json'] as const)
              .filter((d) => disabled(d).length > 0)
              .map((d) => `; not enabled on ${d}: ${disabled(d).join(', ')}`)
              .join('')),
    );
  });

  const tests = (decoder: Decoder, admin: () => string) => {
    const sets = kindSets(decoder);
    for (const kinds of sets) {
      const name = sets.length === 1 ? '' : ` [${kinds.join(',')}]`;
      it(
        `${decoder}: the replay of every run so far equals the tables${name}`,
        () => histories(decoder, admin, kinds),
        BUDGET_MS + 30_000,
      );
    }
  };
  tests('pgoutput', adminUrl);
  describeWal2json('wal2json', () => tests('wal2json', wal2jsonServerUrl));
});
