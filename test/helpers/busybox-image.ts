/**
 * The small image the Docker and Swarm suites run as workloads: the host's static busybox
 * imported with `docker import` (no registry is reachable here), as `/bin/busybox` only; commands
 * call it by path (`/bin/busybox httpd …`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type Docker from 'dockerode';

export const BUSYBOX_IMAGE = 'sy-test-busybox';
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((path) => existsSync(path));

/** Makes the busybox image from the host's static binary unless it exists already. */
export async function ensureBusyboxImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(BUSYBOX_IMAGE).inspect();
    return;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  if (BUSYBOX === undefined) throw new Error('busybox is not installed (apt-get install busybox-static)');
  const slash = BUSYBOX.lastIndexOf('/');
  const tar = spawn(
    'tar',
    ['-C', BUSYBOX.slice(0, slash), '--transform', 's,^,bin/,', '-c', BUSYBOX.slice(slash + 1)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const progress = await docker.importImage(tar.stdout, { repo: BUSYBOX_IMAGE, tag: 'latest' });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}
