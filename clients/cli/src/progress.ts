/**
 * A progress bar for long exports, on stderr and only when stderr is a terminal (so pipes and
 * logs never get carriage returns). Redrawn at most every 100 ms.
 */
import type { Writable } from 'node:stream';

/** One frame: `[#####.....]  52%  5200/10000 rows`, fitting `width`. */
export function progressLine(done: number, total: number, width = 60): string {
  const label = total > 0 ? ` ${String(Math.min(100, Math.floor((done / total) * 100))).padStart(3)}%  ${done}/${total} rows` : `  ${done} rows`;
  const barWidth = Math.max(10, Math.min(40, width - label.length - 2));
  const filled = total > 0 ? Math.min(barWidth, Math.round((done / total) * barWidth)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${label}`;
}

export interface Progress {
  update(done: number): void;
  finish(): void;
}

export function createProgress(stream: Writable, enabled: boolean, total: number, width: number | undefined): Progress {
  if (!enabled) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  let done = 0;
  const draw = () => stream.write(`\r${progressLine(done, total, width ?? 80)}`);
  return {
    update(n) {
      done = n;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    finish() {
      draw();
      stream.write('\n');
    },
  };
}
