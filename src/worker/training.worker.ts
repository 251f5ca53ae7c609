/// <reference lib="webworker" />
/** The training Web Worker: a TrainingHost wired to postMessage, with the measured backend chooser. */
import { measuredBackends } from './backendSelection';
import type { WorkerEvent } from './protocol';
import { TrainingHost } from './trainingHost';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const host = new TrainingHost({
  post: (event: WorkerEvent, transfer?: Transferable[]) => scope.postMessage(event, transfer ?? []),
  backends: measuredBackends,
});
scope.onmessage = (message: MessageEvent) => {
  void host.receive(message.data);
};
host.run();
