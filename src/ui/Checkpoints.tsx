/**
 * Checkpoints of the playground's runs, kept in this browser: save one now, save on a schedule, resume any
 * (also after the tab was closed, or the worker lost), download one as a file (the whole run) or load one.
 * Resuming reads the file in the worker, which refuses a damaged one and leaves the current run alone.
 */
import { deleteCheckpoint, loadCheckpointText } from './checkpointStore';
import { saveBlob } from './download';
import { usePlayground } from './store';
import { formatBytes, trainingClient } from './trainingClient';

const SCHEDULES: { label: string; value: number | null }[] = [
  { label: 'off', value: null },
  { label: 'every 5,000 steps', value: 5_000 },
  { label: 'every 10,000 steps', value: 10_000 },
  { label: 'every 50,000 steps', value: 50_000 },
];

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

async function download(key: number, envId: string, step: number): Promise<void> {
  const text = await loadCheckpointText(key);
  saveBlob(new Blob([text], { type: 'application/octet-stream' }), `${envId}-step${step}.td3ckpt`);
}

export function Checkpoints() {
  const checkpoints = usePlayground((s) => s.checkpoints);
  const every = usePlayground((s) => s.autoCheckpointEvery);
  const withBuffer = usePlayground((s) => s.checkpointBuffer);
  const state = usePlayground((s) => s.status?.state);
  const diverged = usePlayground((s) => s.status?.divergence != null);
  const lost = usePlayground((s) => s.workerLost);
  const client = trainingClient();
  // A diverged run is not worth saving: its weights are not numbers any more.
  const hasRun = (state === 'running' || state === 'paused' || state === 'done') && !diverged;
  return (
    <details className="checkpoints" data-testid="checkpoints" open={lost || undefined}>
      <summary>Checkpoints ({checkpoints.length})</summary>
      <p className="hint">
        A checkpoint is the whole run: networks, optimizer state, replay buffer, random streams, charts.
        Restore one (it comes back paused; then press Resume) to continue exactly where it was, also after
        closing the tab.
      </p>
      <div className="run-bar">
        <button
          type="button"
          disabled={!hasRun}
          onClick={() => client.send({ type: 'saveCheckpoint', buffer: withBuffer })}
        >
          Save now
        </button>
        <button
          type="button"
          disabled={!hasRun}
          title="The policy as a tfjs LayersModel: model.json, its weights and a config; tf.loadLayersModel loads it"
          onClick={() => client.send({ type: 'exportPolicy' })}
        >
          Export policy
        </button>
        <label>
          automatic{' '}
          <select
            aria-label="automatic checkpoints"
            value={String(every)}
            onChange={(e) => {
              const choice = SCHEDULES.find((s) => String(s.value) === e.target.value)?.value ?? null;
              usePlayground.setState({ autoCheckpointEvery: choice });
              client.send({ type: 'autoCheckpoint', everySteps: choice, buffer: withBuffer });
            }}
          >
            {SCHEDULES.map((s) => (
              <option key={s.label} value={String(s.value)}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label title="Without it a checkpoint is a small fraction of the size (the networks and counters); a run resumed from one refills its buffer from then on, so it no longer continues exactly">
          <input
            type="checkbox"
            checked={withBuffer}
            onChange={(e) => {
              usePlayground.setState({ checkpointBuffer: e.target.checked });
              client.send({ type: 'autoCheckpoint', everySteps: every, buffer: e.target.checked });
            }}
          />{' '}
          with the replay buffer
        </label>
      </div>
      <label className="file-button">
        Load a checkpoint file
        <input
          type="file"
          aria-label="checkpoint file"
          accept=".td3ckpt,.ckpt"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) client.resumeFrom(await file.text());
          }}
        />
      </label>
      <label className="file-button">
        Watch an exported policy (model.json, its weights, policy.config.json)
        <input
          type="file"
          aria-label="exported policy files"
          accept=".json,.bin"
          multiple
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            if (files.length) void client.watchExported(files);
          }}
        />
      </label>
      {checkpoints.length ? (
        <ul className="checkpoint-list">
          {checkpoints.map((c) => (
            <li key={c.key}>
              <span>
                {c.envId} · step {c.step.toLocaleString('en-US')}
                {c.reason === 'auto' ? ' (auto)' : ''} · {formatBytes(c.size)}
                {c.buffer === false ? ' · without the replay buffer' : ''}
                <br />
                <span className="hint">{when.format(c.savedAt)}</span>
              </span>
              <span className="checkpoint-actions">
                <button type="button" onClick={() => client.resumeCheckpoint(c.key)}>
                  Restore
                </button>
                <button
                  type="button"
                  title="Download: the whole run as one file"
                  aria-label={`download the checkpoint at step ${c.step}`}
                  onClick={() => download(c.key, c.envId, c.step)}
                >
                  ⤓
                </button>
                <button
                  type="button"
                  aria-label={`delete the checkpoint at step ${c.step}`}
                  onClick={() => deleteCheckpoint(c.key).then(() => client.checkpointsChanged())}
                >
                  ×
                </button>
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}

/** After a divergence: the way back to the last checkpoint of this env before it. */
export function RollbackOffer() {
  const status = usePlayground((s) => s.status);
  const checkpoints = usePlayground((s) => s.checkpoints);
  if (!status?.stoppedReason || !status.config) return null;
  const env = status.config.env;
  const last = checkpoints.find((c) => c.envId === env && c.step <= status.step);
  if (!last) return <span className="hint">No checkpoint of this run to roll back to.</span>;
  return (
    <button type="button" className="primary" onClick={() => trainingClient().resumeCheckpoint(last.key)}>
      Roll back to the checkpoint at step {last.step.toLocaleString('en-US')}
    </button>
  );
}
