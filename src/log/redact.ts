/**
 * Secrets must never reach stderr, even inside an error the server or a driver produced (pg puts
 * the connection string in some messages). Every log line passes through `redact`.
 */
const secrets = new Set<string>();

/** Registers a value that must never be printed. Short values are ignored: they would mask noise. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 3) secrets.add(value);
  if (value && value.length >= 3) secrets.add(encodeURIComponent(value));
}

const URL_PASSWORD = /(postgres(?:ql)?:\/\/[^:/@\s]+:)([^@\s]+)(@)/gi;

export function redact(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1***$3');
  // Most lines hold no secret: looking before splitting spares three lines per table of garbage.
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
}
