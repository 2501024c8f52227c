/** Builds the console into dist/console unless it is up to date; true when it built. */
export function buildConsole(options?: { force?: boolean; quiet?: boolean }): Promise<boolean>;
export function sourceStamp(): string;
