/** Every MQTT topic of the device contract, in one place (docs/mqtt.md). */
export const UP_CHANNELS = ['sessions', 'location', 'status'] as const;
export type UpChannel = (typeof UP_CHANNELS)[number];
export const DOWN_CHANNELS = ['sms', 'commands', 'errors'] as const;
export type DownChannel = (typeof DOWN_CHANNELS)[number];

export const Topics = {
  up: (iccid: string, channel: UpChannel) => `things/${iccid}/${channel}`,
  down: (iccid: string, channel: DownChannel) => `things/${iccid}/${channel}`,
  errors: (iccid: string) => `things/${iccid}/errors`,
  /** Where refused device publishes are parked: `$` topics never match a subscriber's wildcards. */
  refused: (iccid: string, channel: string) => `$simfleet/refused/${iccid}/${channel}`,
  /**
   * The broker's internal, account-scoped form of a device topic: accepted records and errors travel on it,
   * and an integration's `things/+/sessions` is rewritten to it, so it only ever matches its own account.
   */
  accountPrefix: (accountId: string) => `$simfleet/accounts/${accountId}/`,
  account: (accountId: string, iccid: string, channel: string) => `$simfleet/accounts/${accountId}/things/${iccid}/${channel}`,
  /** The account of an internal account-scoped topic, or null for any other topic. */
  accountOf(topic: string): string | null {
    if (!topic.startsWith('$simfleet/accounts/')) return null;
    const end = topic.indexOf('/', 19);
    return end > 19 ? topic.slice(19, end) : null;
  },
  /** `things/{iccid}/{channel}` → its parts, or null for any other topic. */
  parse(topic: string): { iccid: string; channel: string } | null {
    const match = /^things\/([^/+#]+)\/([^/+#]+)$/.exec(topic);
    return match ? { iccid: match[1], channel: match[2] } : null;
  },
} as const;

export const KIND_OF_CHANNEL: Record<UpChannel, 'session' | 'location' | 'status'> = {
  sessions: 'session',
  location: 'location',
  status: 'status',
};
