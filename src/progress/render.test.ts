import { formatDuration, plainProgressLine, progressBarLine, rowsPerSecond } from './render';

const p = { stream: 'shop-orders', rows: 2500, estimate: 10000, elapsedMs: 5000 };

describe('progress rendering', () => {
  it('shows rows, the estimate, rows/s and an ETA from the estimate', () => {
    expect(rowsPerSecond(p)).toBe(500);
    expect(plainProgressLine(p)).toBe(
      'progress shop-orders: 2,500 of ~10,000 rows (25%), 500 rows/s, ETA 0:15, 0:05 elapsed',
    );
  });

  it('draws a bar a quarter full at 25%', () => {
    const line = progressBarLine(p, 120);
    expect(line).toMatch(
      /^shop-orders +\[(█+)(░+)\] {2}25% {2}2,500\/~10,000 rows {2}500 rows\/s {2}ETA 0:15$/,
    );
    const [, filled, empty] = /\[(█+)(░+)\]/.exec(line)!;
    expect(filled!.length / (filled!.length + empty!.length)).toBeCloseTo(0.25, 1);
    expect(line.length).toBeLessThan(120);
  });

  it('drops percentage and ETA when the estimate is unknown or already passed', () => {
    for (const estimate of [null, 100]) {
      const line = progressBarLine({ ...p, estimate }, 120);
      expect(line).not.toMatch(/%|ETA/);
      expect(line).toContain('2,500 rows  500 rows/s  0:05 elapsed');
    }
  });

  it('fits a narrow terminal without the bar', () => {
    const line = progressBarLine(p, 60);
    expect(line.length).toBeLessThanOrEqual(59);
    expect(line).not.toContain('[');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3 * 3600 + 62)).toBe('3:01:02');
  });
});
