import type { ClientBase } from 'pg';

/**
 * Makes every later transaction of the session READ ONLY, single statements and COPY included:
 * once the set-up is done a sync only reads, and the server then refuses any write a read could
 * trigger (a view or a row-security policy calling a function that writes).
 */
export async function readOnlySession<C extends ClientBase>(client: C): Promise<C> {
  await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  return client;
}
