/**
 * Runs a test Switchyard in a child process (see child-proxy.ts): argv[2] is JSON
 * `{ dynamic, flags }`. Reports `{ port }` (or `{ error }`) over IPC, answers `connections`
 * with the entry point's open client sockets, and exits when told to stop or when the parent goes.
 */
import { startProxy } from './proxy.js';

const { dynamic, flags } = JSON.parse(process.argv[2] ?? '{}') as { dynamic: object; flags: string[] };
const reply = (message: object) => process.send?.(message);

try {
  const proxy = await startProxy(dynamic, flags);
  const entryPoint = proxy.app.entryPoints.get('web');
  process.on('message', (message: { type: string; id: number }) => {
    if (message.type === 'connections') {
      reply({ type: 'connections', id: message.id, count: entryPoint?.openConnections ?? 0 });
    } else if (message.type === 'stop') {
      proxy.stop(200).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  reply({ type: 'ready', port: proxy.port, dir: proxy.dir });
} catch (error) {
  reply({ type: 'error', error: (error as Error).stack ?? String(error) });
  process.exit(3);
}
