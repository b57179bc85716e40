import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeFailure } from '../../../shared/describe-failure.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { resourcesDir } from '../../resources-dir.ts';
import { newToken } from '../../serve/access.ts';
import { stationCookieKey } from '../../serve/cookie-key.ts';
import { DEFAULT_LISTEN, parseListenAddress } from '../../serve/listen-address.ts';
import { loadRendererFiles } from '../../serve/renderer-files.ts';
import { serveStation } from '../../serve/server.ts';
import { prepareDemo } from '../../shell/prepare-demo.ts';
import { ownerShutdownTarget, shutDownStation } from '../../shell/shutdown.ts';
import { defaultDataDir } from '../../station/data-dir.ts';
import { openStation } from '../../station/open-station.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE } from '../io.ts';

export const serveCommand: CliCommand = {
  usage: `lockstep serve [--listen HOST:PORT] [--demo | --hardware] [--data DIR] [--tls-cert FILE --tls-key FILE]
  --listen HOST:PORT  where browsers reach the station (default ${DEFAULT_LISTEN}, this machine only; port 0 = any free port);
                      any address beyond loopback needs --tls-cert and --tls-key
  --demo              the simulated demo fleet at demo speed, demo operators and bundle, in its own data folder
  --hardware          the USB bus, serial ports and configured TCP endpoints (default: those when the host has a USB bus, else the fleet)
  --data DIR          the station's data folder (default: $LOCKSTEP_DATA_DIR or the per-user data folder)
  --tls-cert FILE     PEM certificate (chain) for https, with --tls-key FILE its private key
Prints the address with a secret once; a browser that opens it is admitted by an HttpOnly cookie.`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        listen: { type: 'string', default: DEFAULT_LISTEN },
        demo: { type: 'boolean', default: false },
        hardware: { type: 'boolean', default: false },
        data: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
      },
      strict: true,
    });
    if (values.demo && values.hardware) throw new CliError('--demo and --hardware exclude each other', EXIT_USAGE);
    const listen = parseListenAddress(values.listen);
    if (typeof listen === 'string') throw new CliError(displaySafe(listen), EXIT_USAGE);
    const certPath = values['tls-cert'];
    const keyPath = values['tls-key'];
    if ((certPath === undefined) !== (keyPath === undefined)) throw new CliError('--tls-cert and --tls-key go together', EXIT_USAGE);
    if (!listen.loopback && certPath === undefined) {
      throw new CliError(`listening on ${displaySafe(listen.host)} (beyond this machine) needs TLS: give --tls-cert FILE and --tls-key FILE`, EXIT_USAGE);
    }
    const tls = certPath && keyPath ? await readTls(certPath, keyPath) : null;
    const renderer = await loadRendererFiles(join(resourcesDir(), '..', 'out', 'renderer')).catch((error: unknown) => {
      throw new CliError(describeFailure(error));
    });
    // The demo keeps its own data folder, as the window's does, so no demo record mixes with a depot's.
    const dataDir = resolve(values.data ?? (values.demo ? join(defaultDataDir(), 'demo-station') : defaultDataDir()));
    await mkdir(dataDir, { recursive: true });
    if (values.demo) {
      const bundle = await prepareDemo(dataDir);
      io.err(`DEMO MODE: the demo bundle is ${displaySafe(bundle)}; demo operators; data in ${displaySafe(dataDir)} — not for production\n`);
    }
    const fleet = values.demo ? 'simulated' : values.hardware ? 'hardware' : 'auto';
    const opened = await openStation({ dataDir, fleet, demo: values.demo }).catch((error: unknown) => {
      throw new CliError(`cannot open the station: ${describeFailure(error)}`);
    });
    const { station } = opened;
    const cookieKey = await stationCookieKey(dataDir);
    const served = await serveStation({ station, renderer, host: listen.host, port: listen.port, tls, token: newToken(), cookieKey }).catch(async (error: unknown) => {
      await opened.close();
      throw new CliError(`cannot listen on ${displaySafe(values.listen)}: ${describeFailure(error)}`);
    });
    io.err(`Lockstep station (${opened.mode}) serving the operator UI; Ctrl-C stops it.\n`);
    io.err("Open this address in a browser (it holds a secret: share it only with the station's operators):\n");
    io.out(`${served.startUrl}\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    io.err('Lockstep: stopping: the batch pauses at its next step boundary, then the station closes.\n');
    const report = await shutDownStation(
      ownerShutdownTarget(station.owner, async () => {
        await served.close();
        await opened.close();
      }),
    );
    if (report.pauseRefused) io.err(`Lockstep: the batch could not be paused before stopping (${displaySafe(report.pauseRefused)})\n`);
    if (report.interrupted.length > 0) {
      io.err(`Lockstep: stopped mid-step and journaled for resumption: ${report.interrupted.map((slot) => displaySafe(slot)).join(', ')}\n`);
    }
    if (!report.closed) io.err('Lockstep: closing the station took too long; stopping with every committed record kept\n');
    return 0;
  },
};

async function readTls(certPath: string, keyPath: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (path: string): Promise<Buffer> =>
    readFile(path).catch((error: unknown) => {
      throw new CliError(`cannot read ${displaySafe(path)}: ${describeFailure(error)}`);
    });
  return { cert: await read(certPath), key: await read(keyPath) };
}
