// The soak's configuration files: one static file, written once, and the dynamic file the
// soak rewrites every second (reload) and on every scale event.
import fs from 'node:fs';

/** Static configuration: entry points, watched file, API, ping, metrics, the 2 s header timeout. */
export function staticYaml({ webPort, apiPort, dynamicFile }) {
  return `entryPoints:
  web: { address: "127.0.0.1:${webPort}" }
  traefik: { address: "127.0.0.1:${apiPort}" }
providers:
  file: { filename: "${dynamicFile}", watch: true }
api: { insecure: true, dashboard: false }
ping: {}
metrics:
  prometheus: {}
# The stalled-upstream case expects a 504 once this fires.
serversTransport:
  forwardingTimeouts:
    responseHeaderTimeout: 2s
log: { level: ERROR }
`;
}

/**
 * Dynamic configuration. `variant` (0 or 1, flipped at every reload) changes a real thing each
 * time — the routers' priorities, which middleware the steady router uses, the first server's
 * weight — so every write is a new table to build and swap, not a no-op the provider skips.
 */
export function dynamicYaml({ servers, oddUrl, variant }) {
  const priority = variant ? 20 : 10;
  const pool = servers
    .map((url, i) => `          - url: "${url}"\n            weight: ${i === 0 ? 1 + variant : 1}`)
    .join('\n');
  return `http:
  routers:
    steady:
      rule: "PathPrefix(\`/api\`) || PathPrefix(\`/big\`)"
      service: pool
      priority: ${priority}
      middlewares: [tag-${variant ? 'b' : 'a'}]
    decoy:
      rule: "Path(\`/decoy\`)"
      service: pool
      priority: ${30 - priority}
    odd:
      rule: "PathPrefix(\`/stream\`) || PathPrefix(\`/upload\`) || PathPrefix(\`/hostile\`)"
      service: odd
  middlewares:
    tag-a:
      headers: { customResponseHeaders: { X-Soak-Variant: "a" } }
    tag-b:
      headers: { customResponseHeaders: { X-Soak-Variant: "b" } }
  services:
    pool:
      loadBalancer:
        servers:
${pool}
    odd:
      loadBalancer:
        servers:
          - url: "${oddUrl}"
`;
}

/** Replace the file in one step (temp + rename), as editors and orchestrators do. */
export function writeAtomically(file, text) {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}
