import { parseArgs } from 'node:util';
import { displaySafe } from '../../../shared/untrusted.ts';
import { FastbootClient } from '../../fastboot/client.ts';
import { connectDevice } from '../../fastboot/connect.ts';
import { parseHandsetSelector } from '../../../shared/handset.ts';
import { FastbootError } from '../../fastboot/errors.ts';
import { flashImage, type FlashProgress } from '../../fastboot/flash-image.ts';
import { printable } from '../../fastboot/response.ts';
import { openSystemUsbBus } from '../../usb/system-bus.ts';
import { parseByteSize } from '../byte-size.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, type CliIo } from '../io.ts';

const USAGE = `lockstep fastboot -s SLOT|SERIAL|usb [-S SIZE] [--timeout SECONDS] COMMAND
  getvar NAME | getvar all        print a variable, or all of them
  flash PARTITION FILE            flash a raw or Android sparse image (split to the download size)
  erase PARTITION
  oem ARGS...                     a vendor command, e.g. oem sha256 system_a 0x1000
  flashing lock | flashing unlock
  set_active SLOT
  reboot | reboot-bootloader | continue
-S SIZE overrides the device's max-download-size (bytes, 0x hex, or with K/M/G).
--timeout SECONDS bounds each command, and the device's silence within it (a flash's pieces: their size at 1 MB/s plus 30 s).
Device text is printed with control and non-ASCII bytes escaped as \\xNN.`;

export const fastbootCommand: CliCommand = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        serial: { type: 'string', short: 's' },
        'max-download-size': { type: 'string', short: 'S' },
        timeout: { type: 'string' },
      },
    });
    if (values.serial === undefined) throw new CliError(`name the device with -s (e.g. -s tcp:127.0.0.1:5554)\nUsage: ${USAGE}`, EXIT_USAGE);
    const selector = parseHandsetSelector(values.serial);
    if ('problem' in selector) throw new CliError(selector.problem, EXIT_USAGE);
    const action = toAction(positionals);
    const maxDownloadSize = values['max-download-size'] === undefined ? undefined : parseByteSize(values['max-download-size'], '-S');
    const timeoutMs = values.timeout === undefined ? undefined : parseSeconds(values.timeout) * 1000;

    try {
      const overTcp = selector.by === 'slot' && selector.slot.kind === 'tcp';
      const transport = await connectDevice(selector, { usb: overTcp ? undefined : openSystemUsbBus() });
      const client = new FastbootClient(transport, {
        commandTimeoutMs: timeoutMs,
        slowCommandTimeoutMs: timeoutMs,
        commandDeadlineMs: timeoutMs,
        slowCommandDeadlineMs: timeoutMs,
        onInfo: (line) => io.out(`(bootloader) ${printable(line)}\n`),
      });
      try {
        await perform(client, action, io, maxDownloadSize);
      } finally {
        await client.close();
      }
    } catch (error) {
      if (error instanceof FastbootError) throw new CliError(error.message);
      throw error;
    }
    return 0;
  },
};

type Action = { readonly kind: 'getvar'; readonly name: string } | { readonly kind: 'flash'; readonly partition: string; readonly file: string } | { readonly kind: 'command'; readonly command: string };

function toAction(words: readonly string[]): Action {
  const [verb, ...rest] = words;
  const arity = (count: number, shape: string): void => {
    if (rest.length !== count) throw new CliError(`'${verb}' takes ${shape}\nUsage: ${USAGE}`, EXIT_USAGE);
  };
  switch (verb) {
    case 'getvar':
      arity(1, 'one variable name (or all)');
      return { kind: 'getvar', name: rest[0] as string };
    case 'flash':
      arity(2, 'a partition and an image file');
      return { kind: 'flash', partition: rest[0] as string, file: rest[1] as string };
    case 'erase':
      arity(1, 'a partition');
      return { kind: 'command', command: `erase:${rest[0]}` };
    case 'set_active':
      arity(1, 'a slot (a or b)');
      return { kind: 'command', command: `set_active:${rest[0]}` };
    case 'oem':
      if (rest.length === 0) throw new CliError(`'oem' needs at least one argument\nUsage: ${USAGE}`, EXIT_USAGE);
      return { kind: 'command', command: `oem ${rest.join(' ')}` };
    case 'flashing':
      if (rest.length !== 1 || (rest[0] !== 'lock' && rest[0] !== 'unlock')) throw new CliError(`'flashing' takes lock or unlock\nUsage: ${USAGE}`, EXIT_USAGE);
      return { kind: 'command', command: `flashing ${rest[0]}` };
    case 'reboot':
    case 'reboot-bootloader':
    case 'continue':
      arity(0, 'no arguments');
      return { kind: 'command', command: verb };
    default:
      if (verb === undefined) throw new CliError(`name a fastboot command\nUsage: ${USAGE}`, EXIT_USAGE);
      throw new CliError(`unknown fastboot command '${displaySafe(verb, 40)}'\nUsage: ${USAGE}`, EXIT_USAGE);
  }
}

async function perform(client: FastbootClient, action: Action, io: CliIo, maxDownloadSize: number | undefined): Promise<void> {
  const started = performance.now();
  switch (action.kind) {
    case 'getvar':
      if (action.name === 'all') {
        const { variables } = await client.getvarAll({ onInfo: () => undefined });
        for (const variable of variables) io.out(`${printable(variable.name)}: ${printable(variable.value)}\n`);
      } else {
        io.out(`${action.name}: ${printable(await client.getvar(action.name))}\n`);
      }
      return;
    case 'command': {
      const result = await client.command(action.command);
      if (result.value !== '') io.out(`${printable(result.value)}\n`);
      io.err(`OKAY [${seconds(started)}]\n`);
      return;
    }
    case 'flash': {
      const progress = progressPrinter(io, action.partition);
      const result = await flashImage(client, action.partition, action.file, { maxDownloadSize, onProgress: progress });
      progress.done();
      const took = `${result.imageBytes} bytes in ${result.pieces} piece(s), ${seconds(started)}`;
      io.err(`Flashed ${displaySafe(action.file)} into '${action.partition}': ${took}\n`);
    }
  }
}

/** A bar redrawn in place on a terminal; one line per piece and phase otherwise (logs, pipes). */
function progressPrinter(io: CliIo, partition: string): ((progress: FlashProgress) => void) & { done(): void } {
  let lastLine = '';
  let lastDraw = 0;
  const started = performance.now();
  const print = (progress: FlashProgress): void => {
    if (!io.isTty) {
      const line = progress.phase === 'download' ? `Sending '${partition}' piece ${progress.piece} (${Math.ceil(progress.pieceBytes / 1024)} KiB)` : `Writing '${partition}' piece ${progress.piece}`;
      if (line !== lastLine && (progress.phase === 'flash' || progress.pieceBytesSent === progress.pieceBytes)) io.err(`${line}\n`);
      lastLine = line;
      return;
    }
    const now = performance.now();
    if (now - lastDraw < 100 && progress.phase === 'download' && progress.pieceBytesSent < progress.pieceBytes) return;
    lastDraw = now;
    const fraction = progress.imageBytes === 0 ? 1 : progress.imageBytesRead / progress.imageBytes;
    const width = 30;
    const filled = Math.round(fraction * width);
    const rate = progress.imageBytesRead / 1e6 / Math.max((now - started) / 1000, 0.001);
    const label = progress.phase === 'download' ? 'sending' : 'writing';
    io.err(`\r${partition} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% piece ${progress.piece} ${label} ${rate.toFixed(1)} MB/s `);
  };
  return Object.assign(print, { done: () => io.isTty && io.err('\n') });
}

function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new CliError(`--timeout '${displaySafe(text, 40)}' is not a number of seconds (0-86400)`, EXIT_USAGE);
  }
  return value;
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(3)} s`;
}
