import type { AboutInfo } from '../cli/about';
import { ALIASES } from '../config/normalize-config';

/** Settings known under two names (ours and another tap's). */
const ALIASED: ReadonlySet<string> = new Set(ALIASES.flat());

/** Meltano's setting kinds (https://docs.meltano.com/reference/plugin-definition-syntax#settings). */
export type MeltanoKind =
  'string' | 'integer' | 'boolean' | 'password' | 'options' | 'array' | 'object';

export interface MeltanoSetting {
  readonly name: string;
  readonly kind: MeltanoKind;
  readonly description: string;
  /** Meltano calls a setting's default `value`. */
  readonly value?: unknown;
  readonly options?: ReadonlyArray<{ readonly label: string; readonly value: string }>;
  readonly sensitive?: boolean;
}

export interface MeltanoExtractor {
  readonly name: string;
  readonly namespace: string;
  readonly executable: string;
  readonly label: string;
  readonly description: string;
  readonly capabilities: readonly string[];
  readonly settings_group_validation: ReadonlyArray<readonly string[]>;
  readonly settings: readonly MeltanoSetting[];
}

interface SettingSchema {
  type?: string | string[];
  properties?: Record<string, SettingSchema>;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  writeOnly?: boolean;
}

/** Several JSON types (e.g. integer or numeric string) take the kind of the first, the natural one. */
function kindOf(s: SettingSchema): MeltanoKind {
  if (s.writeOnly) return 'password';
  if (s.enum) return 'options';
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  return t === 'integer' || t === 'boolean' || t === 'array' || t === 'object' ? t : 'string';
}

/** Every combination of one name from each `anyOf` of `required` (e.g. database|dbname × username|user). */
function requiredGroups(schema: Record<string, unknown>): string[][] {
  const alternatives = ((schema.allOf ?? []) as Array<{ anyOf?: Array<{ required: string[] }> }>)
    .map((c) => (c.anyOf ?? []).flatMap((a) => a.required))
    .filter((names) => names.length > 0);
  const required = (schema.required ?? []) as string[];
  return alternatives.reduce<string[][]>(
    (groups, names) => groups.flatMap((g) => names.map((n) => [...g, n])),
    [required],
  );
}

/**
 * An object setting (ssh_tunnel) as one setting per key, `ssh_tunnel.private_key`: Meltano nests
 * them again, and each can be sensitive on its own.
 */
function flatten(props: Record<string, SettingSchema>): Array<[string, SettingSchema]> {
  return Object.entries(props).flatMap(([name, s]): Array<[string, SettingSchema]> =>
    s.type === 'object' && s.properties
      ? Object.entries(s.properties).map(([sub, p]) => [`${name}.${sub}`, p])
      : [[name, s]],
  );
}

/** The `plugins.extractors[]` entry of a meltano.yml, derived from `--about` so the two agree. */
export function meltanoExtractor(about: AboutInfo): MeltanoExtractor {
  const props = (about.settings.properties ?? {}) as Record<string, SettingSchema>;
  return {
    name: about.name,
    namespace: about.name.replace(/-/g, '_'),
    executable: about.name,
    label: 'PostgreSQL',
    description: about.description,
    capabilities: [...about.capabilities],
    // A connection URL alone is a complete config too.
    settings_group_validation: [...requiredGroups(about.settings), ['sqlalchemy_url']],
    settings: flatten(props).map(([name, s]) => {
      const kind = kindOf(s);
      return {
        name,
        kind,
        description: s.description ?? '',
        // Meltano passes every default it is given to the tap, nested by the dots: a default of
        // batch_config.batch_size alone would make a batch_config without its required keys, and
        // a default of max_run_seconds would hide the MeltanoLabs name a migrated project sets
        // (replication_max_run_seconds). The tap applies those defaults itself.
        ...(s.default === undefined || name.includes('.') || ALIASED.has(name)
          ? {}
          : { value: s.default }),
        ...(kind === 'options'
          ? { options: (s.enum ?? []).map((v) => ({ label: String(v), value: String(v) })) }
          : {}),
        ...(kind === 'password' ? { sensitive: true } : {}),
      };
    }),
  };
}
