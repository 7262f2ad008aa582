import type { PyKwargs, PyValue } from './py-value';

/** Argument `i` of a call, or the keyword argument `name` when given (a keyword wins). */
export function optArg(
  args: readonly PyValue[],
  kwargs: PyKwargs,
  i: number,
  name: string,
): PyValue | undefined {
  const k = kwargs?.get(name);
  return k !== undefined ? k : args[i];
}
