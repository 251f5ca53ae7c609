/**
 * One lane of `npm run sweep`: training runs one after another in this process, each exactly as
 * `npm run train` runs it (src/cli/train.ts), so that only the lane's first run pays for starting a process
 * (≈2 s: loading tfjs, the wasm module and the envs under tsx). The sweep sends each run's flags over the IPC
 * channel and gets its exit code back; a run's failure is its own, and the lane goes on with the next.
 */
import { runTrain } from './train';

export type LaneRequest = { args: string[] } | { done: true };
export interface LaneReply {
  code: number;
}

// The sweep gone (finished, killed, or its test ended): stop, even in the middle of a run, rather than train on
// for nobody.
process.on('disconnect', () => process.exit(1));

process.on('message', async (request: LaneRequest) => {
  if ('done' in request) {
    process.exit(0);
  }
  let code: number;
  try {
    code = await runTrain(request.args);
  } catch (error) {
    console.error(error);
    code = 1;
  }
  process.send?.({ code } satisfies LaneReply);
});
