// Who is signed in at the station window. The session lives in main so the renderer holds a PIN
// only for the length of the sign-in call; every call that acts for a person asks the session, so a
// role is enforced here and not only by what the UI shows. Whoever follows the session (the gate on
// live events, signed-in-gate.ts) hears at once when it signs in or out.
import { CodedError } from '../../shared/coded-error.ts';
import type { Session } from '../../shared/api.ts';
import type { OperatorSummary, Role } from '../../shared/records.ts';
import type { Credentials } from '../records/operators.ts';
import { roleNotAllowed } from '../records/errors.ts';
import type { StationRecords } from '../records/station-records.ts';

export class NotSignedInError extends CodedError<'NOT_SIGNED_IN'> {
  constructor() {
    super('NOT_SIGNED_IN', 'nobody is signed in at this station; sign in first.');
    this.name = 'NotSignedInError';
  }
}

type SignedIn = { readonly operator: OperatorSummary; readonly signedInAt: string } | null;

export class OperatorSession {
  #current: SignedIn = null;
  readonly #watchers = new Set<() => void>();

  get current(): Session | null {
    if (!this.#current) return null;
    const { operator, signedInAt } = this.#current;
    return { operator: { id: operator.id, displayName: operator.displayName, role: operator.role }, signedInAt };
  }

  /** Checks the PIN (wrong PINs count towards the lock-out, as everywhere) and signs the operator in. */
  signIn(records: StationRecords, credentials: Credentials): Session {
    // Whoever was signed in is out before the PIN is checked: a refused sign-in leaves nobody in.
    this.signOut();
    const operator = records.operators.authenticate(credentials);
    this.#set({ operator, signedInAt: new Date().toISOString() });
    return this.current as Session;
  }

  signOut(): void {
    if (this.#current) this.#set(null);
  }

  /** Calls `watcher` after every sign-in and sign-out; returns the function that stops it. */
  watch(watcher: () => void): () => void {
    this.#watchers.add(watcher);
    return () => void this.#watchers.delete(watcher);
  }

  /** Calls `listener` with who is signed in now, then after every sign-in and sign-out; returns the function that stops it. */
  follow(listener: (current: Session | null) => void): () => void {
    const stop = this.watch(() => listener(this.current));
    listener(this.current);
    return stop;
  }

  #set(current: SignedIn): void {
    this.#current = current;
    for (const watcher of [...this.#watchers]) watcher();
  }

  /** The signed-in operator, who must hold one of `roles`; throws with the sign-in codes otherwise. */
  require(roles?: readonly Role[]): OperatorSummary {
    if (!this.#current) throw new NotSignedInError();
    const { operator } = this.#current;
    if (roles && !roles.includes(operator.role)) {
      throw roleNotAllowed(operator.id, operator.role, roles);
    }
    return operator;
  }
}
