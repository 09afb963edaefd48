// The documentation-example specs of the compatibility corpus: per Traefik feature, the keys and
// shapes its documentation page shows, written here (values our own). generate-cases.mjs turns
// each into a YAML and a TOML file-provider case and, where Traefik's labels can say it, a compose
// case. `mw(type, options)` is a middleware used by a router; `dyn` is a whole dynamic tree.
const D = 'docs/content/reference/routing-configuration/http';
const MW = `${D}/middlewares`;
const lb = (url = 'http://10.0.0.11:8080') => ({ loadBalancer: { servers: [{ url }] } });

export const APP = { rule: 'Host(`app.example.com`)', service: 'app', entryPoints: ['web'] };

export const MIDDLEWARES = [
  ['addPrefix', 'addprefix', { prefix: '/api' }],
  [
    'basicAuth',
    'basicauth',
    {
      users: [
        'admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/',
        'ops:$2y$05$NgBB9ejtZ1xpnFg.tZtUDuC.wVSCCFTdmJrW2yeYw0hZ6crkBEdUa',
      ],
    },
  ],
  [
    'basicAuth',
    'basicauth-options',
    {
      users: ['admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'],
      realm: 'Private',
      headerField: 'X-WebAuth-User',
      removeHeader: true,
    },
  ],
  [
    'buffering',
    'buffering',
    {
      maxRequestBodyBytes: 2000000,
      memRequestBodyBytes: 1048576,
      maxResponseBodyBytes: 4000000,
      memResponseBodyBytes: 2000000,
      retryExpression: 'IsNetworkError() && Attempts() < 2',
    },
  ],
  ['circuitBreaker', 'circuitbreaker', { expression: 'LatencyAtQuantileMS(50.0) > 100' }],
  [
    'circuitBreaker',
    'circuitbreaker-options',
    {
      expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.25 || NetworkErrorRatio() > 0.5',
      checkPeriod: '100ms',
      fallbackDuration: '10s',
      recoveryDuration: '10s',
      responseCode: 503,
    },
  ],
  ['compress', 'compress', {}],
  [
    'compress',
    'compress-options',
    {
      excludedContentTypes: ['text/event-stream'],
      minResponseBodyBytes: 1200,
      encodings: ['zstd', 'br', 'gzip'],
      defaultEncoding: 'gzip',
    },
  ],
  ['contentType', 'contenttype', { autoDetect: false }],
  ['digestAuth', 'digestauth', { users: ['admin:traefik:a2688e031edb4be6a3797f3882655c05'], realm: 'traefik' }],
  ['errors', 'errorpages', { status: ['500-599', '404'], service: 'error-pages', query: '/{status}.html' }],
  ['forwardAuth', 'forwardauth', { address: 'https://auth.example.com/verify' }],
  [
    'forwardAuth',
    'forwardauth-options',
    {
      address: 'http://auth:9091/api/verify',
      trustForwardHeader: true,
      authResponseHeaders: ['Remote-User', 'Remote-Groups'],
      authRequestHeaders: ['Accept', 'X-CustomHeader'],
      authResponseHeadersRegex: '^X-',
      addAuthCookiesToResponse: ['Session-Cookie'],
    },
  ],
  ['grpcWeb', 'grpcweb', { allowOrigins: ['*'] }],
  [
    'headers',
    'headers-custom',
    {
      customRequestHeaders: { 'X-Script-Name': 'test', 'X-Custom-Request-Header': '' },
      customResponseHeaders: { 'X-Custom-Response-Header': 'value', Server: '' },
    },
  ],
  [
    'headers',
    'headers-cors',
    {
      accessControlAllowMethods: ['GET', 'OPTIONS', 'PUT'],
      accessControlAllowHeaders: ['*'],
      accessControlAllowOriginList: ['https://foo.bar.org', 'https://example.org'],
      accessControlMaxAge: 100,
      addVaryHeader: true,
      accessControlAllowCredentials: true,
      accessControlExposeHeaders: ['X-Total-Count'],
    },
  ],
  [
    'headers',
    'headers-security',
    {
      frameDeny: true,
      browserXssFilter: true,
      contentTypeNosniff: true,
      stsSeconds: 31536000,
      stsIncludeSubdomains: true,
      stsPreload: true,
      forceSTSHeader: true,
      customFrameOptionsValue: 'SAMEORIGIN',
      contentSecurityPolicy: "default-src 'self'",
      referrerPolicy: 'same-origin',
      permissionsPolicy: 'camera=(), microphone=()',
    },
  ],
  [
    'headers',
    'headers-hosts',
    {
      allowedHosts: ['example.com'],
      hostsProxyHeaders: ['X-Forwarded-Host'],
      sslProxyHeaders: { 'X-Forwarded-Proto': 'https' },
      isDevelopment: false,
    },
  ],
  [
    'headers',
    'headers-deprecated',
    {
      sslRedirect: true,
      sslTemporaryRedirect: false,
      sslHost: 'example.com',
      sslForceHost: true,
      featurePolicy: "vibrate 'none'",
    },
  ],
  ['inFlightReq', 'inflightreq', { amount: 10 }],
  [
    'inFlightReq',
    'inflightreq-criterion',
    { amount: 10, sourceCriterion: { ipStrategy: { depth: 2, excludedIPs: ['127.0.0.1/32'] } } },
  ],
  ['inFlightReq', 'inflightreq-header', { amount: 10, sourceCriterion: { requestHeaderName: 'username' } }],
  ['ipAllowList', 'ipallowlist', { sourceRange: ['127.0.0.1/32', '192.168.1.7'] }],
  [
    'ipAllowList',
    'ipallowlist-strategy',
    { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 2, excludedIPs: ['203.0.113.0/24'] }, rejectStatusCode: 404 },
  ],
  [
    'passTLSClientCert',
    'passtlsclientcert',
    {
      pem: true,
      info: {
        notAfter: true,
        notBefore: true,
        sans: true,
        subject: { country: true, commonName: true },
        issuer: { organization: true },
        serialNumber: true,
      },
    },
  ],
  ['rateLimit', 'ratelimit', { average: 100, burst: 200 }],
  [
    'rateLimit',
    'ratelimit-period',
    { average: 6, period: '1m', burst: 12, sourceCriterion: { ipStrategy: { depth: 1 } } },
  ],
  ['rateLimit', 'ratelimit-host', { average: 50, sourceCriterion: { requestHost: true } }],
  [
    'redirectRegex',
    'redirectregex',
    // Go's regexp expansion syntax, not a JavaScript template.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go replacement template
    { regex: '^http://localhost/(.*)', replacement: 'http://mydomain/${1}', permanent: true },
  ],
  ['redirectScheme', 'redirectscheme', { scheme: 'https', permanent: true }],
  ['redirectScheme', 'redirectscheme-port', { scheme: 'https', port: '8443' }],
  ['replacePath', 'replacepath', { path: '/foo' }],
  ['replacePathRegex', 'replacepathregex', { regex: '^/foo/(.*)', replacement: '/bar/$1' }],
  ['retry', 'retry', { attempts: 4, initialInterval: '100ms' }],
  [
    'retry',
    'retry-options',
    { attempts: 3, initialInterval: '50ms', timeout: '2s', status: ['502-504'], maxRequestBodyBytes: 1048576 },
  ],
  ['stripPrefix', 'stripprefix', { prefixes: ['/foobar', '/fiibar'] }],
  ['stripPrefix', 'stripprefix-forceslash', { prefixes: ['/api'], forceSlash: false }],
  ['stripPrefixRegex', 'stripprefixregex', { regex: ['/foo/[a-z0-9]+/[0-9]+/'] }],
  ['encodedCharacters', 'encodedcharacters', { allowEncodedSlash: true, allowEncodedQuestionMark: true }],
].map(([type, page, options]) => ({
  name: `mw-${page}`,
  source: `${MW}/${page.replace(/-.*$/, '')}.md`,
  feature: `middlewares/${type}`,
  labels: true,
  dyn: {
    http: {
      routers: { app: { ...APP, middlewares: ['mw'] } },
      middlewares: { mw: { [type]: options } },
      services: { app: lb(), ...(type === 'errors' ? { 'error-pages': lb('http://10.0.0.12:8080') } : {}) },
    },
  },
}));

MIDDLEWARES.push({
  name: 'mw-chain',
  source: `${MW}/chain.md`,
  feature: 'middlewares/chain',
  labels: true,
  dyn: {
    http: {
      routers: { app: { ...APP, middlewares: ['secured'] } },
      middlewares: {
        secured: { chain: { middlewares: ['https-only', 'known-ips', 'auth-users'] } },
        'https-only': { redirectScheme: { scheme: 'https' } },
        'known-ips': { ipAllowList: { sourceRange: ['192.168.1.7', '127.0.0.1/32'] } },
        'auth-users': { basicAuth: { users: ['test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'] } },
      },
      services: { app: lb() },
    },
  },
});
MIDDLEWARES.push({
  name: 'mw-plugin',
  source: 'docs/content/reference/install-configuration/experimental/plugins.md',
  feature: 'middlewares/plugin',
  labels: true,
  dyn: {
    http: {
      routers: { app: { ...APP, middlewares: ['demo'] } },
      middlewares: { demo: { plugin: { plugindemo: { headers: { 'X-Demo': 'yes' } } } } },
      services: { app: lb() },
    },
  },
});

const R = `${D}/routing/router.md`;
const RULES = `${D}/routing/rules-and-priority.md`;
const route = (router, extra = {}) => ({
  http: { routers: { r: { service: 'app', ...router } }, services: { app: lb() }, ...extra },
});

export const ROUTERS = [
  ['rule-host', RULES, 'routers/rule', { rule: 'Host(`example.com`)' }],
  ['rule-host-multi', RULES, 'routers/rule', { rule: 'Host(`example.com`) || Host(`www.example.com`)' }],
  ['rule-hostregexp', RULES, 'routers/rule', { rule: 'HostRegexp(`^[a-z]+\\.example\\.com$`)' }],
  ['rule-path', RULES, 'routers/rule', { rule: 'Path(`/products`)' }],
  ['rule-pathprefix', RULES, 'routers/rule', { rule: 'Host(`example.com`) && PathPrefix(`/api`)' }],
  ['rule-pathregexp', RULES, 'routers/rule', { rule: 'PathRegexp(`^/products/(shoes|socks)/[0-9]+$`)' }],
  ['rule-method', RULES, 'routers/rule', { rule: 'Method(`POST`) && Path(`/upload`)' }],
  ['rule-header', RULES, 'routers/rule', { rule: 'Header(`Content-Type`, `application/json`)' }],
  ['rule-headerregexp', RULES, 'routers/rule', { rule: 'HeaderRegexp(`Content-Type`, `^application/(json|yaml)$`)' }],
  ['rule-query', RULES, 'routers/rule', { rule: 'Query(`mobile`, `true`)' }],
  ['rule-queryregexp', RULES, 'routers/rule', { rule: 'QueryRegexp(`mobile`, `^(true|yes)$`)' }],
  ['rule-clientip', RULES, 'routers/rule', { rule: 'ClientIP(`10.76.105.11`) || ClientIP(`192.168.0.0/16`)' }],
  ['rule-not', RULES, 'routers/rule', { rule: 'Host(`example.com`) && !PathPrefix(`/admin`)' }],
  [
    'rule-grouped',
    RULES,
    'routers/rule',
    { rule: '(Host(`a.example.com`) || Host(`b.example.com`)) && (Method(`GET`) || Method(`HEAD`))' },
  ],
  ['rule-catchall', RULES, 'routers/rule', { rule: 'PathPrefix(`/`)', priority: 1 }],
  ['priority', RULES, 'routers/priority', { rule: 'HostRegexp(`.+`)', priority: 10 }],
  ['entrypoints', R, 'routers/entryPoints', { rule: 'Host(`example.com`)', entryPoints: ['web', 'websecure'] }],
  [
    'rulesyntax-v2',
    RULES,
    'routers/ruleSyntax',
    { rule: 'Host(`example.com`) && PathPrefix(`/v2`)', ruleSyntax: 'v2' },
  ],
  [
    'rulesyntax-v2-regexp',
    RULES,
    'routers/ruleSyntax',
    { rule: 'HostRegexp(`{subdomain:[a-z]+}.example.com`)', ruleSyntax: 'v2' },
  ],
  [
    'observability',
    `${D}/routing/observability.md`,
    'routers/observability',
    { rule: 'Host(`example.com`)', observability: { accessLogs: false, metrics: true, tracing: false } },
  ],
  [
    'observability-verbosity',
    `${D}/routing/observability.md`,
    'routers/observability',
    { rule: 'Host(`example.com`)', observability: { traceVerbosity: 'detailed' } },
  ],
  ['tls', R, 'tls/router-tls', { rule: 'Host(`example.com`)', entryPoints: ['websecure'], tls: {} }],
  ['tls-certresolver', R, 'tls/certResolver', { rule: 'Host(`example.com`)', tls: { certResolver: 'myresolver' } }],
  [
    'tls-domains',
    R,
    'tls/domains',
    {
      rule: 'Host(`example.com`)',
      tls: { certResolver: 'myresolver', domains: [{ main: 'example.com', sans: ['*.example.com'] }] },
    },
  ],
  ['tls-options', R, 'tls/router-options', { rule: 'Host(`example.com`)', tls: { options: 'modern' } }],
  [
    'service-internal-api',
    'docs/content/reference/install-configuration/api-dashboard.md',
    'routers/api@internal',
    {
      rule: 'Host(`traefik.example.com`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))',
      service: 'api@internal',
    },
  ],
  ['service-noop', R, 'services/noop@internal', { rule: 'Host(`example.com`)', service: 'noop@internal' }],
].map(([name, source, feature, router]) => ({
  name: `router-${name}`,
  source,
  feature,
  labels: !name.startsWith('service-noop'),
  dyn: route(router),
}));
ROUTERS.push({
  name: 'router-parentrefs',
  source: `${D}/routing/multi-layer-routing.md`,
  feature: 'routers/parentRefs',
  labels: false,
  dyn: {
    http: {
      routers: {
        parent: { rule: 'Host(`example.com`)', middlewares: ['auth'] },
        child: { rule: 'Header(`X-User-Role`, `admin`)', service: 'app', parentRefs: ['parent'] },
      },
      middlewares: {
        auth: { forwardAuth: { address: 'http://auth:8080/verify', authResponseHeaders: ['X-User-Role'] } },
      },
      services: { app: lb() },
    },
  },
});

const S = `${D}/load-balancing/service.md`;
const svc = (services, router = { rule: 'Host(`example.com`)', service: 'app' }) => ({
  http: { routers: { r: router }, services },
});
export const SERVICES = [
  [
    'servers',
    'services/loadBalancer',
    { app: { loadBalancer: { servers: [{ url: 'http://10.0.0.11:80/' }, { url: 'http://10.0.0.12:80/' }] } } },
    true,
  ],
  [
    'servers-weight',
    'services/loadBalancer',
    {
      app: {
        loadBalancer: {
          servers: [
            { url: 'http://10.0.0.11', weight: 2 },
            { url: 'http://10.0.0.12', weight: 1 },
          ],
        },
      },
    },
    false,
  ],
  [
    'preservepath',
    'services/loadBalancer',
    { app: { loadBalancer: { servers: [{ url: 'http://10.0.0.11/base', preservePath: true }] } } },
    false,
  ],
  [
    'sticky',
    'services/sticky',
    { app: { loadBalancer: { servers: [{ url: 'http://10.0.0.11' }], sticky: { cookie: {} } } } },
    true,
  ],
  [
    'sticky-options',
    'services/sticky',
    {
      app: {
        loadBalancer: {
          servers: [{ url: 'http://10.0.0.11' }],
          sticky: {
            cookie: {
              name: 'lb',
              secure: true,
              httpOnly: true,
              sameSite: 'lax',
              maxAge: 3600,
              path: '/',
              domain: 'example.com',
            },
          },
        },
      },
    },
    true,
  ],
  [
    'healthcheck',
    'services/healthCheck',
    {
      app: {
        loadBalancer: {
          servers: [{ url: 'http://10.0.0.11' }],
          healthCheck: { path: '/health', interval: '10s', timeout: '3s' },
        },
      },
    },
    true,
  ],
  [
    'healthcheck-options',
    'services/healthCheck',
    {
      app: {
        loadBalancer: {
          servers: [{ url: 'http://10.0.0.11' }],
          healthCheck: {
            path: '/health',
            scheme: 'http',
            mode: 'http',
            hostname: 'example.com',
            port: 8080,
            interval: '10s',
            unhealthyInterval: '30s',
            timeout: '3s',
            headers: { 'X-Probe': 'yes' },
            followRedirects: false,
            method: 'HEAD',
            status: 204,
          },
        },
      },
    },
    true,
  ],
  [
    'healthcheck-grpc',
    'services/healthCheck',
    {
      app: {
        loadBalancer: { servers: [{ url: 'h2c://10.0.0.11:50051' }], healthCheck: { mode: 'grpc', interval: '10s' } },
      },
    },
    false,
  ],
  [
    'passivehealthcheck',
    'services/passiveHealthCheck',
    {
      app: {
        loadBalancer: {
          servers: [{ url: 'http://10.0.0.11' }],
          passiveHealthCheck: { failureWindow: '3s', maxFailedAttempts: 3 },
        },
      },
    },
    false,
  ],
  [
    'passhostheader',
    'services/loadBalancer',
    { app: { loadBalancer: { servers: [{ url: 'http://10.0.0.11' }], passHostHeader: false } } },
    true,
  ],
  [
    'responseforwarding',
    'services/loadBalancer',
    { app: { loadBalancer: { servers: [{ url: 'http://10.0.0.11' }], responseForwarding: { flushInterval: '1s' } } } },
    false,
  ],
  [
    'strategy-p2c',
    'services/strategy',
    { app: { loadBalancer: { strategy: 'p2c', servers: [{ url: 'http://10.0.0.11' }, { url: 'http://10.0.0.12' }] } } },
    true,
  ],
  [
    'strategy-wrr',
    'services/strategy',
    { app: { loadBalancer: { strategy: 'wrr', servers: [{ url: 'http://10.0.0.11' }, { url: 'http://10.0.0.12' }] } } },
    true,
  ],
  [
    'strategy-leasttime',
    'services/leasttime',
    {
      app: {
        loadBalancer: { strategy: 'leasttime', servers: [{ url: 'http://10.0.0.11' }, { url: 'http://10.0.0.12' }] },
      },
    },
    true,
  ],
  [
    'weighted',
    'services/weighted',
    {
      app: {
        weighted: {
          services: [
            { name: 'v1', weight: 3 },
            { name: 'v2', weight: 1 },
          ],
        },
      },
      v1: lb('http://10.0.0.11'),
      v2: lb('http://10.0.0.12'),
    },
    false,
  ],
  [
    'weighted-sticky',
    'services/weighted',
    {
      app: {
        weighted: {
          services: [
            { name: 'v1', weight: 1 },
            { name: 'v2', weight: 1 },
          ],
          sticky: { cookie: { name: 'canary', httpOnly: true } },
        },
      },
      v1: lb('http://10.0.0.11'),
      v2: lb('http://10.0.0.12'),
    },
    false,
  ],
  [
    'weighted-healthcheck',
    'services/weighted',
    {
      app: {
        weighted: {
          healthCheck: {},
          services: [
            { name: 'v1', weight: 1 },
            { name: 'v2', weight: 1 },
          ],
        },
      },
      v1: {
        loadBalancer: { servers: [{ url: 'http://10.0.0.11' }], healthCheck: { path: '/health', interval: '10s' } },
      },
      v2: {
        loadBalancer: { servers: [{ url: 'http://10.0.0.12' }], healthCheck: { path: '/health', interval: '10s' } },
      },
    },
    false,
  ],
  [
    'mirroring',
    'services/mirroring',
    {
      app: { mirroring: { service: 'main', mirrors: [{ name: 'shadow', percent: 10 }] } },
      main: lb('http://10.0.0.11'),
      shadow: lb('http://10.0.0.12'),
    },
    false,
  ],
  [
    'mirroring-options',
    'services/mirroring',
    {
      app: {
        mirroring: {
          service: 'main',
          mirrorBody: false,
          maxBodySize: 1024,
          mirrors: [{ name: 'shadow', percent: 50 }],
        },
      },
      main: lb('http://10.0.0.11'),
      shadow: lb('http://10.0.0.12'),
    },
    false,
  ],
  [
    'failover',
    'services/failover',
    {
      app: { failover: { service: 'main', fallback: 'backup' } },
      main: {
        loadBalancer: {
          servers: [{ url: 'http://10.0.0.11' }],
          healthCheck: { path: '/status', interval: '10s', timeout: '3s' },
        },
      },
      backup: lb('http://10.0.0.12'),
    },
    false,
  ],
  [
    'highestrandomweight',
    'services/highestRandomWeight',
    {
      app: {
        highestRandomWeight: {
          services: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 2 },
          ],
        },
      },
      a: lb('http://10.0.0.11'),
      b: lb('http://10.0.0.12'),
    },
    false,
  ],
  ['empty-servers-list', 'services/loadBalancer', { app: { loadBalancer: { servers: [] } } }, false],
  [
    'serverstransport-ref',
    'services/serversTransport',
    { app: { loadBalancer: { servers: [{ url: 'https://10.0.0.11' }], serversTransport: 'mytransport' } } },
    true,
  ],
].map(([name, feature, services, labels]) => {
  const dyn = svc(services);
  if (name === 'serverstransport-ref') dyn.http.serversTransports = { mytransport: { insecureSkipVerify: true } };
  return { name: `service-${name}`, source: S, feature, labels, dyn };
});
SERVICES.push({
  name: 'service-rest-internal',
  source: 'docs/content/reference/install-configuration/providers/others/rest.md',
  feature: 'services/rest@internal',
  labels: false,
  dyn: { http: { routers: { rest: { rule: 'Host(`api.example.com`)', service: 'rest@internal' } } } },
});

const T = `${D}/load-balancing/serverstransport.md`;
export const TRANSPORTS = [
  ['basic', { serverName: 'backend.internal', insecureSkipVerify: true }],
  [
    'rootcas',
    { rootCAs: ['/certs/ca.pem'], certificates: [{ certFile: '/certs/client.pem', keyFile: '/certs/client.key' }] },
  ],
  [
    'timeouts',
    {
      maxIdleConnsPerHost: 7,
      forwardingTimeouts: { dialTimeout: '1s', responseHeaderTimeout: '10s', idleConnTimeout: '90s' },
    },
  ],
  ['http2', { disableHTTP2: true, forwardingTimeouts: { readIdleTimeout: '10s', pingTimeout: '15s' } }],
  ['peercerturi', { peerCertURI: 'spiffe://example.org/backend', serverName: 'backend' }],
  ['spiffe', { spiffe: { ids: ['spiffe://example.org/id1'], trustDomain: 'spiffe://example.org' } }],
].map(([name, transport]) => ({
  name: `transport-${name}`,
  source: T,
  feature: 'services/serversTransports',
  labels: false,
  dyn: {
    http: {
      routers: { r: { rule: 'Host(`example.com`)', service: 'app' } },
      services: { app: { loadBalancer: { servers: [{ url: 'https://10.0.0.11' }], serversTransport: 'tr' } } },
      serversTransports: { tr: transport },
    },
  },
}));

const TLSD = `${D}/tls`;
export const TLS = [
  [
    'certificates',
    `${TLSD}/tls-certificates.md`,
    'tls/certificates',
    {
      tls: {
        certificates: [
          { certFile: '/certs/example.crt', keyFile: '/certs/example.key' },
          { certFile: '/certs/other.crt', keyFile: '/certs/other.key', stores: ['default'] },
        ],
      },
    },
  ],
  [
    'stores',
    `${TLSD}/tls-certificates.md`,
    'tls/stores',
    {
      tls: {
        stores: { default: { defaultCertificate: { certFile: '/certs/default.crt', keyFile: '/certs/default.key' } } },
      },
    },
  ],
  [
    'stores-generated',
    `${TLSD}/tls-certificates.md`,
    'tls/stores',
    {
      tls: {
        stores: {
          default: {
            defaultGeneratedCert: {
              resolver: 'myresolver',
              domain: { main: 'example.org', sans: ['foo.example.org'] },
            },
          },
        },
      },
    },
  ],
  [
    'options',
    `${TLSD}/tls-options.md`,
    'tls/options',
    {
      tls: {
        options: { default: { minVersion: 'VersionTLS12' }, modern: { minVersion: 'VersionTLS13', sniStrict: true } },
      },
    },
  ],
  [
    'options-ciphers',
    `${TLSD}/tls-options.md`,
    'tls/options',
    {
      tls: {
        options: {
          default: {
            minVersion: 'VersionTLS12',
            cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
            curvePreferences: ['CurveP521', 'CurveP384'],
            alpnProtocols: ['h2', 'http/1.1'],
          },
        },
      },
    },
  ],
  [
    'options-clientauth',
    `${TLSD}/tls-options.md`,
    'tls/options',
    {
      tls: {
        options: { mtls: { clientAuth: { caFiles: ['/certs/ca.pem'], clientAuthType: 'RequireAndVerifyClientCert' } } },
      },
    },
  ],
].map(([name, source, feature, dyn]) => ({ name: `tls-${name}`, source, feature, labels: false, dyn }));

const TCP = 'docs/content/reference/routing-configuration/tcp';
const UDP = 'docs/content/reference/routing-configuration/udp';
export const TCPUDP = [
  [
    'tcp-router',
    `${TCP}/routing/router.md`,
    'tcp/routers',
    {
      tcp: {
        routers: { db: { entryPoints: ['postgres'], rule: 'HostSNI(`*`)', service: 'db' } },
        services: { db: { loadBalancer: { servers: [{ address: '10.0.0.21:5432' }] } } },
      },
    },
  ],
  [
    'tcp-router-tls',
    `${TCP}/tls.md`,
    'tcp/tls',
    {
      tcp: {
        routers: { db: { rule: 'HostSNI(`db.example.com`)', service: 'db', tls: { passthrough: true } } },
        services: { db: { loadBalancer: { servers: [{ address: '10.0.0.21:5432' }] } } },
      },
    },
  ],
  [
    'tcp-weighted',
    `${TCP}/service.md`,
    'tcp/services',
    {
      tcp: {
        routers: { r: { rule: 'HostSNI(`*`)', service: 'w' } },
        services: {
          w: {
            weighted: {
              services: [
                { name: 'a', weight: 1 },
                { name: 'b', weight: 1 },
              ],
            },
          },
          a: { loadBalancer: { servers: [{ address: '10.0.0.21:6379' }] } },
          b: { loadBalancer: { servers: [{ address: '10.0.0.22:6379' }] } },
        },
      },
    },
  ],
  [
    'tcp-proxyprotocol',
    `${TCP}/service.md`,
    'tcp/services',
    {
      tcp: {
        routers: { r: { rule: 'HostSNI(`*`)', service: 's' } },
        services: { s: { loadBalancer: { proxyProtocol: { version: 2 }, servers: [{ address: '10.0.0.21:25' }] } } },
      },
    },
  ],
  [
    'tcp-middlewares',
    `${TCP}/middlewares/overview.md`,
    'tcp/middlewares',
    {
      tcp: {
        routers: { r: { rule: 'HostSNI(`*`)', service: 's', middlewares: ['limit', 'allow'] } },
        middlewares: {
          limit: { inFlightConn: { amount: 10 } },
          allow: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } },
        },
        services: { s: { loadBalancer: { servers: [{ address: '10.0.0.21:22' }] } } },
      },
    },
  ],
  [
    'tcp-serverstransport',
    `${TCP}/serverstransport.md`,
    'tcp/serversTransports',
    { tcp: { serversTransports: { st: { dialTimeout: '30s', dialKeepAlive: '15s', terminationDelay: '100ms' } } } },
  ],
  [
    'udp-router',
    `${UDP}/routing/router.md`,
    'udp/routers',
    {
      udp: {
        routers: { dns: { entryPoints: ['dns'], service: 'dns' } },
        services: { dns: { loadBalancer: { servers: [{ address: '10.0.0.53:53' }] } } },
      },
    },
  ],
  [
    'udp-weighted',
    `${UDP}/service.md`,
    'udp/services',
    {
      udp: {
        routers: { r: { service: 'w' } },
        services: {
          w: { weighted: { services: [{ name: 'a', weight: 2 }] } },
          a: { loadBalancer: { servers: [{ address: '10.0.0.53:53' }] } },
        },
      },
    },
  ],
].map(([name, source, feature, dyn]) => ({
  name,
  source,
  feature,
  labels: name === 'tcp-router' || name === 'udp-router',
  dyn,
}));
