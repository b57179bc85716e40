// Transfer rate and time left for a progress bar: bytes per second over the last few seconds (a
// whole-run average hides a stall), and a throttle so a 40 MB/s flash does not publish per chunk.
import type { TransferProgress } from '../../shared/pipeline.ts';

const WINDOW_MS = 3000;
const MIN_UPDATE_MS = 100;

export class RateMeter {
  readonly #total: number;
  readonly #now: () => number;
  readonly #samples: { at: number; bytes: number }[] = [];
  #done = 0;
  #lastUpdate = 0;

  constructor(total: number, now: () => number = Date.now) {
    this.#total = total;
    this.#now = now;
    this.#samples.push({ at: now(), bytes: 0 });
  }

  get done(): number {
    return this.#done;
  }

  /** Records progress; true when enough time has passed to show it. */
  update(bytesDone: number): boolean {
    const at = this.#now();
    this.#done = Math.min(bytesDone, this.#total);
    this.#samples.push({ at, bytes: this.#done });
    while (this.#samples.length > 2 && (this.#samples[0] as { at: number }).at < at - WINDOW_MS) this.#samples.shift();
    if (at - this.#lastUpdate < MIN_UPDATE_MS) return false;
    this.#lastUpdate = at;
    return true;
  }

  progress(partition: string): TransferProgress {
    const first = this.#samples[0] ?? { at: this.#now(), bytes: 0 };
    const last = this.#samples.at(-1) ?? first;
    const seconds = (last.at - first.at) / 1000;
    const rate = seconds > 0 ? (last.bytes - first.bytes) / seconds : 0;
    return {
      partition,
      bytesDone: this.#done,
      bytesTotal: this.#total,
      bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.ceil((this.#total - this.#done) / rate) : null,
    };
  }
}
