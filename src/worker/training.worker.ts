/// <reference lib="webworker" />
/** The training Web Worker: a TrainingHost wired to postMessage, with the measured backend chooser. */
import { measuredBackends } from './backendSelection';
import type { WorkerEvent } from './protocol';
import { TrainingHost, type Yielder } from './trainingHost';

const scope = self as unknown as DedicatedWorkerGlobalScope;

// The next training chunk through a message to ourselves: unlike setTimeout(0), not clamped to 4 ms once
// nested (measured in this worker: 0.3 ms between chunks instead of 4.1), and still after queued commands.
const channel = new MessageChannel();
let nextChunk: (() => void) | null = null;
channel.port1.onmessage = () => {
  const run = nextChunk;
  nextChunk = null;
  run?.();
};
const yieldToEvents: Yielder = (callback) => {
  nextChunk = callback;
  channel.port2.postMessage(null);
  return () => {
    if (nextChunk === callback) nextChunk = null;
  };
};

const host = new TrainingHost({
  post: (event: WorkerEvent, transfer?: Transferable[]) => scope.postMessage(event, transfer ?? []),
  backends: measuredBackends,
  yieldToEvents,
});
scope.onmessage = (message: MessageEvent) => {
  void host.receive(message.data);
};
host.run();
