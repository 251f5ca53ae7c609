/** A one-line progress bar on stderr: steps, last eval return, steps/s and ETA. Plain lines when not a TTY. */
export class ProgressBar {
  private readonly start = performance.now();
  private lastPrinted = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly total: number) {}

  update(step: number, lastEval: number | null): void {
    const now = performance.now();
    const seconds = (now - this.start) / 1000;
    const rate = step / Math.max(seconds, 1e-9);
    const eta = rate > 0 ? (this.total - step) / rate : Number.POSITIVE_INFINITY;
    const fraction = Math.min(1, step / this.total);
    const width = 24;
    const filled = Math.round(fraction * width);
    const line =
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${this.total} ` +
      `eval ${lastEval === null ? '—' : lastEval.toFixed(1)}  ${rate.toFixed(0)} steps/s  ETA ${formatSeconds(eta)}`;
    if (this.tty) {
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (now - this.lastPrinted > 10_000 || step >= this.total) {
      process.stderr.write(`${line}\n`);
      this.lastPrinted = now;
    }
  }

  /** A message on its own line, above the bar. */
  log(message: string): void {
    process.stderr.write(this.tty ? `\r\x1b[K${message}\n` : `${message}\n`);
  }

  finish(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
