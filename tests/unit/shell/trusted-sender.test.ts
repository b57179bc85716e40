import { describe, expect, it } from 'vitest';
import { isStationFrame, stationPageCheck } from '../../../src/main/shell/trusted-sender.ts';

const PAGE = 'file:///opt/Lockstep/resources/app.asar/out/renderer/index.html';

describe('which frames main answers', () => {
  it('the top frame of the built renderer page, on any route', () => {
    const check = stationPageCheck(PAGE, undefined);
    expect(isStationFrame({ parent: null, url: PAGE }, check)).toBe(true);
    expect(isStationFrame({ parent: null, url: `${PAGE}#/history` }, check)).toBe(true);
  });

  it('no frame inside it, no other file, no other page, and no frame at all', () => {
    const check = stationPageCheck(PAGE, undefined);
    expect(isStationFrame({ parent: { url: PAGE }, url: PAGE }, check)).toBe(false);
    expect(isStationFrame({ parent: null, url: 'file:///tmp/evil.html' }, check)).toBe(false);
    expect(isStationFrame({ parent: null, url: `${PAGE}?x=1` }, check)).toBe(false);
    expect(isStationFrame({ parent: null, url: 'https://example.invalid/' }, check)).toBe(false);
    expect(isStationFrame(null, check)).toBe(false);
  });

  it('during development, any page of the dev server origin and nothing else', () => {
    const check = stationPageCheck(PAGE, 'http://localhost:5173/');
    expect(isStationFrame({ parent: null, url: 'http://localhost:5173/index.html#/grid' }, check)).toBe(true);
    expect(isStationFrame({ parent: null, url: 'http://localhost:5174/' }, check)).toBe(false);
    expect(isStationFrame({ parent: null, url: PAGE }, check)).toBe(false);
    expect(isStationFrame({ parent: null, url: 'not a url' }, check)).toBe(false);
  });
});
