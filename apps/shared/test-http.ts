import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A fully read HTTP response, for tests. */
export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends one request to 127.0.0.1:`port` with the path exactly as given (no URL normalisation, so
 * `/../x` reaches the server verbatim) on a fresh connection, and reads the whole response.
 */
export function request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A spawned app process and the parsed JSON log line it printed when it started listening. */
export interface SpawnedApp {
  child: ChildProcess;
  port: number;
  startLine: Record<string, unknown>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts an app's main module as a real process on an ephemeral port and waits for its start log line.
 * `mainUrl` is resolved next to the calling test, so it works both from sources (run through tsx) and
 * from the compiled `dist/` tree.
 */
export function spawnApp(mainUrl: URL, env: Record<string, string>): Promise<SpawnedApp> {
  const mainPath = fileURLToPath(mainUrl);
  const args = mainPath.endsWith('.ts') ? ['--import', 'tsx', mainPath] : [mainPath];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('app did not log its start line within 10 s'));
    }, 10_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof parsed.port === 'number') {
        clearTimeout(deadline);
        resolve({ child, port: parsed.port, startLine: parsed, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(deadline);
      reject(new Error(`app exited with ${code} before listening`));
    });
  });
}
