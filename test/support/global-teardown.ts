import { tearDownWal2jsonServer } from './debian-server';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__TAP_POSTGRES_SERVER__?.stop();
  await globalThis.__TAP_POSTGRES_REPLICA_SERVER__?.stop();
  await tearDownWal2jsonServer();
  await globalThis.__TAP_POSTGRES_TLS_SERVER__?.stop();
}
