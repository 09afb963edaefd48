// The Docker label reference (Traefik's other-providers/docker.md): one compose case per label the
// page lists, with values our own, on a container exposing port 80 behind a router `app`.
export const LABEL_SOURCE = 'docs/content/reference/routing-configuration/other-providers/docker.md';
const r = 'traefik.http.routers.app';
const s = 'traefik.http.services.app.loadbalancer';
const base = [`${r}.rule=Host(\`app.example.com\`)`];

export const LABELS = [
  ['enable', 'providers/docker', ['traefik.enable=true', ...base]],
  ['docker-network', 'providers/docker', ['traefik.docker.network=proxy', ...base]],
  ['docker-allownonrunning', 'providers/docker', ['traefik.docker.allownonrunning=true', ...base]],
  ['router-rule', 'routers/rule', base],
  ['router-rulesyntax', 'routers/ruleSyntax', [...base, `${r}.ruleSyntax=v3`]],
  ['router-entrypoints', 'routers/entryPoints', [...base, `${r}.entrypoints=web,websecure`]],
  [
    'router-middlewares',
    'routers/middlewares',
    [...base, `${r}.middlewares=to-https`, 'traefik.http.middlewares.to-https.redirectscheme.scheme=https'],
  ],
  ['router-service', 'routers/service', [...base, `${r}.service=app`, `${s}.server.port=80`]],
  ['router-priority', 'routers/priority', [...base, `${r}.priority=42`]],
  [
    'router-observability',
    'routers/observability',
    [
      ...base,
      `${r}.observability.accesslogs=false`,
      `${r}.observability.metrics=true`,
      `${r}.observability.tracing=false`,
    ],
  ],
  ['router-tls', 'tls/router-tls', [...base, `${r}.tls=true`]],
  ['router-tls-certresolver', 'tls/certResolver', [...base, `${r}.tls.certresolver=myresolver`]],
  [
    'router-tls-domains',
    'tls/domains',
    [...base, `${r}.tls.domains[0].main=example.org`, `${r}.tls.domains[0].sans=test.example.org,dev.example.org`],
  ],
  ['router-tls-options', 'tls/router-options', [...base, `${r}.tls.options=foobar`]],
  ['service-port', 'services/loadBalancer', [...base, `${s}.server.port=8080`]],
  ['service-scheme', 'services/loadBalancer', [...base, `${s}.server.scheme=https`]],
  ['service-url', 'services/loadBalancer', [...base, `${s}.server.url=http://10.9.0.2:8080`]],
  ['service-passhostheader', 'services/loadBalancer', [...base, `${s}.passhostheader=false`]],
  ['service-serverstransport', 'services/serversTransports', [...base, `${s}.serverstransport=foobar@file`]],
  ['service-responseforwarding', 'services/loadBalancer', [...base, `${s}.responseforwarding.flushinterval=10`]],
  [
    'service-healthcheck-path',
    'services/healthCheck',
    [...base, `${s}.healthcheck.path=/health`, `${s}.healthcheck.interval=10s`, `${s}.healthcheck.timeout=3s`],
  ],
  [
    'service-healthcheck-more',
    'services/healthCheck',
    [
      ...base,
      `${s}.healthcheck.path=/health`,
      `${s}.healthcheck.port=8081`,
      `${s}.healthcheck.scheme=http`,
      `${s}.healthcheck.hostname=app.internal`,
      `${s}.healthcheck.method=HEAD`,
      `${s}.healthcheck.status=204`,
      `${s}.healthcheck.followredirects=false`,
      `${s}.healthcheck.unhealthyinterval=30s`,
      `${s}.healthcheck.headers.X-Probe=yes`,
    ],
  ],
  ['service-sticky', 'services/sticky', [...base, `${s}.sticky.cookie=true`]],
  [
    'service-sticky-options',
    'services/sticky',
    [
      ...base,
      `${s}.sticky.cookie.name=app_session`,
      `${s}.sticky.cookie.secure=true`,
      `${s}.sticky.cookie.httponly=true`,
      `${s}.sticky.cookie.samesite=strict`,
      `${s}.sticky.cookie.maxage=600`,
      `${s}.sticky.cookie.path=/`,
    ],
  ],
  [
    'tcp-router',
    'tcp/routers',
    [
      'traefik.tcp.routers.db.rule=HostSNI(`*`)',
      'traefik.tcp.routers.db.entrypoints=db',
      'traefik.tcp.routers.db.service=db',
      'traefik.tcp.services.db.loadbalancer.server.port=5432',
    ],
  ],
  [
    'tcp-router-tls',
    'tcp/tls',
    [
      'traefik.tcp.routers.db.rule=HostSNI(`db.example.com`)',
      'traefik.tcp.routers.db.tls=true',
      'traefik.tcp.routers.db.tls.passthrough=true',
      'traefik.tcp.services.db.loadbalancer.server.port=5432',
    ],
  ],
  [
    'tcp-middleware',
    'tcp/middlewares',
    [
      'traefik.tcp.routers.db.rule=HostSNI(`*`)',
      'traefik.tcp.routers.db.middlewares=limit',
      'traefik.tcp.middlewares.limit.inflightconn.amount=10',
      'traefik.tcp.services.db.loadbalancer.server.port=5432',
    ],
  ],
  [
    'udp-router',
    'udp/routers',
    [
      'traefik.udp.routers.dns.entrypoints=dns',
      'traefik.udp.routers.dns.service=dns',
      'traefik.udp.services.dns.loadbalancer.server.port=53',
    ],
  ],
].map(([name, feature, labels]) => ({ name: `label-${name}`, source: LABEL_SOURCE, feature, labels }));
