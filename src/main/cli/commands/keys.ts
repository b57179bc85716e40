import { describeFailure } from '../../../shared/describe-failure.ts';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { displaySafe } from '../../../shared/untrusted.ts';
import { generateSigningKeyPair, KeyFileError } from '../../bundle/keys.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, failureText } from '../io.ts';
import { loadTrustFromArgs, TRUST_OPTIONS } from './bundle.ts';

const USAGE = ['lockstep keys generate --out DIR [--name NAME]', 'lockstep keys list [--trust DIR]... [--demo]'].join('\n       ');

export const keysCommand: CliCommand = {
  usage: USAGE,
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action === 'generate') {
      const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, name: { type: 'string', default: 'signing' } }, strict: true });
      if (!values.out) throw new CliError(`--out DIR is required.\nUsage: ${USAGE}`, EXIT_USAGE);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(values.name)) throw new CliError('--name: 1-64 of A-Z a-z 0-9 _ . -', EXIT_USAGE);
      const pair = generateSigningKeyPair();
      const privatePath = join(values.out, `${values.name}.key.pem`);
      const publicPath = join(values.out, `${values.name}.pub.pem`);
      const folder = displaySafe(values.out);
      await mkdir(values.out, { recursive: true, mode: 0o700 }).catch((error: Error) => {
        const message = `cannot create the folder ${folder} (${describeFailure(error)}): pass a folder path for --out.`;
        throw new CliError(failureText(new KeyFileError('KEY_FILE_UNWRITABLE', message, { cause: error, detail: 'KEY_FOLDER_NOT_CREATED', params: { folder } })));
      });
      let wrotePrivate = false;
      try {
        // 'wx' never overwrites a key; the mode is set again because the umask may have narrowed it differently.
        await writeFile(privatePath, pair.privateKeyPem, { flag: 'wx', mode: 0o600 });
        wrotePrivate = true;
        await chmod(privatePath, 0o600);
        await writeFile(publicPath, pair.publicKeyPem, { flag: 'wx', mode: 0o644 });
      } catch (error) {
        // A private key without its public half would only block the next attempt under this name.
        if (wrotePrivate) await rm(privatePath, { force: true });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          const message = `a key named '${values.name}' already exists in ${folder}: pick another --name; keys are never overwritten.`;
          throw new CliError(failureText(new KeyFileError('KEY_FILE_EXISTS', message, { detail: 'KEY_FILE_EXISTS', params: { name: values.name, folder } })));
        }
        const reason = describeFailure(error);
        const message = `cannot write the key pair to ${folder} (${reason}): pick a folder you can write to.`;
        throw new CliError(failureText(new KeyFileError('KEY_FILE_UNWRITABLE', message, { cause: error, detail: 'KEY_FILE_UNWRITABLE', params: { folder } })));
      }
      io.out(`Key id: ${pair.keyId}\n`);
      io.out(`Private key (keep secret, mode 0600): ${displaySafe(privatePath)}\n`);
      io.out(`Public key (give to stations' trust folders): ${displaySafe(publicPath)}\n`);
      return 0;
    }
    if (action === 'list') {
      const { values } = parseArgs({ args: rest, options: TRUST_OPTIONS, strict: true });
      const trust = await loadTrustFromArgs(values, io);
      if (trust.keys.size === 0) io.out('No trusted keys: add public keys to resources/keys or pass --trust DIR.\n');
      for (const key of trust.keys.values()) io.out(`${key.keyId}  ${key.label}\n`);
      return 0;
    }
    throw new CliError(`unknown action '${displaySafe(action ?? '', 40)}'.\nUsage: ${USAGE}`, EXIT_USAGE);
  },
};
