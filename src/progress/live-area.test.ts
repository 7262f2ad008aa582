import { LiveArea } from './live-area';

/** A tiny terminal emulator: enough of ESC[nA, ESC[2K, \r and \n to see what a user would see. */
function screen(text: string): string[] {
  const rows: string[] = [''];
  let row = 0;
  for (let i = 0; i < text.length; i++) {
    const esc = text.startsWith('\x1b[', i) ? /^(\d*)([AK])/.exec(text.slice(i + 2)) : null;
    if (esc) {
      if (esc[2] === 'A') row = Math.max(0, row - Number(esc[1] || 1));
      else rows[row] = '';
      i += esc[0].length + 1;
    } else if (text[i] === '\n') {
      row++;
      rows[row] ??= '';
    } else if (text[i] !== '\r') {
      rows[row] = (rows[row] ?? '') + text[i];
    }
  }
  return rows.filter((r, n) => r !== '' || n < row);
}

describe('LiveArea', () => {
  it('keeps the live lines below the log lines, redrawn in place', () => {
    let out = '';
    const area = new LiveArea({ write: (t) => (out += t), columns: () => 80 });
    area.setLines(['bar a 10%', 'bar b 0%']);
    area.log('INFO first');
    area.setLines(['bar a 50%', 'bar b 5%']);
    area.log('INFO second');
    expect(screen(out)).toEqual(['INFO first', 'INFO second', 'bar a 50%', 'bar b 5%']);
    area.close();
    expect(screen(out)).toEqual(['INFO first', 'INFO second']);
  });
});
