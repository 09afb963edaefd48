/** `switchyard version` and `switchyard help`. */
import { VERSION } from '../version.js';

/** Prints the version. */
export async function versionCommand(): Promise<number> {
  process.stdout.write(`switchyard ${VERSION} (node ${process.version})\n`);
  return 0;
}

const HELP = `switchyard — an edge router with Traefik v3's configuration vocabulary

Usage:
  switchyard [--configFile FILE] [--dotted.flags=value…]   run the proxy
  switchyard up [-f docker-compose.yml] [--scale SERVICE=N]… [flags]
                                                       run a compose file's services as local processes, routed
  switchyard check [--strict] [--configFile FILE] [dynamic files…]
                                                       validate static and dynamic configuration
                                                       (--strict: warnings, such as ignored keys, fail too)
  switchyard explain [--configFile FILE] [-X METHOD] [-H 'Name: value']… URL
                                                       show which router takes a request, and why others do not
  switchyard version

Static configuration comes from one source, as in Traefik: a file (--configFile, or switchyard.yml|yaml|toml
in the working directory or /etc/switchyard/), else command-line flags, else SWITCHYARD_* / TRAEFIK_* variables.
Examples: --entryPoints.web.address=:8000 --providers.file.filename=dynamic.yml --api.insecure=true
Docs: README.md and docs/ in the package.
`;

/** Prints usage. */
export async function helpCommand(): Promise<number> {
  process.stdout.write(HELP);
  return 0;
}
