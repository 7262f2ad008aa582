/**
 * Worker thread entry: hashes the MD5s a stream map's copied rows ask for (digest-queue.ts), from
 * the shared ring its workerData is, until told to stop.
 */
import { workerData } from 'node:worker_threads';
import { serveDigests, type DigestRing } from './digest-ring';

serveDigests(workerData as DigestRing);
