import { BullMqJobQueue, RedisConnections } from '@simfleet/queue';

/** A BullMQ queue on its own RedisConnections, closed with it (in a process, the platform closes the connections at shutdown). */
export function bullMqQueue(url: string, prefix: string): BullMqJobQueue {
  const connections = new RedisConnections({ url, prefix });
  const queue = new BullMqJobQueue(connections);
  const closeQueue = queue.close.bind(queue);
  queue.close = async () => {
    await closeQueue();
    await connections.close();
  };
  return queue;
}
