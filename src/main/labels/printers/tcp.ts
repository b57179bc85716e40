// A Zebra-compatible printer on raw TCP (port 9100): `~HS` for its state, and each label job sent
// on a connection of its own that we half-close when the job is written. Every wait has a deadline,
// so an unplugged or silent printer gives a clear error instead of a hang.
import { connect, type Socket } from 'node:net';
import type { PrinterStatus } from '../../../shared/labels.ts';
import { describeFailure } from '../../../shared/describe-failure.ts';
import { hostStatusFrames, MAX_HOST_STATUS_BYTES, parseHostStatus } from './host-status.ts';

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  /** Connecting, answering ~HS and taking a job each get this long. */
  readonly timeoutMs: number;
}

const where = (target: TcpTarget): string => `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;

function openSocket(target: TcpTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from the printer at ${where(target)} within ${target.timeoutMs} ms (is it on and on the network?)`));
    }, target.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const reason = error.code === 'ECONNREFUSED' ? 'connection refused (printer off, or not listening on this port)' : describeFailure(error);
      reject(new Error(`cannot reach the printer at ${where(target)}: ${reason}`));
    });
  });
}

/** Asks the printer for its host status and reads the three-frame answer. */
export async function zebraStatus(target: TcpTarget): Promise<PrinterStatus> {
  const address = `tcp://${where(target)}`;
  let socket: Socket;
  try {
    socket = await openSocket(target);
  } catch (error) {
    return { state: 'offline', address, detail: describeFailure(error) };
  }
  const answer = await new Promise<Buffer | string>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => resolve(`the printer at ${where(target)} did not answer ~HS within ${target.timeoutMs} ms`), target.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const bytes = Buffer.concat(chunks);
      if (hostStatusFrames(bytes) || size > MAX_HOST_STATUS_BYTES) {
        clearTimeout(timer);
        resolve(bytes.subarray(0, MAX_HOST_STATUS_BYTES));
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', () => undefined);
    socket.write('~HS');
  });
  socket.destroy();
  if (typeof answer === 'string') return { state: 'offline', address, detail: answer };
  const status = parseHostStatus(answer);
  if ('problem' in status) return { state: 'offline', address, detail: `${status.problem}; is ${where(target)} a Zebra-compatible printer?` };
  if (status.problems.length > 0) return { state: 'not-ready', address, problems: status.problems, detail: `printer reports ${status.problems.join(', ')}` };
  return { state: 'ready', address, formatsInBuffer: status.formatsInBuffer, detail: `ready, ${status.formatsInBuffer} formats in its buffer` };
}

/** Sends one job and waits until the printer has read all of it and closed its side. */
export async function sendRaw(target: TcpTarget, bytes: Buffer): Promise<string> {
  const socket = await openSocket(target);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the printer at ${where(target)} did not take the job within ${target.timeoutMs} ms`));
    }, target.timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`sending to the printer at ${where(target)} failed: ${describeFailure(error)}`));
    });
    // Discard anything the printer says on the job connection; its status comes from ~HS.
    socket.on('data', () => undefined);
    socket.once('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(`${bytes.length} bytes sent to ${where(target)}`);
    });
    socket.end(bytes);
  });
}
