import { InputError } from '../errors';
import { readJsonFile } from '../io/read-json-file';
import type { Logger } from '../log/logger';
import { registerSecret } from '../log/redact';
import { assertValid, loadSchema } from '../schemas/schema-validator';
import { describeSources, resolveConnection } from './connection-sources';
import { normalizeConfig, ORCHESTRATOR_KEYS, WITHOUT_EFFECT } from './normalize-config';
import type { TapConfig } from './tap-config';

/** `--config ENV` reads every setting from `TAP_POSTGRES_<KEY>` (the Meltano SDK's convention). */
export const ENV_SOURCE = 'ENV';
export const ENV_PREFIX = 'TAP_POSTGRES_';

function settingNames(): string[] {
  return Object.keys(loadSchema('config').properties as Record<string, unknown>);
}

/** Values stay strings: the schema accepts numeric and boolean strings, and a comma list. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Settings whose value is an object (ssh_tunnel, batch_config, stream_maps, …) come as JSON.
  const props = loadSchema('config').properties as Record<string, { type?: unknown }>;
  const objects = new Set(Object.keys(props).filter((k) => props[k]!.type === 'object'));
  for (const key of settingNames()) {
    const v = env[ENV_PREFIX + key.toUpperCase()];
    if (v === undefined) continue;
    out[key] =
      key === 'filter_schemas' && v.trim().startsWith('[')
        ? parseJson(key, v, 'a valid JSON array; use a comma list')
        : objects.has(key)
          ? parseJson(key, v, 'a JSON object')
          : v;
  }
  return out;
}

function parseJson(key: string, v: string, what: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new InputError(`${ENV_PREFIX}${key.toUpperCase()} is not ${what}`);
  }
}

/** The tunnel's key and passphrase are secrets from the moment they are read. */
function registerSshSecrets(tunnel: unknown): void {
  if (!isPlainObject(tunnel)) return;
  for (const k of ['private_key', 'private_key_password']) {
    const v = tunnel[k];
    if (typeof v !== 'string') continue;
    registerSecret(v);
    // A key's lines, should a message quote one of them alone.
    for (const line of v.split('\n')) if (line.trim().length >= 16) registerSecret(line.trim());
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface LoadedConfig {
  readonly config: TapConfig;
  /** The merged document as given (for --about and diagnostics); contains secrets, never log it. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Reads `--config` sources left to right (later keys win), validates the merge against
 * schemas/config.schema.json and normalises it. Unknown keys are a warning (orchestrators add
 * their own), wrong types an error.
 */
export function loadConfig(
  sources: readonly string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
): LoadedConfig {
  const given: Record<string, unknown> = {};
  for (const src of sources) {
    const doc = src === ENV_SOURCE ? configFromEnv(env) : readJsonFile(src, 'config');
    if (!isPlainObject(doc)) throw new InputError(`config file ${src}: must be a JSON object`);
    Object.assign(given, doc);
  }
  registerSshSecrets(given.ssh_tunnel);
  const what = `config (${sources.join(', ')})`;
  const resolved = resolveConnection(given, env, log);
  const merged = resolved.merged;
  registerSecret(typeof merged.ssl_key === 'string' ? merged.ssl_key : undefined);
  if (merged.database === undefined) {
    throw new InputError(
      `${what}: missing required key 'database' (or its alias 'dbname'): give it, a database in sqlalchemy_url, or PGDATABASE`,
    );
  }
  if (merged.username === undefined) {
    throw new InputError(
      `${what}: missing required key 'username' (or its alias 'user'): give it, a user in sqlalchemy_url, or PGUSER`,
    );
  }
  assertValid('config', merged, what);
  const known = new Set(settingNames());
  for (const key of Object.keys(merged)) {
    const why = WITHOUT_EFFECT.get(key);
    if (why) log.warn(`config key '${key}' (MeltanoLabs tap-postgres) has no effect: ${why}`);
    else if (!known.has(key) && !ORCHESTRATOR_KEYS.has(key)) {
      log.warn(`config key '${key}' is not a tap-postgres setting; ignored`);
    }
  }
  try {
    const config = normalizeConfig(merged);
    // Worth a line at info level only when something besides the config had a say.
    const mixed = Object.values(resolved.sources).some(
      (s) => s === 'sqlalchemy_url' || s === 'environment',
    );
    (mixed ? log.info : log.debug)(describeSources(resolved.sources));
    // A key given as a path is secret too once read.
    registerSecret(config.ssl?.key);
    return { config, raw: Object.freeze({ ...merged }) };
  } catch (e) {
    if (e instanceof InputError)
      throw new InputError(`${what}: ${e.message.replace(/^config:? ?/, '')}`);
    throw e;
  }
}
