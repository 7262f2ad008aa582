/**
 * Stream ids are `<schema>-<table>`, as pipelinewise and MeltanoLabs name streams, so their
 * catalogs and states carry over. Joined as they are, `"a-b".c` and `a."b-c"` would share
 * `a-b-c`, and one stream's ACTIVATE_VERSION would empty the other's table downstream.
 *
 * So a name that could make the id ambiguous is written percent-escaped (`%` → `%25`, `-` →
 * `%2D`): a name containing `-`, or the text `%25` or `%2D` (which an escaped name always
 * contains, so a plain name could otherwise spell one). Every other name is kept as it is, and
 * the id depends on the two names alone, never on which other tables exist: it is unique and
 * never changes when a table is created or dropped.
 */

function needsEscape(name: string): boolean {
  return name.includes('-') || name.includes('%25') || name.includes('%2D');
}

function escapeName(name: string): string {
  return needsEscape(name) ? name.replace(/%/g, '%25').replace(/-/g, '%2D') : name;
}

function unescapeName(part: string): string {
  return needsEscape(part) ? part.replace(/%(25|2D)/g, (_, c) => (c === '25' ? '%' : '-')) : part;
}

/**
 * @example
 * tapStreamId('public', 'users') // 'public-users'
 * tapStreamId('a-b', 'c')        // 'a%2Db-c'
 * tapStreamId('a', 'b-c')        // 'a-b%2Dc'
 */
export function tapStreamId(schema: string, table: string): string {
  return `${escapeName(schema)}-${escapeName(table)}`;
}

/**
 * Schema and table of an id, for catalogs that carry neither `schema-name` nor `table_name`: the
 * inverse of `tapStreamId`. An id with more than one `-` (written before names were escaped, or
 * by another tap) splits at the first; an id without one is a table in `public`.
 */
export function parseTapStreamId(id: string): [schema: string, table: string] {
  const i = id.indexOf('-');
  return i > 0
    ? [unescapeName(id.slice(0, i)), unescapeName(id.slice(i + 1))]
    : ['public', unescapeName(id)];
}
