import type { SelectedStream } from '../catalog/stream-selection';

/** What a sync tells whoever watches it (progress, metrics); it never changes the sync's course. */
export interface SyncObserver {
  streamStarted(stream: SelectedStream): void;
  streamFinished(stream: SelectedStream, status: 'succeeded' | 'failed'): void;
}
