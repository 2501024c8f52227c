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
