import { LOG_FORMATS, LOG_LEVELS } from '../log/logger';

/**
 * Flags that take one of a fixed set of values. They are checked here rather than by yargs'
 * `choices`, whose message ("Invalid values:" and the details on further lines) does not fit the
 * one-line failure the CLI prints.
 */
export const CHOICE_OPTIONS = {
  format: ['json', 'markdown'],
  'log-format': LOG_FORMATS,
  'log-level': LOG_LEVELS,
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** The choices as --help lists them: `one of a, b, c`. */
export function describeChoices(name: keyof typeof CHOICE_OPTIONS): string {
  return `one of ${CHOICE_OPTIONS[name].join(', ')}`;
}

/**
 * The first flag whose value is not one of its choices, as one line naming the flag, the value and
 * the choices; undefined when every value is allowed. A repeated flag is reported elsewhere.
 */
export function invalidChoice(argv: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, choices] of Object.entries(CHOICE_OPTIONS)) {
    const given = argv[name];
    for (const v of Array.isArray(given) ? (given as unknown[]) : [given]) {
      if (v === undefined || (choices as readonly string[]).includes(String(v))) continue;
      return `--${name}: '${String(v)}' is not one of ${choices.join(', ')}`;
    }
  }
  return undefined;
}
