import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readsOf, type SocketReads } from '../../../src/sim/socket-reads.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A server taking over each connection with readsOf; resolves with the first connection's reads and a client socket. */
async function connection(): Promise<{ reads: SocketReads; client: Socket }> {
  let taken: (reads: SocketReads) => void = () => undefined;
  const accepted = new Promise<SocketReads>((resolve) => (taken = resolve));
  const server = createServer({ pauseOnConnect: true }, (socket) => taken(readsOf(socket)));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const client = connect(address.port, '127.0.0.1');
  return { reads: await accepted, client };
}

describe('socket reads into a reused buffer', () => {
  it('hands over every byte in order, and no read overwrites a chunk while the consumer still holds it', async () => {
    const { reads, client } = await connection();
    const data = randomBytes(24 * 1024 * 1024);
    client.end(data);
    const received = createHash('sha256');
    let chunks = 0;
    for await (const chunk of reads.chunks) {
      const onArrival = createHash('sha256').update(chunk).digest('hex');
      received.update(chunk);
      chunks++;
      // Time for the socket to read on, were it not paused until the next chunk is asked for.
      await new Promise((resolve) => setTimeout(resolve, chunks % 16 === 0 ? 5 : 0));
      expect(createHash('sha256').update(chunk).digest('hex')).toBe(onArrival);
    }
    expect(received.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(chunks).toBeGreaterThan(24 * 4);
    reads.socket.destroy();
  });

  it('writes back on the same connection and ends the chunks when the peer closes', async () => {
    const { reads, client } = await connection();
    const answer = new Promise<string>((resolve) => client.once('data', (data: Buffer) => resolve(data.toString('latin1'))));
    client.write('FB01');
    const iterator = reads.chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(Buffer.from(first.value as Uint8Array).toString('latin1')).toBe('FB01');
    reads.socket.write('FB01');
    expect(await answer).toBe('FB01');
    client.end();
    expect((await iterator.next()).done).toBe(true);
  });

  it('reads a socket that has no handle to take over the usual way', () => {
    const socket = new Socket();
    const reads = readsOf(socket);
    expect(reads.socket).toBe(socket);
    expect(reads.chunks).toBe(socket);
    socket.destroy();
  });
});
