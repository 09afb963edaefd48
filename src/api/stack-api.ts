/**
 * The stack API, added to Switchyard's own API (`api@internal`, the dashboard entry point):
 *
 *   GET  /api/stack                              services and replicas (id, pid, port, url, state, restarts, uptime)
 *   GET  /api/stack/services/{name}              one service
 *   POST /api/stack/services/{name}/scale        body {"replicas": N} → 202 and the service
 *   POST /api/stack/replicas/{id}/stop           drain, then stop → 202 and the replica
 *   POST /api/stack/replicas/{id}/start          → 202 and the replica
 *
 * Changes answer 202 at once: replicas join when ready and leave after draining, and
 * `GET /api/stack` shows them on their way (`starting`, `draining`). Like every change through
 * the API, the POSTs need `Content-Type: application/json` and the API's own origin
 * (src/api/request-guard.ts).
 */

import type { ProcessProvider } from '../provider/process/process-provider.js';
import type { ReplicaView } from '../provider/process/stack-view.js';
import { ApiError, ApiResponse, type InternalApi, readJsonBody } from './index.js';

const MAX_REPLICAS = 64;

function replicaOf(provider: ProcessProvider, id: string): ReplicaView | undefined {
  for (const service of provider.view().services) {
    const replica = service.replicas.find((r) => r.id === id);
    if (replica) return replica;
  }
  return undefined;
}

function refuseWhileStopping(provider: ProcessProvider): void {
  if (provider.isStopping) throw new ApiError(409, 'the stack is stopping');
}

/** Adds the `/api/stack` routes for this provider to the process's internal API. */
export function registerStackApi(api: InternalApi, provider: ProcessProvider): void {
  api.route('GET', '/api/stack', () => provider.view());
  api.route('GET', '/api/stack/services/{name}', ({ params }) => {
    const service = provider.service(params.name as string);
    if (service === undefined) throw new ApiError(404, `no such service: ${params.name}`);
    return service;
  });
  api.route('POST', '/api/stack/services/{name}/scale', async ({ ctx, params }) => {
    const name = params.name as string;
    if (provider.service(name) === undefined) throw new ApiError(404, `no such service: ${name}`);
    refuseWhileStopping(provider);
    const body = (await readJsonBody(ctx, 4096)) as { replicas?: unknown } | undefined;
    const count = body?.replicas;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_REPLICAS) {
      throw new ApiError(400, `body must be {"replicas": N} with N an integer from 0 to ${MAX_REPLICAS}`);
    }
    return new ApiResponse(provider.scale(name, count), 202);
  });
  for (const action of ['stop', 'start'] as const) {
    api.route('POST', `/api/stack/replicas/{id}/${action}`, ({ params }) => {
      const id = params.id as string;
      if (!provider.hasReplica(id)) throw new ApiError(404, `no such replica: ${id}`);
      refuseWhileStopping(provider);
      // The answer does not wait: draining and starting take time, GET /api/stack follows them.
      void (action === 'stop' ? provider.stopReplica(id) : provider.startReplica(id));
      return new ApiResponse(replicaOf(provider, id) ?? { id }, 202);
    });
  }
}
