import type { Redis } from 'ioredis';

/**
 * Closes ioredis connections at shutdown. QUIT lets the commands already sent get their replies (a plain
 * disconnect rejects them with "Connection is closed"); a connection that cannot QUIT is dropped.
 */
export async function closeRedis(...connections: Array<Redis | undefined>): Promise<void> {
  await Promise.all(
    connections.map(async (connection) => {
      if (!connection || connection.status === 'end') return;
      await connection.quit().then(
        () => undefined,
        () => connection.disconnect(),
      );
    }),
  );
}
