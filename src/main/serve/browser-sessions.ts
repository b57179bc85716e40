// One operator session per admitted browser (per cookie), so that a sign-in, a sign-out or the idle
// lock in one browser ends nothing in another. A session outlives a dropped socket briefly (a
// reload, a network blip), then signs out: a browser closed without signing out leaves nobody
// signed in at the station.
import { OperatorSession } from '../station/session.ts';
import type { BrowserId } from './access.ts';

interface Entry {
  readonly session: OperatorSession;
  sockets: number;
  expiry: ReturnType<typeof setTimeout> | null;
}

export class BrowserSessions {
  readonly #entries = new Map<BrowserId, Entry>();
  readonly #graceMs: number;

  /** `graceMs`: how long a signed-in browser without a socket stays signed in. */
  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  /** How many sockets `browser` has open. */
  socketsOf(browser: BrowserId): number {
    return this.#entries.get(browser)?.sockets ?? 0;
  }

  /** A socket of `browser` opened: its session, kept while any of its sockets is open. */
  attach(browser: BrowserId): OperatorSession {
    let entry = this.#entries.get(browser);
    if (!entry) {
      entry = { session: new OperatorSession(), sockets: 0, expiry: null };
      this.#entries.set(browser, entry);
    }
    if (entry.expiry) clearTimeout(entry.expiry);
    entry.expiry = null;
    entry.sockets += 1;
    return entry.session;
  }

  /** A socket of `browser` closed; with its last one the session ends, after the grace time if signed in. */
  detach(browser: BrowserId): void {
    const entry = this.#entries.get(browser);
    if (!entry || --entry.sockets > 0) return;
    const end = (): void => {
      entry.session.signOut();
      if (this.#entries.get(browser) === entry) this.#entries.delete(browser);
    };
    if (entry.session.current === null) end();
    else entry.expiry = setTimeout(end, this.#graceMs);
  }

  /** Signs every browser out (the station is stopping). */
  close(): void {
    for (const entry of this.#entries.values()) {
      if (entry.expiry) clearTimeout(entry.expiry);
      entry.session.signOut();
    }
    this.#entries.clear();
  }
}
