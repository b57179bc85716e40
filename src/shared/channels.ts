// The names of every call the station API offers, and of the events it publishes. Kept free of any
// library so the sandboxed preload (which may only require 'electron') can bundle it on its own.
export const API_CHANNELS = [
  'station.info',
  'devices.scan',
  'session.signIn',
  'session.signOut',
  'session.current',
  'bundle.verify',
  'bundle.progress',
  'profiles.list',
  'batch.start',
  'batch.current',
  'batch.authorise',
  'batch.pause',
  'batch.resume',
  'handset.retry',
  'handset.abort',
  'handset.detail',
  'pipeline.snapshot',
  'records.list',
  'records.show',
  'records.export',
  'records.verify',
  'settings.read',
  'settings.slotName',
  'settings.labelPrinter',
  'settings.idleLock',
  'operators.list',
  'operators.add',
  'operators.disable',
  'operators.unlock',
  'operators.enable',
  'operators.resetPin',
  'operators.setRole',
  'operators.changes',
  'labels.status',
  'labels.preview',
  'labels.batchPreview',
  'labels.reprint',
  'labels.unprinted',
  'depot.state',
  'depot.join',
  'depot.operatorOffer',
  'depot.offerOperators',
  'depot.resolveOperator',
] as const;

export type ApiChannel = (typeof API_CHANNELS)[number];

export function isApiChannel(value: unknown): value is ApiChannel {
  return typeof value === 'string' && (API_CHANNELS as readonly string[]).includes(value);
}

/**
 * What a front end may call before anyone signed in: the sign-in screen's header (the station's name,
 * version and mode, and its link to the depot, so a technician sees the depot is down before starting)
 * and the session itself. Every other channel and every other event waits for a sign-in
 * (src/main/station/signed-in-gate.ts), in the Electron window and in each browser alike.
 */
export const SIGNED_OUT_CHANNELS = ['station.info', 'session.signIn', 'session.signOut', 'session.current', 'depot.state'] as const satisfies readonly ApiChannel[];

export function isSignedOutChannel(channel: ApiChannel): boolean {
  return (SIGNED_OUT_CHANNELS as readonly ApiChannel[]).includes(channel);
}

/**
 * Events the station publishes to every front end; a subscriber gets the latest at once, from the
 * channel of the same name. `session.current` is the front end's own operator session (each browser's
 * own under `lockstep serve`): every tab of a browser hears at once when another signs in or out.
 */
export const API_EVENTS = ['pipeline.snapshot', 'bundle.progress', 'depot.state', 'session.current'] as const;
export type ApiEvent = (typeof API_EVENTS)[number];

export function isApiEvent(value: unknown): value is ApiEvent {
  return typeof value === 'string' && (API_EVENTS as readonly string[]).includes(value);
}

/** The events the sign-in screen follows (its header's depot link, its own session); the others wait for a sign-in. */
export const SIGNED_OUT_EVENTS = ['depot.state', 'session.current'] as const satisfies readonly ApiEvent[];

export function isSignedOutEvent(event: ApiEvent): boolean {
  return (SIGNED_OUT_EVENTS as readonly ApiEvent[]).includes(event);
}

/** The IPC channel an event travels on from main to the renderer. */
export function eventIpcChannel(event: ApiEvent): string {
  return `lockstep:event:${event}`;
}
