/** Where the terminal part of stderr writes: raw text (escape codes included) and its width. */
export interface Terminal {
  write(text: string): void;
  columns(): number;
}

const CLEAR_LINE = '\x1b[2K\r';
const up = (n: number) => `\x1b[${n}A`;

/**
 * The bottom lines of a terminal redrawn in place (the progress bars), with log lines printed
 * above them: a log line clears the area, is printed, and the area is drawn again below it.
 */
export class LiveArea {
  private lines: readonly string[] = [];
  private shown = 0;

  constructor(private readonly terminal: Terminal) {}

  /** A log line (without newline), printed above the live lines. */
  readonly log = (line: string): void => {
    this.terminal.write(`${this.erase()}${line}\n${this.draw()}`);
  };

  setLines(lines: readonly string[]): void {
    this.lines = lines;
    this.terminal.write(`${this.erase()}${this.draw()}`);
  }

  width(): number {
    return this.terminal.columns();
  }

  /** Leaves the terminal as if the area had never been there. */
  close(): void {
    this.lines = [];
    this.terminal.write(this.erase());
  }

  private erase(): string {
    if (this.shown === 0) return '';
    const text = `${up(this.shown)}${`${CLEAR_LINE}\n`.repeat(this.shown)}${up(this.shown)}`;
    this.shown = 0;
    return text;
  }

  private draw(): string {
    this.shown = this.lines.length;
    return this.lines.map((l) => `${CLEAR_LINE}${l}\n`).join('');
  }
}
