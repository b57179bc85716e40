// A fault of the test harness, not of the shipped station: one handset's USB transport throws the kind of error a bug
// in the station's own code would (a TypeError no code names) when the flash begins, after the handset has identified
// itself. Nothing in the station is told: its runner meets an uncoded error at a handset, as it would meet a real bug,
// and the operator must see INTERNAL with its next action (issue 20 #5). Everything else is the simulated fleet's.
import type { DiscoveryBackend, FastbootPresence, Presence, PresenceSink } from '../../src/main/discovery/presence.ts';
import type { FastbootTransport } from '../../src/main/fastboot/transport.ts';

/** What the transport throws: a bug's error, in the words a JavaScript engine gives one. */
export const BUG_MESSAGE = "Cannot read properties of undefined (reading 'transferOut')";

const FLASH_START = new TextEncoder().encode('download:');

function startsFlash(parts: readonly Uint8Array[]): boolean {
  const first = parts[0];
  return first !== undefined && first.length >= FLASH_START.length && FLASH_START.every((byte, index) => first[index] === byte);
}

function buggy(transport: FastbootTransport): FastbootTransport {
  return {
    name: transport.name,
    send: (parts, timeoutMs) => (startsFlash(parts) ? Promise.reject(new TypeError(BUG_MESSAGE)) : transport.send(parts, timeoutMs)),
    receive: (timeoutMs) => transport.receive(timeoutMs),
    close: () => transport.close(),
  };
}

/** `backend` as it is, except that the fastboot transport of the handset with `serial` has the bug. */
export function withTransportBug(backend: DiscoveryBackend, serial: string): DiscoveryBackend {
  const wrap = (presence: Presence): Presence => {
    if (presence.kind !== 'fastboot' || presence.serial !== serial) return presence;
    const bugged: FastbootPresence = { ...presence, connect: async (signal) => buggy(await presence.connect(signal)) };
    return bugged;
  };
  return {
    transport: backend.transport,
    start: (sink: PresenceSink) => backend.start({ attach: (presence) => sink.attach(wrap(presence)), detach: (id) => sink.detach(id) }),
    status: () => backend.status(),
    stop: () => backend.stop(),
  };
}
