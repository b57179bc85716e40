// TCP endpoints after a link reset: an in-process fastboot-over-TCP listener (the FB01 handshake,
// then whatever the test does with the socket) behind a real TcpBackend and HandsetRegistry.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastbootPresence } from '../../../src/main/discovery/presence.ts';
import { HandsetRegistry, type RegistryEvent } from '../../../src/main/discovery/registry.ts';
import { TcpBackend } from '../../../src/main/discovery/tcp-backend.ts';
import type { FastbootTransport } from '../../../src/main/fastboot/transport.ts';

/** Answers FB01 with FB01 and keeps every handshaken socket, newest last; counts every connection. */
class Listener {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  connections = 0;

  private constructor(server: Server) {
    this.server = server;
  }

  static async open(): Promise<Listener> {
    const listener = new Listener(createServer());
    listener.server.on('connection', (socket) => {
      listener.connections += 1;
      socket.on('error', () => undefined);
      socket.once('data', (hello) => {
        if (hello.subarray(0, 4).toString('latin1') !== 'FB01') return socket.destroy();
        socket.write('FB01');
        listener.sockets.push(socket);
      });
    });
    await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', resolve));
    return listener;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpointInRegistry(): Promise<{ listener: Listener; registry: HandsetRegistry; events: string[]; presence: () => FastbootPresence }> {
  const listener = await Listener.open();
  cleanups.push(() => listener.close());
  const registry = new HandsetRegistry([new TcpBackend([{ kind: 'tcp', host: '127.0.0.1', port: listener.port }])]);
  const events: string[] = [];
  registry.subscribe((event: RegistryEvent) => events.push(`${event.type} ${event.presence.id}`));
  await registry.start();
  cleanups.push(() => registry.stop());
  const presence = (): FastbootPresence => {
    const found = registry.list().find((candidate): candidate is FastbootPresence => candidate.kind === 'fastboot');
    if (!found) throw new Error('the endpoint is not present');
    return found;
  };
  return { listener, registry, events, presence };
}

/** The run's side: a connection whose next receive fails once the listener resets the socket. */
async function resetUnder(transport: FastbootTransport, listener: Listener): Promise<void> {
  const receiving = transport.receive(30_000);
  const socket = listener.sockets.at(-1);
  if (!socket) throw new Error('the listener has no connection');
  socket.resetAndDestroy();
  await expect(receiving).rejects.toMatchObject({ failure: 'disconnected' });
}

describe('TCP backend', () => {
  it('re-attaches an endpoint that still answers after the run’s connection was reset, so the run can start again', async () => {
    const { listener, events, presence } = await endpointInRegistry();
    const id = presence().id;
    expect(events).toEqual([`attach ${id}`]);
    const transport = await presence().connect();
    await resetUnder(transport, listener);
    // Reported gone at once, before the run closes its end.
    expect(events).toEqual([`attach ${id}`, `detach ${id}`]);
    await expect.poll(() => events, { timeout: 10_000 }).toEqual([`attach ${id}`, `detach ${id}`, `attach ${id}`]);
    // The run closing its broken end later changes nothing, and the new presence connects.
    await transport.close();
    const again = await presence().connect();
    await again.close();
    expect(events).toEqual([`attach ${id}`, `detach ${id}`, `attach ${id}`]);
  });

  it('re-attaches after a reset the run meets when it next sends', async () => {
    const { listener, events, presence } = await endpointInRegistry();
    const id = presence().id;
    const transport = await presence().connect();
    const socket = listener.sockets.at(-1);
    const gone = new Promise((resolve) => socket?.once('close', resolve));
    socket?.resetAndDestroy();
    await gone;
    // The run was waiting (a pause, the supervisor); its next command finds the link gone.
    await expect
      .poll(async () => transport.send([Buffer.from('getvar:product')], 1000).then(() => 'sent', (error: { failure?: string }) => error.failure), { timeout: 5000 })
      .toBe('disconnected');
    await expect.poll(() => events, { timeout: 10_000 }).toEqual([`attach ${id}`, `detach ${id}`, `attach ${id}`]);
    await transport.close();
  });

  it('announces nothing when a run closes a whole connection to an endpoint that still answers', async () => {
    const { listener, events, presence } = await endpointInRegistry();
    const id = presence().id;
    const transport = await presence().connect();
    await transport.close();
    // Two probes after the close have reached the endpoint: it stayed present throughout.
    const probes = listener.connections;
    await expect.poll(() => listener.connections, { timeout: 10_000 }).toBeGreaterThanOrEqual(probes + 2);
    expect(events).toEqual([`attach ${id}`]);
  });

  it('does not probe an endpoint while a run holds a whole connection to it', async () => {
    const { listener, events, presence } = await endpointInRegistry();
    const transport = await presence().connect();
    const held = listener.connections;
    // A second endpoint on another listener shows the probe loop turning meanwhile.
    const other = await Listener.open();
    cleanups.push(() => other.close());
    const registry = new HandsetRegistry([new TcpBackend([{ kind: 'tcp', host: '127.0.0.1', port: other.port }])]);
    await registry.start();
    cleanups.push(() => registry.stop());
    await expect.poll(() => other.connections, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(listener.connections).toBe(held);
    expect(events).toHaveLength(1);
    await transport.close();
  });
});
