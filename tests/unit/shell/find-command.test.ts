// Finding the commands of the Debian package list on a real folder tree: on PATH by name, by path,
// and through one `*` folder (PostgreSQL's major version), newest first.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCommand } from '../../../resources/build/find-command.ts';

const root = mkdtempSync(join(tmpdir(), 'lockstep-find-command-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, mode: number): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
}

describe('findCommand', () => {
  const bin = join(root, 'bin');
  const other = join(root, 'other');
  const tool = file(join(other, 'tool'), 0o755);
  file(join(bin, 'tool'), 0o644);
  mkdirSync(join(bin, 'folder'));

  it('looks a bare name up on PATH, skipping files that cannot be run and folders', () => {
    expect(findCommand('tool', [bin, '', other].join(delimiter))).toBe(tool);
    expect(findCommand('folder', bin)).toBeNull();
    expect(findCommand('absent', [bin, other].join(delimiter))).toBeNull();
    expect(findCommand('tool', '')).toBeNull();
  });

  it('takes a path as it is', () => {
    expect(findCommand(tool, '')).toBe(tool);
    expect(findCommand(join(bin, 'tool'), '')).toBeNull();
  });

  it('resolves one * folder to the newest that holds the command, versions compared as numbers', () => {
    const versions = join(root, 'postgresql');
    file(join(versions, '9', 'bin', 'initdb'), 0o755);
    const newest = file(join(versions, '17', 'bin', 'initdb'), 0o755);
    mkdirSync(join(versions, '18', 'bin'), { recursive: true });
    expect(findCommand(join(versions, '*', 'bin', 'initdb'), '')).toBe(newest);
    expect(findCommand(join(versions, '*', 'bin', 'postgres'), '')).toBeNull();
    expect(findCommand(join(root, 'nowhere', '*', 'bin', 'initdb'), '')).toBeNull();
  });
});
