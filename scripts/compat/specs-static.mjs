// Static-configuration specs of the compatibility corpus, after Traefik's install-configuration
// documentation: per page, the keys and shapes it shows (values our own). Each becomes a YAML and
// a TOML static file.
const I = 'docs/content/reference/install-configuration';
const ep = { web: { address: ':80' }, websecure: { address: ':443' } };

export const STATIC = [
  ['entrypoints', `${I}/entrypoints.md`, 'static/entryPoints', { entryPoints: ep }],
  [
    'entrypoints-redirect',
    `${I}/entrypoints.md`,
    'static/entryPoints.http.redirections',
    {
      entryPoints: {
        web: {
          address: ':80',
          http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } },
        },
        websecure: { address: ':443' },
      },
    },
  ],
  [
    'entrypoints-middlewares',
    `${I}/entrypoints.md`,
    'static/entryPoints.http.middlewares',
    { entryPoints: { web: { address: ':80', http: { middlewares: ['auth@file', 'strip@file'] } } } },
  ],
  [
    'entrypoints-http-tls',
    `${I}/entrypoints.md`,
    'tls/entryPoints.http.tls',
    {
      entryPoints: {
        websecure: {
          address: ':443',
          http: { tls: { certResolver: 'le', domains: [{ main: 'example.com', sans: ['*.example.com'] }] } },
        },
      },
    },
  ],
  [
    'entrypoints-forwardedheaders',
    `${I}/entrypoints.md`,
    'static/entryPoints.forwardedHeaders',
    {
      entryPoints: {
        web: { address: ':80', forwardedHeaders: { trustedIPs: ['127.0.0.1/32', '192.168.1.7'], insecure: false } },
      },
    },
  ],
  [
    'entrypoints-proxyprotocol',
    `${I}/entrypoints.md`,
    'tcp/entryPoints.proxyProtocol',
    { entryPoints: { web: { address: ':80', proxyProtocol: { trustedIPs: ['127.0.0.1/32'] } } } },
  ],
  [
    'entrypoints-transport',
    `${I}/entrypoints.md`,
    'static/entryPoints.transport',
    {
      entryPoints: {
        web: {
          address: ':80',
          transport: {
            respondingTimeouts: { readTimeout: '60s', writeTimeout: '0s', idleTimeout: '180s' },
            lifeCycle: { requestAcceptGraceTimeout: '0s', graceTimeOut: '10s' },
            keepAliveMaxRequests: 0,
            keepAliveMaxTime: '0s',
          },
        },
      },
    },
  ],
  [
    'entrypoints-http2',
    `${I}/entrypoints.md`,
    'static/entryPoints.http2',
    { entryPoints: { websecure: { address: ':443', http2: { maxConcurrentStreams: 250 } } } },
  ],
  [
    'entrypoints-http3',
    `${I}/entrypoints.md`,
    'static/entryPoints.http3',
    { entryPoints: { websecure: { address: ':443', http3: { advertisedPort: 443 } } } },
  ],
  [
    'entrypoints-udp',
    `${I}/entrypoints.md`,
    'udp/entryPoints.udp',
    { entryPoints: { dns: { address: ':53/udp', udp: { timeout: '10s' } } } },
  ],
  [
    'entrypoints-options',
    `${I}/entrypoints.md`,
    'static/entryPoints.options',
    {
      entryPoints: {
        web: {
          address: ':80',
          asDefault: true,
          reusePort: true,
          http: { encodeQuerySemicolons: true, maxHeaderBytes: 1048576, sanitizePath: true },
        },
      },
    },
  ],
  [
    'entrypoints-observability',
    `${I}/entrypoints.md`,
    'static/entryPoints.observability',
    { entryPoints: { web: { address: ':80', observability: { accessLogs: false, metrics: true, tracing: false } } } },
  ],
  [
    'provider-docker',
    `${I}/providers/docker.md`,
    'providers/docker',
    {
      entryPoints: ep,
      providers: {
        docker: { endpoint: 'unix:///var/run/docker.sock', exposedByDefault: false, network: 'proxy', watch: true },
      },
    },
  ],
  [
    'provider-docker-options',
    `${I}/providers/docker.md`,
    'providers/docker',
    {
      entryPoints: ep,
      providers: {
        docker: {
          defaultRule: 'Host(`{{ normalize .Name }}.docker.localhost`)',
          constraints: 'Label(`a.label.name`,`foo`)',
          useBindPortIP: true,
          allowEmptyServices: true,
          httpClientTimeout: 300,
        },
      },
    },
  ],
  [
    'provider-docker-tcp',
    `${I}/providers/docker.md`,
    'providers/docker',
    {
      entryPoints: ep,
      providers: {
        docker: {
          endpoint: 'tcp://127.0.0.1:2375',
          tls: { ca: '/certs/ca.crt', cert: '/certs/client.crt', key: '/certs/client.key', insecureSkipVerify: false },
        },
      },
    },
  ],
  [
    'provider-file-directory',
    `${I}/providers/others/file.md`,
    'providers/file',
    { entryPoints: ep, providers: { file: { directory: '/etc/traefik/dynamic', watch: true } } },
  ],
  [
    'provider-file-filename',
    `${I}/providers/others/file.md`,
    'providers/file',
    { entryPoints: ep, providers: { file: { filename: 'dynamic-missing.yml' } } },
  ],
  [
    'provider-throttle',
    `${I}/providers/overview.md`,
    'providers/providersThrottleDuration',
    { entryPoints: ep, providers: { providersThrottleDuration: '2s', file: { directory: '/etc/traefik/dynamic' } } },
  ],
  [
    'provider-swarm',
    `${I}/providers/swarm.md`,
    'providers/swarm',
    {
      entryPoints: ep,
      providers: { swarm: { endpoint: 'unix:///var/run/docker.sock', exposedByDefault: false, network: 'proxy' } },
    },
  ],
  [
    'provider-redis',
    `${I}/providers/kv/redis.md`,
    'providers/redis',
    { entryPoints: ep, providers: { redis: { endpoints: ['127.0.0.1:6379'], rootKey: 'traefik' } } },
  ],
  [
    'provider-etcd',
    `${I}/providers/kv/etcd.md`,
    'providers/etcd',
    { entryPoints: ep, providers: { etcd: { endpoints: ['127.0.0.1:2379'], rootKey: 'traefik' } } },
  ],
  [
    'provider-http',
    `${I}/providers/others/http.md`,
    'providers/http',
    { entryPoints: ep, providers: { http: { endpoint: 'http://127.0.0.1:9000/api', pollInterval: '5s' } } },
  ],
  ['api-dashboard', `${I}/api-dashboard.md`, 'static/api', { entryPoints: ep, api: { dashboard: true } }],
  [
    'api-insecure',
    `${I}/api-dashboard.md`,
    'static/api',
    { entryPoints: ep, api: { insecure: true, dashboard: true, debug: true } },
  ],
  ['api-basepath', `${I}/api-dashboard.md`, 'static/api', { entryPoints: ep, api: { basePath: '/traefik' } }],
  ['ping', `${I}/observability/healthcheck.md`, 'static/ping', { entryPoints: ep, ping: {} }],
  [
    'ping-options',
    `${I}/observability/healthcheck.md`,
    'static/ping',
    { entryPoints: { ...ep, ping: { address: ':8082' } }, ping: { entryPoint: 'ping', terminatingStatusCode: 204 } },
  ],
  [
    'log',
    `${I}/observability/logs-and-accesslogs.md`,
    'static/log',
    { entryPoints: ep, log: { level: 'DEBUG', format: 'json', noColor: true } },
  ],
  [
    'log-file',
    `${I}/observability/logs-and-accesslogs.md`,
    'static/log',
    {
      entryPoints: ep,
      log: { level: 'INFO', filePath: '/var/log/traefik.log', maxSize: 10, maxBackups: 3, maxAge: 7, compress: true },
    },
  ],
  ['accesslog', `${I}/observability/logs-and-accesslogs.md`, 'static/accessLog', { entryPoints: ep, accessLog: {} }],
  [
    'accesslog-options',
    `${I}/observability/logs-and-accesslogs.md`,
    'static/accessLog',
    {
      entryPoints: ep,
      accessLog: {
        filePath: '/var/log/access.log',
        format: 'json',
        bufferingSize: 100,
        filters: { statusCodes: ['200', '300-302'], retryAttempts: true, minDuration: '10ms' },
        fields: {
          defaultMode: 'keep',
          names: { ClientUsername: 'drop' },
          headers: { defaultMode: 'keep', names: { 'User-Agent': 'redact', Authorization: 'drop' } },
        },
      },
    },
  ],
  [
    'metrics-prometheus',
    `${I}/observability/metrics.md`,
    'static/metrics.prometheus',
    { entryPoints: ep, metrics: { prometheus: {} } },
  ],
  [
    'metrics-prometheus-options',
    `${I}/observability/metrics.md`,
    'static/metrics.prometheus',
    {
      entryPoints: { ...ep, metrics: { address: ':8082' } },
      metrics: {
        prometheus: {
          buckets: [0.1, 0.3, 1.2, 5.0],
          addEntryPointsLabels: true,
          addRoutersLabels: true,
          addServicesLabels: true,
          entryPoint: 'metrics',
        },
      },
    },
  ],
  [
    'metrics-otlp',
    `${I}/observability/metrics.md`,
    'static/metrics.otlp',
    { entryPoints: ep, metrics: { otlp: { http: { endpoint: 'http://collector:4318/v1/metrics' } } } },
  ],
  [
    'tracing-otlp',
    `${I}/observability/tracing.md`,
    'static/tracing',
    {
      entryPoints: ep,
      tracing: {
        serviceName: 'traefik',
        sampleRate: 0.2,
        otlp: { http: { endpoint: 'http://collector:4318/v1/traces' } },
      },
    },
  ],
  [
    'global',
    `${I}/boot-environment.md`,
    'static/global',
    { global: { checkNewVersion: false, sendAnonymousUsage: false }, entryPoints: ep },
  ],
  [
    'serverstransport',
    `${I}/configuration-options.md`,
    'static/serversTransport',
    {
      entryPoints: ep,
      serversTransport: {
        insecureSkipVerify: true,
        rootCAs: ['/certs/ca.pem'],
        maxIdleConnsPerHost: 42,
        forwardingTimeouts: { dialTimeout: '30s', responseHeaderTimeout: '0s', idleConnTimeout: '90s' },
      },
    },
  ],
  [
    'acme-http',
    `${I}/tls/certificate-resolvers/acme.md`,
    'tls/certificatesResolvers',
    {
      entryPoints: ep,
      certificatesResolvers: {
        le: { acme: { email: 'admin@example.com', storage: 'acme.json', httpChallenge: { entryPoint: 'web' } } },
      },
    },
  ],
  [
    'acme-tls',
    `${I}/tls/certificate-resolvers/acme.md`,
    'tls/certificatesResolvers',
    {
      entryPoints: ep,
      certificatesResolvers: {
        le: { acme: { email: 'admin@example.com', storage: '/letsencrypt/acme.json', tlsChallenge: {} } },
      },
    },
  ],
  [
    'acme-dns',
    `${I}/tls/certificate-resolvers/acme.md`,
    'tls/certificatesResolvers',
    {
      entryPoints: ep,
      certificatesResolvers: {
        le: {
          acme: {
            email: 'admin@example.com',
            storage: 'acme.json',
            caServer: 'https://acme-staging-v02.api.letsencrypt.org/directory',
            dnsChallenge: { provider: 'cloudflare', resolvers: ['1.1.1.1:53', '8.8.8.8:53'] },
          },
        },
      },
    },
  ],
  [
    'experimental-plugins',
    `${I}/experimental/plugins.md`,
    'static/experimental',
    {
      entryPoints: ep,
      experimental: { plugins: { demo: { moduleName: 'github.com/traefik/plugindemo', version: 'v0.2.1' } } },
    },
  ],
  [
    'core-rulesyntax',
    `${I}/configuration-options.md`,
    'static/core',
    { entryPoints: ep, core: { defaultRuleSyntax: 'v2' } },
  ],
  [
    'hostresolver',
    `${I}/configuration-options.md`,
    'static/hostResolver',
    { entryPoints: ep, hostResolver: { cnameFlattening: true, resolvConfig: '/etc/resolv.conf', resolvDepth: 5 } },
  ],
  [
    'typo-serverstransport',
    'published pattern: a misspelt static key (serverTransport for serversTransport)',
    'static/unknown-keys',
    { entryPoints: ep, serverTransport: { insecureSkipVerify: true } },
  ],
  [
    'unknown-root',
    'published pattern: a static file with a section Traefik does not know',
    'static/unknown-keys',
    { entryPoints: ep, pilot: { token: 'xxx' } },
  ],
].map(([name, source, feature, tree]) => ({ name, source, feature, tree }));
