// The one rule of what a session sees before someone signs in: the sign-in screen's calls and events
// (SIGNED_OUT_CHANNELS, SIGNED_OUT_EVENTS) and nothing else, no other channel and no other live event. Every operator session
// the station serves goes through it (the Electron window's, each browser's), so the window and a
// browser cannot differ. A subscription is held open but silent while the session is signed out: it
// hears nothing from the sign-out on, and the latest value at once when someone signs in.
import type { EventListener, StationApi } from '../../shared/api.ts';
import { API_CHANNELS, isApiEvent, isSignedOutChannel, isSignedOutEvent, type ApiChannel, type ApiEvent } from '../../shared/channels.ts';
import type { OperatorSession } from './session.ts';

type Handler = (request: unknown) => Promise<unknown>;

export function signedInOnly(api: StationApi, session: OperatorSession): StationApi {
  const gate = (channel: ApiChannel): Handler => {
    const handler = api[channel] as Handler;
    if (isSignedOutChannel(channel)) return handler;
    return async (request) => {
      session.require();
      return handler(request);
    };
  };
  return {
    ...Object.fromEntries(API_CHANNELS.map((channel) => [channel, gate(channel)])),
    subscribe<E extends ApiEvent>(event: E, listener: EventListener<E>): () => void {
      // An event that does not exist is refused now, signed in or not, not at the next sign-in.
      if (!isApiEvent(event)) throw new Error(`no such event: ${String(event).slice(0, 40)}`);
      if (isSignedOutEvent(event)) return api.subscribe(event, listener);
      let following: (() => void) | null = null;
      const follow = (): void => {
        const signedIn = session.current !== null;
        if (signedIn && following === null) following = api.subscribe(event, listener);
        else if (!signedIn && following !== null) {
          following();
          following = null;
        }
      };
      const unwatch = session.watch(follow);
      follow();
      return () => {
        unwatch();
        following?.();
        following = null;
      };
    },
  } as StationApi;
}
