// Every command a virtual handset receives, fastboot and AT, one line each in `commands.log` in its
// state folder: `<ISO time> <fastboot|at> <command>`. A line is in the file before the command
// runs, so a test (or an auditor of a demo) can prove what reached the device even if the
// simulator died on it, e.g. that no fuse was burned after a failed verify. Download data is never
// logged, only the `download:` command announcing it.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeControlChars, truncationMarker } from '../shared/untrusted.ts';
import { handsetDirectoryName } from './handset-state.ts';

export const COMMAND_LOG_FILE = 'commands.log';
/** Characters of one command kept in the log; an AT line may be 64 KiB of host garbage. */
export const LOGGED_COMMAND_CHARS = 1024;

export type CommandChannel = 'fastboot' | 'at';

export interface CommandLogEntry {
  /** ISO 8601 time the command arrived. */
  readonly time: string;
  readonly channel: CommandChannel;
  /** The command as logged: control characters escaped (escapeControlChars), capped with a truncation marker. */
  readonly command: string;
}

export class CommandLog {
  readonly #file: FileHandle;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(file: FileHandle) {
    this.#file = file;
  }

  static async open(handsetDirectory: string): Promise<CommandLog> {
    return new CommandLog(await open(join(handsetDirectory, COMMAND_LOG_FILE), 'a', 0o600));
  }

  /**
   * Appends one command and resolves once the line is in the file: the kernel holds it from then
   * on, so a crash of the simulator cannot hide it. Commands arrive as Latin-1 text (one character
   * per byte), so cutting by characters never splits one. `receivedLength` is the command's full
   * length when the caller kept only its start.
   */
  append(channel: CommandChannel, command: string, receivedLength = command.length): Promise<void> {
    const kept = Math.min(command.length, LOGGED_COMMAND_CHARS);
    const cut = receivedLength > kept ? truncationMarker(receivedLength - kept) : '';
    const line = `${new Date().toISOString()} ${channel} ${escapeControlChars(command.slice(0, kept))}${cut}\n`;
    const write = this.#writes.then(() => this.#file.write(line));
    this.#writes = write.catch(() => undefined);
    return write.then(() => undefined);
  }

  async close(): Promise<void> {
    await this.#writes;
    await this.#file.close();
  }
}

const LINE = /^(\S+) (fastboot|at) (.*)$/;

/** The command log of the handset with this serial number under a simulator state directory, oldest first. */
export async function readCommandLog(stateDir: string, serial: string): Promise<CommandLogEntry[]> {
  let text: string;
  try {
    text = await readFile(join(stateDir, handsetDirectoryName(serial), COMMAND_LOG_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, index) => {
      const match = LINE.exec(line);
      if (!match) throw new Error(`${COMMAND_LOG_FILE} line ${index + 1} is not '<time> <fastboot|at> <command>'`);
      return { time: match[1] as string, channel: match[2] as CommandChannel, command: match[3] as string };
    });
}
