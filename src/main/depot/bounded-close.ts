// A connection to the depot whose closing cannot hang. node-postgres' end() sends Terminate and waits
// for the server to close the socket, which a restarted or stopped server does, but a silent one (a
// dead host, a pulled cable leaving the socket half-open) never does. So the socket is ours (TLS, when
// used, runs over it), and closing destroys it when end() has not finished within a grace period.
import { Socket } from 'node:net';
import pg from 'pg';

/** How long closing waits for the server to close its side before the socket is destroyed. */
export const CLOSE_GRACE_MS = 1_000;

export interface BoundedClient {
  readonly client: pg.Client;
  /** Ends the connection; settles within `graceMs` whatever the server does. Never throws. */
  readonly close: () => Promise<void>;
}

export function boundedClient(config: pg.ClientConfig, graceMs = CLOSE_GRACE_MS): BoundedClient {
  let socket: Socket | null = null;
  const client = new pg.Client({ ...config, stream: () => (socket = new Socket()) });
  const close = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        socket?.destroy();
        resolve();
      }, graceMs);
    });
    await Promise.race([client.end().catch(() => undefined), cut]);
    clearTimeout(timer);
  };
  return { client, close };
}
