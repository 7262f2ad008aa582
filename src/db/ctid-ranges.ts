/**
 * A table split into CTID block ranges for parallel reading (PostgreSQL 14+ plans
 * `ctid >= … AND ctid < …` as a TID Range Scan: each connection reads only its blocks).
 * `to` is exclusive; the last range has none, so blocks added while the copy runs (the table may
 * grow past the size measured at the start) are still read.
 */
export interface BlockRange {
  readonly from: number;
  readonly to: number | null;
}

/** Fewer blocks than this per range are not worth a connection (1,024 blocks = 8 MB). */
export const MIN_BLOCKS_PER_RANGE = 1024;

/** Up to `parts` ranges of about equal size covering `blocks` blocks and whatever follows. */
export function blockRanges(
  blocks: number,
  parts: number,
  minBlocks = MIN_BLOCKS_PER_RANGE,
): BlockRange[] {
  const n = Math.max(1, Math.min(Math.floor(parts), Math.floor(blocks / minBlocks)));
  const ranges: BlockRange[] = [];
  for (let i = 0; i < n; i++) {
    ranges.push({
      from: Math.floor((blocks * i) / n),
      to: i === n - 1 ? null : Math.floor((blocks * (i + 1)) / n),
    });
  }
  return ranges;
}

/** The WHERE condition selecting a range's rows. */
export function ctidCondition(r: BlockRange): string {
  const from = r.from === 0 ? '' : `ctid >= '(${r.from},0)'::tid`;
  const to = r.to === null ? '' : `ctid < '(${r.to},0)'::tid`;
  return [from, to].filter(Boolean).join(' AND ') || 'true';
}
