/** Run state, step counter, the active tfjs backend (and why), the backend override, and notices. */
import { BACKENDS } from '../worker/protocol';
import { RollbackOffer } from './Checkpoints';
import { usePlayground } from './store';

export function StatusBar() {
  const status = usePlayground((s) => s.status);
  const backendRequest = usePlayground((s) => s.backendRequest);
  // The newest evaluation's mean return (the series grow in place; their version says when).
  usePlayground((s) => s.seriesVersion);
  const lastEval = usePlayground.getState().series.evalMean.at(-1)?.y;
  return (
    <div className="status-bar">
      <span className="state" data-testid="run-state">
        {status?.state ?? 'idle'}
      </span>
      <span>
        step <strong data-testid="step-counter">{status?.step ?? 0}</strong>
      </span>
      <span>episodes {status?.episodes ?? 0}</span>
      <span>updates {status?.updates ?? 0}</span>
      {lastEval !== undefined ? (
        <span title="Mean return of the newest evaluation (deterministic policy, no exploration noise)">
          last evaluation <strong data-testid="last-eval">{lastEval.toFixed(1)}</strong>
        </span>
      ) : null}
      <span
        className="backend"
        data-testid="backend-badge"
        data-tensors={status?.tensors}
        title={
          status
            ? `${status.backendReason}. ${status.tensors} tensors in the training worker's memory (flat while training runs).${gpuNote(status.backend, status.config?.parallelEnvs)}`
            : ''
        }
      >
        backend: {status?.backend ?? '—'}
      </span>
      <label title="Override the measured choice (also ?backend= in the URL); applies at the next start">
        <select
          aria-label="backend"
          value={backendRequest ?? 'auto'}
          onChange={(e) =>
            usePlayground.setState({ backendRequest: e.target.value === 'auto' ? undefined : e.target.value })
          }
        >
          <option value="auto">auto (measured)</option>
          {BACKENDS.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
      </label>
      {status?.config ? (
        <span
          className="running-tricks"
          data-testid="running-tricks"
          title="The configuration the worker is training with"
        >
          running: twin critics {status.config.twinCritics ? 'on' : 'off'} · delay {status.config.policyDelay}{' '}
          · smoothing {status.config.targetSmoothing ? 'on' : 'off'} · seed {status.config.seed}
          {status.config.parallelEnvs > 1 ? ` · ${status.config.parallelEnvs} envs side by side` : ''}
        </span>
      ) : null}
      {status?.stoppedReason ? <span className="badge error">{status.stoppedReason}</span> : null}
      <RollbackOffer />
    </div>
  );
}

/** On a GPU backend, what each env step waits for, and the setting that waits less often. */
function gpuNote(backend: string | null, parallelEnvs = 1): string {
  if (backend !== 'webgpu' && backend !== 'webgl') return '';
  return parallelEnvs > 1
    ? ` Each read from the GPU brings the actions of ${parallelEnvs} parallel envs.`
    : ' Each env step waits for its action to come back from the GPU; "Parallel environments" (under Run) fetches the actions of several envs in one read.';
}

/** A list of notices, each with a button that dismisses it (the playground's and the lab's). */
export function NoticeList({
  notices,
  dismiss,
}: {
  notices: readonly { id: number; level: string; message: string }[];
  dismiss: (id: number) => void;
}) {
  if (!notices.length) return null;
  return (
    <ul className="notices" aria-live="polite">
      {notices.map((n) => (
        <li key={n.id} className={`notice ${n.level}`}>
          {n.message}
          <button type="button" aria-label="dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

export function Notices() {
  const notices = usePlayground((s) => s.notices);
  return <NoticeList notices={notices} dismiss={(id) => usePlayground.getState().dismiss(id)} />;
}

export function SmoothingControl() {
  const smoothing = usePlayground((s) => s.smoothing);
  return (
    <label
      className="smoothing"
      title="Exponential moving average of noisy series (training returns, losses, Q)"
    >
      smoothing {smoothing.toFixed(2)}
      <input
        type="range"
        min={0}
        max={0.99}
        step={0.01}
        value={smoothing}
        onChange={(e) => usePlayground.setState({ smoothing: Number(e.target.value) })}
      />
    </label>
  );
}
