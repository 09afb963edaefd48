/** `switchyard up`: the embedded engine (runs a compose file's services as local processes). */

/** Not available yet in this build. */
export async function upCommand(): Promise<number> {
  process.stderr.write('switchyard up: not implemented yet\n');
  return 2;
}
