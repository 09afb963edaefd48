// Entry point of the switchyard image. The container starts as root only so that this file can
// read which group owns the Docker socket(s) mounted into it; it then drops to the unprivileged
// `node` user (uid/gid 1000) with that group added, and loads the CLI in the same process (PID 1
// keeps receiving the signals). Set SWITCHYARD_KEEP_ROOT=1 to skip the drop; when the container is
// started with another user (`--user`), nothing is changed.
import { statSync } from 'node:fs';

const RUN_AS = 1000;

function socketGroups() {
  const paths = new Set(['/var/run/docker.sock']);
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) paths.add(host.slice('unix://'.length));
  const gids = new Set();
  for (const path of paths) {
    try {
      const st = statSync(path);
      if (st.isSocket()) gids.add(st.gid);
    } catch {
      // No socket there: nothing to grant.
    }
  }
  return [...gids];
}

if (typeof process.getuid === 'function' && process.getuid() === 0 && process.env.SWITCHYARD_KEEP_ROOT !== '1') {
  process.setgroups([RUN_AS, ...socketGroups()]);
  process.setgid(RUN_AS);
  process.setuid(RUN_AS);
  process.env.HOME = '/home/node';
  process.env.USER = 'node';
}

await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
