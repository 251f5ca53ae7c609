import { pathToFileURL } from 'node:url';

/**
 * Whether the module at `moduleUrl` is the script Node was started with (`tsx src/cli/train.ts`), rather than
 * imported (by a test, or by the sweep's lanes): only then does it run its command.
 */
export const isScript = (moduleUrl: string): boolean =>
  !!process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href;
