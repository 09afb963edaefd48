#!/usr/bin/env node
// Writes the generated part of the compatibility corpus (test/compat/cases/docs/): one YAML and one
// TOML file-provider case per documentation spec (specs-docs.mjs), a compose case where Traefik's
// labels can say the same, one compose case per label of the Docker label reference
// (specs-labels.mjs), and a YAML and a TOML static case per static spec (specs-static.mjs).
// Hand-written cases (fixtures/, published/, docs/*.hand.*) are left alone. Run after editing a
// spec, then `npm run compat -- --update`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import { MIDDLEWARES, ROUTERS, SERVICES, TCPUDP, TLS, TRANSPORTS } from './specs-docs.mjs';
import { LABELS } from './specs-labels.mjs';
import { STATIC } from './specs-static.mjs';

const OUT = new URL('../../test/compat/cases/docs/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
for (const name of readdirSync(OUT)) if (name.includes('.gen.')) rmSync(join(OUT, name));

const head = (spec, comment) => `${comment} source: ${spec.source}\n${comment} feature: ${spec.feature}\n`;

/** Keys whose children are names (headers, …) rather than options: kept as written in labels. */
const NAME_MAPS = new Set(['customrequestheaders', 'customresponseheaders', 'sslproxyheaders', 'headers', 'names']);

function flatten(tree, prefix, out, keepCase = false) {
  if (Array.isArray(tree)) {
    if (tree.every((v) => typeof v !== 'object')) out[prefix] = tree.join(',');
    else
      tree.forEach((v, i) => {
        flatten(v, `${prefix}[${i}]`, out);
      });
    return out;
  }
  if (tree !== null && typeof tree === 'object') {
    const keys = Object.keys(tree);
    if (keys.length === 0) out[prefix] = 'true';
    for (const key of keys) {
      const name = keepCase ? key : key.toLowerCase();
      flatten(tree[key], `${prefix}.${name}`, out, NAME_MAPS.has(key.toLowerCase()));
    }
    return out;
  }
  out[prefix] = String(tree);
  return out;
}

/** The labels one container would carry for a dynamic tree: its servers become `server.port`. */
function toLabels(dyn) {
  const labels = {};
  for (const [root, sections] of Object.entries(dyn)) {
    for (const [section, objects] of Object.entries(sections)) {
      for (const [name, object] of Object.entries(objects)) {
        let value = object;
        if (section === 'services' && object.loadBalancer) {
          const { servers, ...rest } = object.loadBalancer;
          value = {
            ...object,
            loadBalancer: {
              ...rest,
              server: { port: servers?.[0]?.address ? servers[0].address.split(':')[1] : '80' },
            },
          };
        }
        flatten(value, `traefik.${root}.${section.toLowerCase()}.${name}`, labels);
      }
    }
  }
  return labels;
}

/**
 * The entry points TCP and UDP router labels name beyond web and websecure (`db`, `dns`), as
 * flags: the documentation's label examples assume the static configuration defines them.
 */
const streamEntryPoints = (labels) => {
  const flags = [];
  let port = 9000;
  for (const label of labels) {
    const match = /^traefik\.(tcp|udp)\.routers\.[^.]+\.entrypoints=(.*)$/i.exec(label);
    if (match === null) continue;
    for (const name of match[2].split(',').map((n) => n.trim())) {
      if (name === '' || name === 'web' || name === 'websecure') continue;
      if (flags.some((f) => f.startsWith(`--entryPoints.${name}.`))) continue;
      flags.push(`--entryPoints.${name}.address=:${port++}${match[1].toLowerCase() === 'udp' ? '/udp' : ''}`);
    }
  }
  return flags;
};

const composeOf = (spec) => {
  const labels = Object.entries(toLabels(spec.dyn)).map(([k, v]) => `${k}=${v}`);
  const compose = {
    services: {
      traefik: {
        image: 'traefik:v3.6',
        command: [
          ...(JSON.stringify(spec.dyn).includes('api@internal') ? ['--api.dashboard=true'] : []),
          '--providers.docker=true',
          '--providers.docker.exposedByDefault=false',
          '--entryPoints.web.address=:80',
          '--entryPoints.websecure.address=:443',
          ...streamEntryPoints(labels),
        ],
        ports: ['80:80', '443:443'],
        volumes: ['/var/run/docker.sock:/var/run/docker.sock:ro'],
      },
      app: {
        image: 'traefik/whoami',
        'x-image-expose': [80],
        labels: ['traefik.enable=true', ...labels],
      },
    },
  };
  return `${head(spec, '#')}${toYaml(compose, { lineWidth: 0 })}`;
};

let count = 0;
const write = (name, text) => {
  writeFileSync(join(OUT, name), text);
  count++;
};
for (const spec of [...MIDDLEWARES, ...ROUTERS, ...SERVICES, ...TRANSPORTS, ...TLS, ...TCPUDP]) {
  write(`${spec.name}.gen.dynamic.yml`, `${head(spec, '#')}${toYaml(spec.dyn, { lineWidth: 0 })}`);
  write(`${spec.name}.gen.dynamic.toml`, `${head(spec, '#')}${toToml(spec.dyn)}\n`);
  if (spec.labels) write(`${spec.name}.gen.compose.yml`, composeOf(spec));
}
for (const spec of LABELS) {
  const compose = {
    services: {
      traefik: {
        image: 'traefik:v3.6',
        command: [
          '--providers.docker=true',
          '--entryPoints.web.address=:80',
          '--entryPoints.websecure.address=:443',
          ...streamEntryPoints(spec.labels),
        ],
        volumes: ['/var/run/docker.sock:/var/run/docker.sock:ro'],
        labels: ['traefik.enable=false'],
      },
      app: { image: 'traefik/whoami', 'x-image-expose': [80], labels: spec.labels },
    },
  };
  write(`${spec.name}.gen.compose.yml`, `${head(spec, '#')}${toYaml(compose, { lineWidth: 0 })}`);
}
for (const spec of STATIC) {
  write(`static-${spec.name}.gen.static.yml`, `${head(spec, '#')}${toYaml(spec.tree, { lineWidth: 0 })}`);
  write(`static-${spec.name}.gen.static.toml`, `${head(spec, '#')}${toToml(spec.tree)}\n`);
}
console.log(`${count} cases written to ${OUT}`);
