// Host and Origin as browsers send them: with the station's port, or without it where the port is the
// scheme's default; another name (DNS rebinding) or another port is refused either way.
import { describe, expect, it } from 'vitest';
import { StationAccess } from '../../../src/main/serve/access.ts';

const access = (authority: string, tls: boolean): StationAccess => new StationAccess({ authority, tls, token: 'secret', cookieKey: Buffer.alloc(32, 1) });

describe('StationAccess.sameOrigin', () => {
  it('takes the station name with its port, or without it (testssl.sh), and refuses another name or port', () => {
    const station = access('127.0.0.1:8420', false);
    expect(station.origin).toBe('http://127.0.0.1:8420');
    expect(station.sameOrigin({ host: '127.0.0.1:8420', origin: 'http://127.0.0.1:8420' }, true)).toBeNull();
    expect(station.sameOrigin({ host: '127.0.0.1' }, false)).toBeNull();
    expect(station.sameOrigin({ host: '127.0.0.1', origin: 'http://127.0.0.1' }, true)?.status).toBe(403);
    expect(station.sameOrigin({ host: '127.0.0.1:8421' }, false)?.status).toBe(421);
    expect(station.sameOrigin({ host: 'rebound.example:8420' }, false)?.status).toBe(421);
    expect(station.sameOrigin({ host: 'rebound.example' }, false)?.status).toBe(421);
    expect(station.sameOrigin({}, false)?.status).toBe(421);
  });

  it("matches what a browser sends to a station on its scheme's default port", () => {
    const station = access('station7.depot.example:443', true);
    expect(station.origin).toBe('https://station7.depot.example');
    expect(station.startUrl).toBe('https://station7.depot.example/?token=secret');
    expect(station.sameOrigin({ host: 'station7.depot.example', origin: 'https://station7.depot.example' }, true)).toBeNull();
    expect(station.sameOrigin({ host: 'station7.depot.example:443', origin: 'https://station7.depot.example' }, true)).toBeNull();
    expect(station.sameOrigin({ host: 'station7.depot.example', origin: 'https://station7.depot.example:8443' }, true)?.status).toBe(403);
    const ipv6 = access('[::1]:8420', false);
    expect(ipv6.sameOrigin({ host: '[::1]' }, false)).toBeNull();
    expect(ipv6.sameOrigin({ host: '[::1]:8420', origin: 'http://[::1]:8420' }, true)).toBeNull();
  });
});
