/**
 * The runs this browser has kept: overlay any of them beside the comparison (as a variant of their own,
 * marked with the day they were saved), delete them, or see how two runs' settings differ.
 */
import { memo, useEffect, useState } from 'react';
import { diffConfigs, type FieldDifference } from '../../lab/configDiff';
import { formatNumber } from '../../lab/results';
import { FIELDS } from '../../rl/hyperparameters';
import { useLab } from './labStore';
import { deleteSavedRun, listSavedRuns, loadSavedRun, type SavedRunInfo } from './runHistory';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
const when = (ms: number) => dateTime.format(ms);

/** Memoised: it changes with the saved runs, not with every message of the runs training. */
export const RunHistory = memo(function RunHistory() {
  const historyVersion = useLab((s) => s.historyVersion);
  const [saved, setSaved] = useState<SavedRunInfo[] | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [diff, setDiff] = useState<{ names: [string, string]; fields: FieldDifference[] } | null>(null);
  const { notify, historyChanged, touch } = useLab.getState();

  // biome-ignore lint/correctness/useExhaustiveDependencies: historyVersion marks a change in the database
  useEffect(() => {
    listSavedRuns().then(setSaved, (error: Error) => {
      setSaved([]);
      notify('warning', `The saved runs could not be read: ${error.message}`);
    });
  }, [historyVersion, notify]);

  const chosen = () => (saved ?? []).filter((r) => selected.has(r.key));
  const name = (r: SavedRunInfo) => `${r.variant} · seed ${r.seed} (${when(r.savedAt)})`;

  const overlay = async () => {
    const runs = [];
    for (const info of chosen()) {
      try {
        const run = await loadSavedRun(info.key);
        run.id = `saved-${info.key}`;
        run.variant = `${run.variant} · saved ${new Date(info.savedAt).toLocaleDateString()}`;
        runs.push(run);
      } catch (error) {
        notify('error', `Not loaded: ${(error as Error).message}`);
      }
    }
    const present = new Set(useLab.getState().runs.map((r) => r.id));
    const fresh = runs.filter((r) => !present.has(r.id));
    if (!fresh.length) return;
    useLab.setState({ runs: [...useLab.getState().runs, ...fresh] });
    touch();
    notify('info', `Overlaid ${fresh.length} saved run${fresh.length > 1 ? 's' : ''}`);
  };

  const remove = async () => {
    for (const info of chosen())
      await deleteSavedRun(info.key).catch((e: Error) => notify('error', e.message));
    setSelected(new Set());
    setDiff(null);
    historyChanged();
  };

  const compare = async () => {
    const [a, b] = chosen();
    try {
      const [runA, runB] = await Promise.all([loadSavedRun(a.key), loadSavedRun(b.key)]);
      setDiff({ names: [name(a), name(b)], fields: diffConfigs(runA.config, runB.config) });
    } catch (error) {
      notify('error', (error as Error).message);
    }
  };

  return (
    <details className="lab-history" data-testid="lab-history">
      <summary>Saved runs in this browser ({saved?.length ?? '…'})</summary>
      {saved?.length ? (
        <>
          <div className="run-bar">
            <button type="button" disabled={!selected.size} onClick={overlay}>
              Overlay on the charts
            </button>
            <button type="button" disabled={selected.size !== 2} onClick={compare}>
              Compare settings of two
            </button>
            <button type="button" disabled={!selected.size} onClick={remove}>
              Delete
            </button>
          </div>
          <table className="lab-table">
            <thead>
              <tr>
                <th />
                <th>saved</th>
                <th>variant</th>
                <th>seed</th>
                <th>env</th>
                <th>steps</th>
                <th>final eval</th>
              </tr>
            </thead>
            <tbody>
              {saved.map((r) => (
                <tr key={r.key}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${name(r)}`}
                      checked={selected.has(r.key)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.target.checked) next.add(r.key);
                        else next.delete(r.key);
                        setSelected(next);
                      }}
                    />
                  </td>
                  <td>{when(r.savedAt)}</td>
                  <td>{r.variant}</td>
                  <td>{r.seed}</td>
                  <td>{r.env}</td>
                  <td>{r.steps.toLocaleString('en-US')}</td>
                  <td>{formatNumber(r.finalEval)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <p className="hint">Runs the lab finishes are kept here, in this browser only.</p>
      )}
      {diff ? (
        <div className="config-diff" data-testid="config-diff">
          <p>
            <strong>{diff.names[0]}</strong> against <strong>{diff.names[1]}</strong>:{' '}
            {diff.fields.length ? `${diff.fields.length} settings differ` : 'the same settings'}
          </p>
          {diff.fields.length ? (
            <table className="lab-table">
              <thead>
                <tr>
                  <th>setting</th>
                  <th>first</th>
                  <th>second</th>
                </tr>
              </thead>
              <tbody>
                {diff.fields.map((d) => (
                  <tr key={d.field}>
                    <td>
                      {FIELDS[d.field].label} <code>{d.field}</code>
                    </td>
                    <td>{String(d.a)}</td>
                    <td>{String(d.b)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
    </details>
  );
});
