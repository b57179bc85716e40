// One handset identity for every front end. A handset *is* its serial number; where it sits is its
// *slot*: the physical USB port path (bus and port chain, `1-3.2`) or, for a network bootloader or
// a `lockstep sim --tcp` handset, its TCP endpoint. Scan prints slots, `fastboot -s` and
// `provision` take them, records store them, and the UI lays out its grid by them.

import { SERIAL_NUMBER } from './identifiers.ts';
import { displaySafe } from './untrusted.ts';

/** Where a handset sits. A USB slot survives the handset rebooting and re-enumerating; an address does not. */
export type Slot =
  | { readonly kind: 'usb'; readonly bus: number; readonly ports: readonly number[] }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** AOSP's default fastboot TCP port. */
export const DEFAULT_FASTBOOT_TCP_PORT = 5554;

/** USB 3 hubs chain at most 7 tiers; a bus number or port past 255 does not exist. */
const MAX_PORT_CHAIN = 7;
const USB_PATH = /^(\d{1,3})-(\d{1,3}(?:\.\d{1,3}){0,6})$/;
const TCP_ENDPOINT = /^tcp:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?$/;

/** `1-3.2` for USB, `tcp:127.0.0.1:5554` for TCP. The one spelling of a slot, everywhere. */
export function formatSlot(slot: Slot): string {
  if (slot.kind === 'usb') return `${slot.bus}-${slot.ports.join('.')}`;
  return `tcp:${slot.host.includes(':') ? `[${slot.host}]` : slot.host}:${slot.port}`;
}

export function sameSlot(a: Slot, b: Slot): boolean {
  return formatSlot(a) === formatSlot(b);
}

/** The USB slot of a device from the bus number and port chain the host reports, or null when it reports none. */
export function usbSlot(bus: number, ports: readonly number[]): Slot | null {
  const valid = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;
  if (!valid(bus) || ports.length === 0 || ports.length > MAX_PORT_CHAIN || !ports.every(valid)) return null;
  return { kind: 'usb', bus, ports: [...ports] };
}

/** Parses `1-3.2`, `usb:1-3.2` or `tcp:HOST[:PORT]`, or says why the text is not a slot. */
export function parseSlot(text: string): Slot | { readonly problem: string } {
  const usb = USB_PATH.exec(text.startsWith('usb:') ? text.slice(4) : text);
  if (usb) {
    const slot = usbSlot(Number(usb[1]), (usb[2] as string).split('.').map(Number));
    return slot ?? { problem: `'${displaySafe(text, 80)}' names a bus or port number over 255` };
  }
  const tcp = TCP_ENDPOINT.exec(text);
  if (tcp) {
    const port = tcp[2] === undefined ? DEFAULT_FASTBOOT_TCP_PORT : Number(tcp[2]);
    if (port < 1 || port > 65535) return { problem: `port ${port} is out of range 1-65535` };
    return { kind: 'tcp', host: (tcp[1] as string).replace(/^\[|\]$/g, ''), port };
  }
  return { problem: `'${displaySafe(text, 80)}' is not a slot; use a USB port path such as 1-3.2, or tcp:HOST[:PORT]` };
}

/** Which handset a command means: the one in a slot, the one with a serial number, or the only one on USB. */
export type HandsetSelector =
  | { readonly by: 'slot'; readonly slot: Slot }
  | { readonly by: 'serial'; readonly serial: string }
  | { readonly by: 'only-usb' };

/**
 * Parses what `-s` takes, as AOSP fastboot does: `usb` (the only handset on USB), a USB port path
 * (`1-3.2` or `usb:1-3.2`), `tcp:HOST[:PORT]`, or else a serial number.
 */
export function parseHandsetSelector(text: string): HandsetSelector | { readonly problem: string } {
  if (text === 'usb') return { by: 'only-usb' };
  if (text.startsWith('tcp:') || USB_PATH.test(text) || text.startsWith('usb:')) {
    const slot = parseSlot(text);
    return 'problem' in slot ? slot : { by: 'slot', slot };
  }
  if (SERIAL_NUMBER.test(text)) return { by: 'serial', serial: text };
  return { problem: `'${displaySafe(text, 80)}' is not a handset; use a serial number, a USB port path such as 1-3.2, usb, or tcp:HOST[:PORT]` };
}

/** Depot names for slots (`1-3.2` → `A4`), matching the labels on its hubs. */
export type SlotNames = Readonly<Record<string, string>>;

/** What an operator reads for a slot: the depot's name when it has one, else the port path. */
export function slotLabel(slot: string, names: SlotNames): string {
  return Object.hasOwn(names, slot) ? (names[slot] as string) : slot;
}
