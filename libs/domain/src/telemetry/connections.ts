/**
 * Why a device's MQTT connection ended, as reported in `sim.disconnected` and the diagnostics.
 * `kicked_*`: the platform closed it (lifecycle change, new credentials, an operator's reset).
 */
export const DISCONNECT_REASONS = [
  'client_disconnect',
  'keepalive_timeout',
  'connection_lost',
  'replaced_by_new_connection',
  'kicked_suspended',
  'kicked_terminated',
  'kicked_blocked',
  'kicked_credentials_rotated',
  'kicked_connectivity_reset',
  'broker_shutdown',
  'broker_restarted',
] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

/** Reasons an operator or the lifecycle asks every broker to drop a device's connection. */
export type KickReason = Extract<DisconnectReason, `kicked_${string}`>;

/** A change of a device's connection, as the broker queues it for the worker. */
export type ConnectionChange =
  | { kind: 'connected'; connectionId: string; iccid: string; accountId: string; brokerId: string; clientId: string; at: string }
  | {
      kind: 'disconnected';
      connectionId: string;
      iccid: string;
      accountId: string;
      brokerId: string;
      clientId: string;
      connectedAt: string;
      at: string;
      reason: DisconnectReason;
      detail: string | null;
    }
  /** A broker (re)started: connections it recorded as open before are over (it crashed or was killed). */
  | { kind: 'broker-started'; brokerId: string; at: string };
