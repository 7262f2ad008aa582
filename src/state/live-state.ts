import { serializeState, type Bookmark, type TapState } from './tap-state';

/**
 * The state a run changes as it goes. Replacing a bookmark costs the same with 10 streams or
 * 10,000 (a frozen copy of the whole map per update made a run quadratic in its tables), and each
 * bookmark is serialised once per change: a STATE joins the cached texts of the others.
 *
 * The STATE text is what serializeState gives for the equivalent frozen TapState: the incoming
 * state's top-level keys in their order (keys the tap does not know are passed through), each
 * bookmark's keys in their order, RawJson values spliced unchanged.
 */
export class LiveState implements TapState {
  /**
   * Mutated in place; readers index it like any TapState's bookmarks. No prototype: a stream id
   * is a name from the database, and assigning `__proto__` must add a bookmark, not a prototype.
   */
  private readonly marks: Record<string, Bookmark>;
  /** Serialised bookmarks, by stream; a missing entry is serialised at the next STATE. */
  private readonly texts = new Map<string, string>();
  /** Top-level keys in the incoming order, with the serialised value of each passed-through key. */
  private readonly top: ReadonlyArray<readonly [key: string, text: string | null]>;
  private syncing: string | null;
  /** The bookmarks' part of the STATE while no bookmark changes. */
  private bookmarksText: string | undefined;
  private changes = 0;
  private bookmarkChanges = 0;

  constructor(from: TapState) {
    this.marks = Object.assign(Object.create(null) as Record<string, Bookmark>, from.bookmarks);
    this.syncing = from.currently_syncing;
    const top: Array<readonly [string, string | null]> = [];
    for (const [k, v] of Object.entries(from)) {
      if (k === 'currently_syncing' || k === 'bookmarks') top.push([k, null]);
      else if (v !== undefined) top.push([k, `${JSON.stringify(k)}:${serializeState(v)}`]);
    }
    this.top = top;
  }

  get currently_syncing(): string | null {
    return this.syncing;
  }

  get bookmarks(): Readonly<Record<string, Bookmark>> {
    return this.marks;
  }

  /** Grows with every change: equal revisions mean an equal STATE. */
  get revision(): number {
    return this.changes;
  }

  /** Grows with every bookmark change (currently_syncing aside). */
  get bookmarkRevision(): number {
    return this.bookmarkChanges;
  }

  setBookmark(streamId: string, bookmark: Bookmark): void {
    this.marks[streamId] = bookmark;
    this.texts.delete(streamId);
    this.bookmarksText = undefined;
    this.changes += 1;
    this.bookmarkChanges += 1;
  }

  setCurrentlySyncing(streamId: string | null): void {
    if (this.syncing === streamId) return;
    this.syncing = streamId;
    this.changes += 1;
  }

  /** The STATE message's value, as JSON. */
  serialize(): string {
    const parts: string[] = [];
    for (const [k, text] of this.top) {
      if (text !== null) parts.push(text);
      else if (k === 'currently_syncing')
        parts.push(`"currently_syncing":${JSON.stringify(this.syncing)}`);
      else parts.push(`"bookmarks":${this.serializeBookmarks()}`);
    }
    return `{${parts.join(',')}}`;
  }

  private serializeBookmarks(): string {
    if (this.bookmarksText !== undefined) return this.bookmarksText;
    const parts: string[] = [];
    // for…in walks an object's keys in the order Object.entries (and so serializeState) does.
    for (const id in this.marks) {
      let text = this.texts.get(id);
      if (text === undefined) {
        const b = this.marks[id];
        if (b === undefined) continue;
        text = `${JSON.stringify(id)}:${serializeState(b)}`;
        this.texts.set(id, text);
      }
      parts.push(text);
    }
    return (this.bookmarksText = `{${parts.join(',')}}`);
  }
}
