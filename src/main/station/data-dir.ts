import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the station keeps its database, identity key and simulator state when the front end does
 * not say (Electron passes app.getPath('userData')): $LOCKSTEP_DATA_DIR, else the platform's
 * per-user data folder.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const explicit = env['LOCKSTEP_DATA_DIR'];
  if (explicit) return explicit;
  if (platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Lockstep');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Lockstep');
  return join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'lockstep');
}

/** Where the simulated fleet keeps its handsets' state: shared by the station and `lockstep sim`. */
export function simulatorStateDir(dataDir: string): string {
  return join(dataDir, 'simulator');
}
