// The host conditions a discovery line names in the operator's words, from the errors the host really gives here: a
// file that is not there, a listing tool that is not installed, a TCP port nothing listens on, a host name that does
// not resolve, and a fastboot probe that gets no answer or the wrong protocol. Libraries that carry no errno are
// matched by their own texts (libusb's, node-usb's sysfs reader, serialport's lock), quoted as they print them.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { systemCondition } from '../../../src/main/discovery/system-condition.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('it worked');
    },
    (error: unknown) => error,
  );

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

/** A TCP server on the loopback that behaves as `answer` says: says nothing, or something that is not fastboot. */
async function listening(answer: 'silent' | 'http'): Promise<number> {
  const server = createServer((socket) => {
    if (answer === 'http') socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('system conditions', () => {
  it('names the errors the host gives', async () => {
    expect(systemCondition(await failure(readFile('/no/such/file')))).toBe('notFound');
    const spawned = await new Promise<unknown>((resolve) => spawn('lockstep-no-such-udevadm', ['info', '-e']).on('error', resolve));
    expect(systemCondition(spawned)).toBe('listingToolMissing');
    expect(systemCondition(await failure(lookup('no-such-host.invalid')))).toBe('hostUnknown');
  });

  it('names why a fastboot endpoint does not answer, through the errors that wrap the system one', async () => {
    expect(systemCondition(await failure(connectTcp('127.0.0.1', 1, { timeoutMs: 2000 })))).toBe('refused');
    expect(systemCondition(await failure(connectTcp('127.0.0.1', await listening('silent'), { timeoutMs: 300 })))).toBe('timedOut');
    expect(systemCondition(await failure(connectTcp('127.0.0.1', await listening('http'), { timeoutMs: 2000 })))).toBe('notFastboot');
  });

  it("reads the libraries' own texts, and says 'other' for what it does not know", () => {
    expect(systemCondition(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'))).toBe('usbBusMissing');
    expect(systemCondition(new Error('LIBUSB_ERROR_ACCESS'))).toBe('permissionDenied');
    expect(systemCondition(new Error('Error Resource temporarily unavailable Cannot lock port'))).toBe('busy');
    expect(systemCondition(new Error('the moon is in the wrong phase'))).toBe('other');
    expect(systemCondition('not an error')).toBe('other');
  });
});
