import { api } from '../api/client';

export interface ConsoleSettings {
  mapTilesUrl: string | null;
  mapTilesAttribution: string | null;
}

let settings: Promise<ConsoleSettings> | null = null;

/** This installation's console settings (GET /v1/console/settings): tiles under the maps, when configured. */
export function loadSettings(): Promise<ConsoleSettings> {
  settings ??= api.get<ConsoleSettings>('/v1/console/settings').catch(() => ({ mapTilesUrl: null, mapTilesAttribution: null }));
  return settings;
}
