/**
 * The ablation lab: choose an env, a budget, seeds and variants; the runs train side by side in workers;
 * bands, the results table and the exports follow live. Starting again adds to the comparison (new seeds,
 * new variants, failed runs again) and never discards a finished run.
 */
import { useEffect, useMemo, useState } from 'react';
import { ENV_CATALOG } from '../../envs/catalog';
import { diffConfigs } from '../../lab/configDiff';
import { bandsCsv, curvesCsv, labJson, parseLabJson } from '../../lab/export';
import { cleanRlCommand, zooHyperparameters } from '../../lab/externalConfigs';
import { parseForeignCsv } from '../../lab/foreignRuns';
import { planRuns } from '../../lab/plan';
import { RESULT_COLUMNS, resultCells, variantResults } from '../../lab/results';
import { type LabRun, parseRunJsonl } from '../../lab/runs';
import {
  ABLATION_VARIANT_IDS,
  ABLATION_VARIANTS,
  customVariant,
  EXTENSION_VARIANT_IDS,
  EXTENSION_VARIANTS,
  FIGURE1_VARIANTS,
  sensitivityVariants,
  TABLE2_VARIANTS,
  type Variant,
  variantConfig,
  variantFlags,
} from '../../lab/variants';
import { type Config, FIELD_NAMES, FIELDS } from '../../rl/hyperparameters';
import { configFromPreset, PRESET_NAMES, type PresetName, presetAvailable } from '../../rl/presets';
import { saveText } from '../download';
import { PanelBoundary } from '../PanelBoundary';
import { NoticeList } from '../StatusBar';
import { LabCharts, useLabRuns, variantColor } from './LabCharts';
import { runQueued, stopAll } from './labRunner';
import { DEFAULT_THRESHOLDS, type LabSettings, useLab } from './labStore';
import { RunHistory } from './RunHistory';

/** The configuration every variant starts from. */
function baseConfig(settings: LabSettings): Config {
  return configFromPreset(settings.preset, {
    env: settings.env,
    totalSteps: settings.totalSteps,
    evalEvery: settings.evalEvery,
  });
}

const sameExceptSeed = (a: Config, b: Config) => diffConfigs(a, b).every((d) => d.field === 'seed');

/** Queues the planned runs that the page does not have yet, then trains. */
export function startComparison(): void {
  const lab = useLab.getState();
  let base: Config;
  try {
    base = baseConfig(lab.settings);
  } catch (error) {
    lab.notify('error', `Not started: ${(error as Error).message}`);
    return;
  }
  const seeds = Array.from({ length: lab.settings.seeds }, (_, i) => i);
  const plan = planRuns(base, lab.variants, seeds);
  if (!plan.ok) {
    lab.notify('error', `Not started: ${plan.error}`);
    return;
  }
  const runs = [...lab.runs];
  for (const planned of plan.runs) {
    const clash = runs.find(
      (r) => r.variant === planned.variant && !sameExceptSeed(r.config, planned.config),
    );
    if (clash) {
      lab.notify(
        'error',
        `Not started: the page holds runs of "${planned.variant}" with other settings (${clash.config.env}, ${clash.config.totalSteps} steps). Export them if you want to keep them, then Clear, to compare other settings.`,
      );
      return;
    }
  }
  let added = 0;
  for (const planned of plan.runs) {
    const index = runs.findIndex((r) => r.id === planned.id);
    if (index < 0) {
      runs.push(planned);
      added++;
    } else if (runs[index].state === 'failed' || runs[index].state === 'cancelled') {
      runs[index] = planned;
      added++;
    }
  }
  if (!added) {
    lab.notify('info', 'Every run of this comparison is already here: add seeds or variants to run more.');
    return;
  }
  useLab.setState({ runs });
  lab.touch();
  runQueued(lab.settings.parallel);
}

/** One click: the paper's ablation (Table 2) or its Figure 1, on Pendulum with a budget that fits a laptop. */
function reproduce(which: 'table2' | 'figure1'): void {
  const lab = useLab.getState();
  lab.setSettings({
    env: 'Pendulum-v1',
    preset: 'quick',
    totalSteps: 20_000,
    evalEvery: 1_000,
    seeds: 5,
    threshold: -200,
  });
  lab.setVariants(
    (which === 'table2' ? TABLE2_VARIANTS : FIGURE1_VARIANTS).map((id) => ABLATION_VARIANTS[id]),
  );
  startComparison();
}

/**
 * A number box that keeps what is typed (a half-typed value is no error) and applies it once it is valid;
 * until then it is marked, with the allowed range, and the last valid value stays in force.
 */
function NumberSetting({
  label,
  value,
  min,
  max,
  integer = true,
  optional = false,
  onChange,
  title,
}: {
  label: string;
  value: number | null;
  min: number;
  max: number;
  integer?: boolean;
  /** Empty means "none" (the threshold). */
  optional?: boolean;
  onChange: (v: number | null) => void;
  title?: string;
}) {
  const [text, setText] = useState(value === null ? '' : String(value));
  // A change from elsewhere (a Reproduce button) shows in the box.
  useEffect(() => {
    setText((current) =>
      current.trim() !== '' && Number(current) === value ? current : String(value ?? ''),
    );
  }, [value]);
  const parsed = text.trim() === '' ? null : Number(text);
  const valid =
    parsed === null
      ? optional
      : Number.isFinite(parsed) && parsed >= min && parsed <= max && (!integer || Number.isInteger(parsed));
  const range = `${integer ? 'a whole number' : 'a number'} from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}${optional ? ', or empty for none' : ''}`;
  return (
    <label title={valid ? title : `Not applied: expected ${range}`}>
      {label}
      <input
        type="number"
        value={text}
        min={min}
        max={max}
        aria-invalid={!valid}
        className={valid ? undefined : 'invalid'}
        onChange={(e) => {
          setText(e.target.value);
          const next = e.target.value.trim() === '' ? null : Number(e.target.value);
          const ok =
            next === null
              ? optional
              : Number.isFinite(next) && next >= min && next <= max && (!integer || Number.isInteger(next));
          if (ok) onChange(next);
        }}
      />
    </label>
  );
}

function LabSetup() {
  const settings = useLab((s) => s.settings);
  const variants = useLab((s) => s.variants);
  const { setSettings, setVariants, notify } = useLab.getState();
  const [customName, setCustomName] = useState('');
  const [customSettings, setCustomSettings] = useState('');
  const [sweepField, setSweepField] = useState('policyDelay');
  const [sweepValues, setSweepValues] = useState('1, 2, 3, 5');
  const has = (id: string) => variants.some((v) => v.id === id);
  const toggle = (variant: Variant, on: boolean) =>
    setVariants(on ? [...variants, variant] : variants.filter((v) => v.id !== variant.id));
  const numericFields = FIELD_NAMES.filter(
    (n) =>
      (FIELDS[n].kind === 'number' || FIELDS[n].kind === 'integer') && !['seed', 'totalSteps'].includes(n),
  );
  const base = () => baseConfig(useLab.getState().settings);

  return (
    <div className="lab-setup">
      <h2>Compare variants over seeds</h2>
      <div className="env-preset">
        <label>
          Environment
          <select
            value={settings.env}
            onChange={(e) => {
              const env = e.target.value;
              setSettings({
                env,
                threshold: DEFAULT_THRESHOLDS[env] ?? null,
                preset: presetAvailable(settings.preset, env) ? settings.preset : 'quick',
              });
            }}
          >
            {ENV_CATALOG.map((e) => (
              <option key={e.id}>{e.id}</option>
            ))}
          </select>
        </label>
        <label>
          Preset
          <select
            value={settings.preset}
            onChange={(e) => setSettings({ preset: e.target.value as PresetName })}
          >
            {PRESET_NAMES.map((name) => (
              <option key={name} value={name} disabled={!presetAvailable(name, settings.env)}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <NumberSetting
          label="Env steps per run"
          value={settings.totalSteps}
          min={1000}
          max={10_000_000}
          onChange={(v) => v !== null && setSettings({ totalSteps: v })}
        />
        <NumberSetting
          label="Evaluate every"
          value={settings.evalEvery}
          min={100}
          max={1_000_000}
          onChange={(v) => v !== null && setSettings({ evalEvery: v })}
          title="env steps between deterministic evaluations"
        />
        <NumberSetting
          label="Seeds"
          value={settings.seeds}
          min={1}
          max={20}
          onChange={(v) => v !== null && setSettings({ seeds: v })}
          title="runs per variant, with seeds 0, 1, 2, …"
        />
        <NumberSetting
          label="Runs at a time"
          value={settings.parallel}
          min={1}
          max={8}
          onChange={(v) => v !== null && setSettings({ parallel: v })}
          title="each run trains in a worker of its own; more than the cores you have only slows each one"
        />
        <NumberSetting
          label="Success threshold"
          value={settings.threshold}
          min={-1e9}
          max={1e9}
          integer={false}
          optional
          onChange={(v) => setSettings({ threshold: v })}
          title="the table counts the env steps until the eval return first reaches it"
        />
      </div>

      <fieldset className="lab-variants">
        <legend>Variants</legend>
        {ABLATION_VARIANT_IDS.map((id) => (
          <label key={id} className="toggle">
            <input
              type="checkbox"
              checked={has(id)}
              onChange={(e) => toggle(ABLATION_VARIANTS[id], e.target.checked)}
            />{' '}
            {ABLATION_VARIANTS[id].label}
          </label>
        ))}
        {variants
          .filter((v) => !(v.id in ABLATION_VARIANTS) && !(v.id in EXTENSION_VARIANTS))
          .map((v) => (
            <label key={v.id} className="toggle">
              <input type="checkbox" checked onChange={() => toggle(v, false)} /> {v.label}
              <span className="variant-settings">
                {Object.entries(v.overrides)
                  .map(([k, x]) => `${k}=${x}`)
                  .join(' ')}
              </span>
            </label>
          ))}
      </fieldset>

      <details className="lab-add lab-extensions" open={variants.some((v) => v.id in EXTENSION_VARIANTS)}>
        <summary>TD3 with one option beyond the paper</summary>
        <p className="hint">
          What practitioners try when TD3 stalls; each is TD3 with that one option on (see README, Beyond the
          paper, for what each did on Pendulum).
        </p>
        {EXTENSION_VARIANT_IDS.map((id) => {
          const variant = EXTENSION_VARIANTS[id];
          return (
            <div key={id} className="extension" title={variantFlags(variant).join(' ')}>
              <label className="toggle">
                <input
                  type="checkbox"
                  checked={has(id)}
                  aria-describedby={`about-${id}`}
                  onChange={(e) => toggle(variant, e.target.checked)}
                />{' '}
                {variant.label}
              </label>
              <span id={`about-${id}`} className="hint extension-about">
                {variant.about}
              </span>
            </div>
          );
        })}
      </details>

      <details className="lab-add">
        <summary>Add a custom variant</summary>
        <input
          aria-label="custom variant name"
          placeholder="name"
          value={customName}
          onChange={(e) => setCustomName(e.target.value)}
        />
        <input
          aria-label="custom variant settings"
          placeholder="policyDelay=3 tau=0.01"
          value={customSettings}
          onChange={(e) => setCustomSettings(e.target.value)}
        />
        <button
          type="button"
          onClick={() => {
            const result = customVariant(customName, customSettings, base());
            if (!result.ok) return notify('error', `Custom variant: ${result.error}`);
            if (variants.some((v) => v.label === result.variant.label))
              return notify('error', `A variant is already called "${result.variant.label}"`);
            setVariants([...variants, result.variant]);
            setCustomName('');
            setCustomSettings('');
          }}
        >
          Add
        </button>
      </details>

      <OtherTools />
      <details className="lab-add">
        <summary>Sensitivity: sweep one setting</summary>
        <p className="hint">
          One variant per value, on top of the preset; the lab draws the final return against it.
        </p>
        <select
          aria-label="setting to sweep"
          value={sweepField}
          onChange={(e) => setSweepField(e.target.value)}
        >
          {numericFields.map((n) => (
            <option key={n} value={n}>
              {FIELDS[n].label} ({n})
            </option>
          ))}
        </select>
        <input
          aria-label="values to sweep"
          value={sweepValues}
          onChange={(e) => setSweepValues(e.target.value)}
        />
        <button
          type="button"
          onClick={() => {
            const result = sensitivityVariants(sweepField, sweepValues, base());
            if (!result.ok) return notify('error', `Sensitivity: ${result.error}`);
            setVariants(result.variants);
          }}
        >
          Use these variants
        </button>
      </details>
    </div>
  );
}

/** A variant's settings for rl-baselines3-zoo and CleanRL, to run the same comparison on a cluster. */
function OtherTools() {
  const variants = useLab((s) => s.variants);
  const settings = useLab((s) => s.settings);
  const [chosen, setChosen] = useState(0);
  const variant = variants[Math.min(chosen, variants.length - 1)];
  const texts = useMemo(() => {
    if (!variant) return { error: null, zoo: null, cleanrl: null };
    try {
      const config = variantConfig(baseConfig(settings), variant, 0);
      return {
        error: null,
        zoo: zooHyperparameters(config, variant.label),
        cleanrl: cleanRlCommand(config, variant.label),
      };
    } catch (error) {
      return { error: (error as Error).message, zoo: null, cleanrl: null };
    }
  }, [variant, settings]);
  const { zoo, cleanrl } = texts;
  const file = variant ? variant.id.replace(/[^A-Za-z0-9_.=-]+/g, '-') : 'variant';
  return (
    <details className="lab-add other-tools" data-testid="lab-other-tools">
      <summary>Run it elsewhere: rl-baselines3-zoo, CleanRL</summary>
      <select
        aria-label="variant to export"
        value={chosen}
        onChange={(e) => setChosen(Number(e.target.value))}
      >
        {variants.map((v, i) => (
          <option key={v.id} value={i}>
            {v.label}
          </option>
        ))}
      </select>
      {texts.error ? <p className="notice error">{texts.error}</p> : null}
      {zoo !== null && cleanrl !== null ? (
        <>
          <p className="hint">
            Seed 0; change --seed for the others. Lines marked Note say what the tool cannot do.
          </p>
          <pre className="export-text" data-testid="zoo-yaml">
            {zoo}
          </pre>
          <button type="button" onClick={() => saveText(zoo, `td3-${file}.yml`, 'text/yaml')}>
            Save the zoo file
          </button>
          <pre className="export-text" data-testid="cleanrl-command">
            {cleanrl}
          </pre>
          <button
            type="button"
            onClick={() => saveText(cleanrl, `td3-${file}-cleanrl.sh`, 'text/x-shellscript')}
          >
            Save the CleanRL command
          </button>
        </>
      ) : null}
    </details>
  );
}

/** A run chip's tooltip: its state or why it ended, and where it trained. */
function chipTitle(r: LabRun): string {
  const where = r.trainedWith
    ? r.trainedWith.together > 1
      ? ` · ${r.trainedWith.backend}, with ${r.trainedWith.together - 1} other runs as one population`
      : ` · ${r.trainedWith.backend}`
    : '';
  return (r.reason ?? r.state) + where;
}

function Progress({ runs }: { runs: LabRun[] }) {
  const total = runs.reduce((sum, r) => sum + r.config.totalSteps, 0);
  const done = runs.reduce((sum, r) => sum + (r.state === 'done' ? r.config.totalSteps : r.step), 0);
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  if (!runs.length) return null;
  const population = runs.find(
    (r) => r.state === 'running' && (r.trainedWith?.together ?? 1) > 1,
  )?.trainedWith;
  return (
    <div className="lab-progress" data-testid="lab-progress">
      <p>
        {[...counts].map(([state, n]) => `${n} ${state}`).join(' · ')} —{' '}
        {Math.round((100 * done) / Math.max(1, total))} % of all env steps
      </p>
      {population ? (
        <p className="lab-population" data-testid="lab-population">
          On {population.backend}, {population.together} runs train together as one population: each env step
          asks the GPU for all their actions at once, and one update call trains all their networks, so the
          GPU is waited on once per step for all of them rather than once per run. Each run keeps its own
          seed, envs, replay buffer and settings, so its numbers are what it would get alone.
        </p>
      ) : null}
      <ul>
        {runs.map((r) => (
          <li key={r.id} className={`run-chip ${r.state}`} title={chipTitle(r)}>
            {r.variant} · seed {r.seed}
            <span className="bar">
              <span
                style={{
                  width: `${Math.min(100, (100 * (r.state === 'done' ? r.config.totalSteps : r.step)) / r.config.totalSteps)}%`,
                }}
              />
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ResultsTable({ runs }: { runs: LabRun[] }) {
  const threshold = useLab((s) => s.settings.threshold);
  const results = useMemo(() => variantResults(runs, threshold), [runs, threshold]);
  if (!results.length) return null;
  const header = RESULT_COLUMNS.map((c) =>
    c === 'steps to threshold' && threshold !== null ? `steps to ${threshold}` : c,
  );
  return (
    <div className="lab-table-wrap">
      <table className="lab-table" data-testid="lab-results">
        <thead>
          <tr>
            {header.map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {results.map((r, i) => (
            <tr key={r.variant}>
              {resultCells(r, threshold).map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the columns are fixed
                <td key={j}>
                  {j === 0 ? <span className="swatch" style={{ background: variantColor(i) }} /> : null}
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Final return: the last evaluation of each run (mean and std over seeds). IQM: the mean of the middle
        half of the seeds, robust to one seed that failed. CV: std / |mean|. Average return over the run: the
        area under the eval curve divided by its steps (higher when a variant learns sooner). Intervals: 95 %
        percentile bootstrap over seeds, 2,000 resamples; with few seeds they are wide, as they should be.
      </p>
    </div>
  );
}

async function importFiles(files: FileList): Promise<void> {
  const lab = useLab.getState();
  const loaded: LabRun[] = [];
  for (const file of Array.from(files)) {
    const text = await file.text();
    const parsed = file.name.endsWith('.json')
      ? parseLabJson(text)
      : /\.csv$/i.test(file.name)
        ? parseForeignCsv(file.name, text, lab.settings.env)
        : parseRunJsonl(file.name, text);
    if (!parsed.ok) {
      lab.notify(
        'error',
        `Not loaded: ${file.name.endsWith('.json') ? `${file.name}: ` : ''}${parsed.error}`,
      );
      continue;
    }
    loaded.push(...('runs' in parsed ? parsed.runs : [parsed.run]));
  }
  if (!loaded.length) return;
  const ids = new Set(lab.runs.map((r) => r.id));
  for (const run of loaded) {
    let id = run.id;
    for (let k = 2; ids.has(id); k++) id = `${run.id} (${k})`;
    run.id = id;
    ids.add(id);
  }
  useLab.setState({ runs: [...useLab.getState().runs, ...loaded] });
  lab.touch();
  lab.notify('info', `Loaded ${loaded.length} run${loaded.length > 1 ? 's' : ''}`);
}

function LabMain() {
  const runs = useLabRuns();
  const notices = useLab((s) => s.notices);
  const active = runs.some((r) => r.state === 'running' || r.state === 'queued');
  return (
    <div className="lab-main">
      <div className="run-bar">
        <button type="button" className="primary" onClick={startComparison}>
          Run comparison
        </button>
        <button type="button" onClick={stopAll} disabled={!active}>
          Stop
        </button>
        <button
          type="button"
          onClick={() => reproduce('table2')}
          title="TD3, −delay, −smoothing, −twin critics, DDPG × 5 seeds, Pendulum-v1, quick preset, 20k steps each"
        >
          Reproduce the ablation (Table 2)
        </button>
        <button
          type="button"
          onClick={() => reproduce('figure1')}
          title="DDPG vs DDPG + clipped double Q × 5 seeds, Pendulum-v1, quick preset, 20k steps each"
        >
          Reproduce Figure 1
        </button>
        <button
          type="button"
          disabled={active}
          onClick={() => {
            useLab.setState({ runs: [] });
            useLab.getState().touch();
          }}
        >
          Clear
        </button>
      </div>
      <div className="run-bar lab-files">
        <label className="file-button">
          Load runs (.jsonl, lab .json, SB3 / TensorBoard .csv)
          <input
            type="file"
            accept=".jsonl,.json,.csv"
            multiple
            onChange={(e) => {
              if (e.target.files) void importFiles(e.target.files);
              e.target.value = '';
            }}
          />
        </label>
        <span>Save:</span>
        <button
          type="button"
          disabled={!runs.length}
          onClick={() => saveText(curvesCsv(runs), 'td3-lab-curves.csv', 'text/csv')}
        >
          curves CSV
        </button>
        <button
          type="button"
          disabled={!runs.length}
          onClick={() => saveText(bandsCsv(runs), 'td3-lab-bands.csv', 'text/csv')}
        >
          bands CSV
        </button>
        <button
          type="button"
          disabled={!runs.length}
          onClick={() => saveText(labJson(runs), 'td3-lab.json', 'application/json')}
        >
          everything (JSON)
        </button>
      </div>
      <RunHistory />
      <NoticeList notices={notices} dismiss={(id) => useLab.getState().dismiss(id)} />
      <Progress runs={runs} />
      {runs.length ? (
        <>
          <ResultsTable runs={runs} />
          <PanelBoundary name="the lab's charts">
            <LabCharts runs={runs} />
          </PanelBoundary>
        </>
      ) : (
        <p className="hint lab-empty">
          One run proves little in RL: the same settings with another seed can learn or fail. Choose variants
          and seeds on the left and press Run comparison to see each trick’s effect with its uncertainty.
          Reproduce the ablation trains the paper’s five Table 2 rows × 5 seeds on Pendulum (25 runs of 20,000
          steps: about 3 minutes on a 2-core laptop, two at a time); Reproduce Figure 1 trains DDPG against
          DDPG with clipped double Q (10 runs, under 2 minutes).
        </p>
      )}
    </div>
  );
}

export function LabPage() {
  return (
    <>
      <aside className="sidebar">
        <LabSetup />
      </aside>
      <main>
        <LabMain />
      </main>
    </>
  );
}
