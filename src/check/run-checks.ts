import type { Client } from 'pg';
import type { SelectedStream } from '../catalog/stream-selection';
import { serverAddress } from '../config/hosts';
import type { TapConfig } from '../config/tap-config';
import { connectFirst } from '../db/first-connection';
import type { Queryable } from '../discovery/catalog-query';
import { quoteIdent } from '../db/quote';
import { firstProblem, ok, type Finding } from '../readiness/finding';
import { slotInfo } from '../replication/slot';
import type { Logger } from '../log/logger';
import type { TapState } from '../state/tap-state';
import {
  publicationFindings,
  replicaIdentityFindings,
  lostStreamsNow,
  replicationFindings,
  slotLossFindings,
  stateFindings,
} from '../sync/log-based/readiness';
import { inspectLogBasedTables } from '../sync/log-based/table-readiness';
import type { CheckSection } from './check-report';
import { failoverFindings } from './failover-findings';
import { pluginFinding } from './plugin-probe';
import { replicationConnectionFinding } from './replication-connection';
import { streamFindings } from './stream-findings';

/** Majors the tests run against (CI: 17, and LOG_BASED on 14 and 18). */
const TESTED = { min: 14, max: 18 };

/**
 * Everything `--check` looks at. With a catalog: each selected stream, and for LOG_BASED streams
 * the server, role, slot, publication and replica identity. Without one: the connection,
 * discovery and, as warnings, what LOG_BASED would need.
 */
export async function runChecks(
  given: TapConfig,
  streams: readonly SelectedStream[] | null,
  state: TapState,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<CheckSection[]> {
  const where = `${serverAddress(given)}, database '${given.database}', user '${given.username}'`;
  let client: Client;
  let config: TapConfig;
  try {
    ({ client, config } = await connectFirst(given, log));
  } catch (e) {
    const what = e instanceof Error ? e.message : String(e);
    return [{ title: `connection (${where})`, findings: [{ status: 'problem', what }] }];
  }
  try {
    // With a host list, the server the run settled on.
    const settled = `${serverAddress(config)}, database '${config.database}', user '${config.username}'`;
    const sections: CheckSection[] = [
      { title: `connection (${settled})`, findings: await serverFindings(client, config) },
    ];
    if (streams === null) {
      sections.push({ title: 'discovery', findings: await schemaFindings(client, config) });
      const slot = await slotInfo(client, config.replicationSlot);
      const lb = await replicationFindings(client, config, slot);
      sections.push({
        title: 'LOG_BASED (no catalog given: what a LOG_BASED stream would need)',
        findings: lb.map((f) => (f.status === 'problem' ? { ...f, status: 'warning' } : f)),
      });
      return sections;
    }
    if (streams.length === 0) {
      sections.push({
        title: 'catalog',
        findings: [{ status: 'warning', what: 'no stream is selected: a sync would do nothing' }],
      });
    }
    const role = (await client.query<{ who: string }>('SELECT current_user AS who')).rows[0]!.who;
    const existing: SelectedStream[] = [];
    for (const s of streams) {
      const findings = await streamFindings(client, s, role);
      if (!findings.some((f) => f.what.endsWith('does not exist') && f.what.startsWith('table')))
        existing.push(s);
      sections.push({ title: `stream ${s.tapStreamId} (${s.method})`, findings });
    }
    const logBased = existing.filter((s) => s.method === 'LOG_BASED');
    if (streams.some((s) => s.method === 'LOG_BASED')) {
      sections.push({
        title: `LOG_BASED (slot '${config.replicationSlot}', plugin ${config.logicalDecodingPlugin}${config.logicalDecodingPlugin === 'pgoutput' ? `, publication '${config.publicationName}'` : ''})`,
        findings: await logBasedFindings(
          client,
          config,
          logBased,
          streams.filter((s) => s.method === 'LOG_BASED'),
          state,
        ),
      });
      sections.push({
        title: `failover (slot '${config.replicationSlot}')`,
        findings: await failoverFindings(
          client,
          config,
          await slotInfo(client, config.replicationSlot),
          log,
        ),
      });
    }
    return sections;
  } finally {
    await client.end().catch(() => {});
  }
}

async function serverFindings(client: Queryable, config: TapConfig): Promise<Finding[]> {
  const r = await client.query<{ v: string; n: string; ssl: string | null }>(
    `SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n,
            (SELECT ssl::text FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()) AS ssl`,
  );
  const { v, n, ssl } = r.rows[0]!;
  const major = Math.floor(Number(n) / 10000);
  const out: Finding[] = [
    ok(`connected${ssl === 'true' ? ' over TLS' : config.ssl ? '' : ' (no TLS)'}`),
  ];
  if (major < 12) {
    out.push({
      status: 'problem',
      what: `PostgreSQL ${v}: the tap needs PostgreSQL 12 or later (tested on ${TESTED.min} to ${TESTED.max})`,
    });
  } else if (major < TESTED.min || major > TESTED.max) {
    out.push({
      status: 'warning',
      what: `PostgreSQL ${v}: not tested (the tap is tested on ${TESTED.min} to ${TESTED.max})`,
    });
  } else {
    out.push(ok(`PostgreSQL ${v}`));
  }
  return out;
}

async function schemaFindings(client: Queryable, config: TapConfig): Promise<Finding[]> {
  if (!config.schemas) return [ok('discovery reads every schema this role may use')];
  const r = await client.query<{ name: string; exists: string; usage: string | null }>(
    `SELECT s.name, (n.oid IS NOT NULL)::text AS exists,
            pg_catalog.has_schema_privilege(n.oid, 'USAGE')::text AS usage
       FROM unnest($1::text[]) AS s(name)
       LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = s.name`,
    [config.schemas],
  );
  return r.rows.map((s): Finding => {
    if (s.exists !== 'true')
      return {
        status: 'problem',
        what: `schema ${s.name} (filter_schemas) does not exist`,
        then: 'check the schema names in the config',
      };
    if (s.usage !== 'true')
      return {
        status: 'problem',
        what: `role '${config.username}' may not use schema ${s.name}`,
        fix: `GRANT USAGE ON SCHEMA ${quoteIdent(s.name)} TO ${quoteIdent(config.username)};`,
      };
    return ok(`schema ${s.name} is readable`);
  });
}

async function logBasedFindings(
  client: Queryable,
  config: TapConfig,
  tables: readonly SelectedStream[],
  all: readonly SelectedStream[],
  state: TapState,
): Promise<Finding[]> {
  const slot = await slotInfo(client, config.replicationSlot);
  // The sync's rules (src/sync/log-based/readiness.ts), plus the probes only --check makes.
  const out = await replicationFindings(client, config, slot);
  const serverReady = !firstProblem(out);
  out.push(...slotLossFindings(config, await lostStreamsNow(client, config, slot, all, state)));
  out.push(...(await stateFindings(client, all, state)));
  out.push(await pluginFinding(client, config.logicalDecodingPlugin, slot, serverReady && !slot));
  if (serverReady) out.push(await replicationConnectionFinding(config));
  const own = await inspectLogBasedTables(client, tables);
  out.push(...own.findings);
  // An UNLOGGED table cannot be published: its finding says what to do instead.
  const publishable = tables.filter((t) => !own.unlogged.has(t.tapStreamId));
  out.push(...(await publicationFindings(client, config, publishable)));
  out.push(...(await replicaIdentityFindings(client, tables)));
  return out;
}
