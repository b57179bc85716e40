// The names of every call the station API offers. Kept free of any library so the sandboxed
// preload (which may only require 'electron') can bundle it on its own.
export const API_CHANNELS = ['station.info', 'devices.scan'] as const;

export type ApiChannel = (typeof API_CHANNELS)[number];

export function isApiChannel(value: unknown): value is ApiChannel {
  return typeof value === 'string' && (API_CHANNELS as readonly string[]).includes(value);
}
