// How the station's events reach a window over IPC. The window asks main for an event by name on
// EVENT_SUBSCRIBE; main then sends that event's payloads to that window alone, on the event's own
// channel (eventIpcChannel), until the window asks to stop on EVENT_UNSUBSCRIBE or is destroyed.
// Kept free of any library so the sandboxed preload can bundle it.
export const EVENT_SUBSCRIBE = 'lockstep:subscribe';
export const EVENT_UNSUBSCRIBE = 'lockstep:unsubscribe';
