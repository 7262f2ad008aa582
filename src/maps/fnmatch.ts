/**
 * Python's `fnmatch.fnmatch` on POSIX (case-sensitive), which the SDK matches stream map keys
 * with: `*` any run, `?` one character, `[seq]` / `[!seq]` a set; anything else literally.
 */
export function fnmatch(name: string, pattern: string): boolean {
  return translate(pattern).test(name);
}

const cache = new Map<string, RegExp>();

function translate(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      let j = i;
      if (j < n && pattern[j] === '!') j++;
      if (j < n && pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) re += '\\[';
      else {
        let stuff = pattern.slice(i, j);
        i = j + 1;
        const negate = stuff.startsWith('!');
        if (negate) stuff = stuff.slice(1);
        const body = stuff.replace(/[\\\]^]/g, '\\$&');
        re += negate
          ? body === ''
            ? '[\\s\\S]'
            : `[^${body}]`
          : body === ''
            ? '(?!)'
            : `[${body}]`;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const compiled = new RegExp(`^${re}$`, 'u');
  cache.set(pattern, compiled);
  return compiled;
}
