// What the host said when a bus, a port listing, a port or an endpoint could not be used, as one of the conditions the
// UI words in the operator's language (SYSTEM_CONDITIONS). The system's own text (an errno message, libusb's, a
// library's) is English and stays in the station's sentence; the condition is what a technician reads first.
import { FastbootProtocolError, FastbootTimeoutError } from '../fastboot/errors.ts';
import type { SystemCondition } from '../../shared/types.ts';

const BY_ERRNO: Readonly<Record<string, SystemCondition>> = {
  EACCES: 'permissionDenied',
  EPERM: 'permissionDenied',
  EBUSY: 'busy',
  ENOENT: 'notFound',
  ENODEV: 'notFound',
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ETIMEDOUT: 'timedOut',
  ENOTFOUND: 'hostUnknown',
  EAI_AGAIN: 'hostUnknown',
};

/** Texts of libraries that carry no errno (libusb, node-usb's sysfs reader, serialport's lock). */
const BY_TEXT: readonly (readonly [RegExp, SystemCondition])[] = [
  [/\/sys\/bus\/usb\b.*not found|LIBUSB_ERROR_NOT_SUPPORTED/i, 'usbBusMissing'],
  [/LIBUSB_ERROR_ACCESS|permission denied/i, 'permissionDenied'],
  [/LIBUSB_ERROR_BUSY|resource busy|cannot lock port/i, 'busy'],
  [/LIBUSB_ERROR_NO_DEVICE|LIBUSB_ERROR_NOT_FOUND|no such file or directory/i, 'notFound'],
];

export function systemCondition(error: unknown): SystemCondition {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof FastbootTimeoutError) return 'timedOut';
    if (current instanceof FastbootProtocolError) return 'notFastboot';
    const { code, syscall } = current as NodeJS.ErrnoException;
    // serialport lists ports with `udevadm`: a host without udev fails to spawn it.
    if (code === 'ENOENT' && typeof syscall === 'string' && syscall.startsWith('spawn')) return 'listingToolMissing';
    const known = typeof code === 'string' ? BY_ERRNO[code] : undefined;
    if (known) return known;
    const byText = BY_TEXT.find(([pattern]) => pattern.test(current.message));
    if (byText) return byText[1];
  }
  return 'other';
}
