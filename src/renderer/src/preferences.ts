// What one station window remembers for its operators: the theme. Kept in the window's own storage;
// nothing here is a station setting or a secret (the idle lock is a station policy: settings.ts).
import { useCallback, useEffect, useState } from 'react';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export interface Preferences {
  readonly theme: Theme;
}

const KEY = 'lockstep.preferences';
const DEFAULTS: Preferences = { theme: 'system' };

function load(): Preferences {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Preferences>;
    const theme = (THEMES as readonly string[]).includes(String(stored.theme)) ? (stored.theme as Theme) : DEFAULTS.theme;
    return { theme };
  } catch {
    return DEFAULTS;
  }
}

export function usePreferences(): [Preferences, (change: Partial<Preferences>) => void] {
  const [preferences, setPreferences] = useState(load);
  useEffect(() => {
    document.documentElement.dataset['theme'] = preferences.theme;
  }, [preferences.theme]);
  const update = useCallback((change: Partial<Preferences>) => {
    setPreferences((current) => {
      const next = { ...current, ...change };
      localStorage.setItem(KEY, JSON.stringify(next));
      return next;
    });
  }, []);
  return [preferences, update];
}
