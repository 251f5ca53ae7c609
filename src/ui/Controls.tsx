/** The controls: environment, preset, the three tricks, run buttons and every hyperparameter from the schema. */
import { Fragment } from 'react';
import { ENV_CATALOG, ENV_GROUPS } from '../envs/catalog';
import {
  allowedValues,
  type Config,
  FIELD_NAMES,
  FIELDS,
  type FieldName,
  type NumberField,
} from '../rl/hyperparameters';
import {
  defaultPresetFor,
  PRESET_DESCRIPTIONS,
  PRESET_NAMES,
  type PresetName,
  presetAvailable,
} from '../rl/presets';
import { usePlayground } from './store';
import { TrickExplainer } from './teaching/TrickExplainer';
import { trainingClient } from './trainingClient';

const SPEEDS: { label: string; value: number | null }[] = [
  { label: 'max', value: null },
  { label: '1000 steps/s', value: 1000 },
  { label: '200 steps/s', value: 200 },
  { label: '50 steps/s', value: 50 },
  { label: '10 steps/s', value: 10 },
];

const isActive = (state: string | undefined) =>
  state === 'running' || state === 'paused' || state === 'starting';

/** Edits a field; while a run is active a live field is sent to the worker at once. */
function changeField<K extends FieldName>(name: K, value: Config[K]): void {
  const { setField, status } = usePlayground.getState();
  setField(name, value);
  if (isActive(status?.state) && FIELDS[name].live) {
    trainingClient().send({ type: 'setParams', params: { [name]: value } });
  }
}

export function RunBar() {
  const status = usePlayground((s) => s.status);
  const draft = usePlayground((s) => s.draft);
  const watching = usePlayground((s) => s.watching);
  const backendRequest = usePlayground((s) => s.backendRequest);
  const state = status?.state ?? 'idle';
  const diverged = status?.divergence != null;
  const client = trainingClient();
  const start = () => client.start(draft, backendRequest);
  const restart = (newSeed: boolean) => {
    usePlayground.getState().clearSeries();
    // Settings that need a restart come from the controls; the seed is kept or drawn anew by the worker.
    client.send({ type: 'restart', newSeed, config: draft });
  };
  return (
    <div className="run-bar">
      {state === 'running' ? (
        <button type="button" onClick={() => client.send({ type: 'pause' })}>
          Pause
        </button>
      ) : state === 'paused' ? (
        <button
          type="button"
          onClick={() => client.send({ type: 'resume' })}
          disabled={diverged}
          title={diverged ? 'The run diverged: roll back to a checkpoint, or restart' : undefined}
        >
          Resume
        </button>
      ) : (
        <button type="button" className="primary" onClick={start} disabled={state === 'starting'}>
          Start
        </button>
      )}
      <button
        type="button"
        onClick={() => client.send({ type: 'step', steps: 1000 })}
        disabled={!isActive(state) || diverged}
      >
        Step 1k
      </button>
      <button type="button" onClick={() => restart(false)} disabled={!isActive(state) && state !== 'done'}>
        Restart (same seed)
      </button>
      <button type="button" onClick={() => restart(true)} disabled={!isActive(state) && state !== 'done'}>
        Restart (new seed)
      </button>
      <button type="button" onClick={() => client.send({ type: 'stop' })} disabled={!isActive(state)}>
        Stop
      </button>
      <label>
        speed{' '}
        <select
          value={String(status?.speed ?? 'max')}
          onChange={(e) => {
            const choice = SPEEDS.find((s) => String(s.value ?? 'max') === e.target.value);
            client.send({ type: 'setSpeed', stepsPerSecond: choice?.value ?? null });
          }}
        >
          {SPEEDS.map((s) => (
            <option key={s.label} value={String(s.value ?? 'max')}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          checked={watching}
          onChange={(e) => {
            usePlayground.setState({ watching: e.target.checked });
            client.send({ type: 'watchPolicy', on: e.target.checked });
          }}
        />{' '}
        watch policy
      </label>
    </div>
  );
}

export function EnvAndPreset() {
  const draft = usePlayground((s) => s.draft);
  const preset = usePlayground((s) => s.preset);
  return (
    <div className="env-preset">
      <label>
        Environment
        <select
          value={draft.env}
          onChange={(e) => {
            // A new env starts from its own default preset (published tuned values where they exist).
            const env = e.target.value;
            const { applyPreset, setField } = usePlayground.getState();
            setField('env', env);
            applyPreset(defaultPresetFor(env));
          }}
        >
          {ENV_GROUPS.map((group) => {
            const entries = ENV_CATALOG.filter((e) => e.group === group);
            return entries.length ? (
              <optgroup key={group} label={group}>
                {entries.map((e) => (
                  <option
                    key={e.id}
                    value={e.id}
                    title={`Choosing it loads the ${defaultPresetFor(e.id)} preset: ${PRESET_DESCRIPTIONS[defaultPresetFor(e.id)]}`}
                  >
                    {e.id}
                  </option>
                ))}
              </optgroup>
            ) : null;
          })}
        </select>
      </label>
      <label>
        Preset
        <select
          value={preset}
          onChange={(e) => usePlayground.getState().applyPreset(e.target.value as PresetName)}
        >
          {preset === 'custom' ? <option value="custom">custom</option> : null}
          {PRESET_NAMES.map((name) => (
            <option
              key={name}
              value={name}
              disabled={!presetAvailable(name, draft.env)}
              title={PRESET_DESCRIPTIONS[name]}
            >
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Seed
        <input
          type="number"
          min={0}
          step={1}
          value={draft.seed}
          onChange={(e) => {
            const seed = Number(e.target.value);
            if (Number.isInteger(seed) && seed >= 0) usePlayground.getState().setField('seed', seed);
          }}
        />
      </label>
    </div>
  );
}

const TRICKS: { name: 'twinCritics' | 'targetSmoothing'; label: string }[] = [
  { name: 'twinCritics', label: FIELDS.twinCritics.label },
  { name: 'targetSmoothing', label: FIELDS.targetSmoothing.label },
];

export function TrickToggles() {
  const draft = usePlayground((s) => s.draft);
  const ddpg = !draft.twinCritics && draft.policyDelay === 1 && !draft.targetSmoothing;
  return (
    <fieldset className="tricks">
      <legend>TD3’s three tricks {ddpg ? <span className="badge">= DDPG</span> : null}</legend>
      {TRICKS.map((trick) => (
        <Fragment key={trick.name}>
          <label className="toggle" title={FIELDS[trick.name].description}>
            <input
              type="checkbox"
              role="switch"
              aria-label={trick.label}
              aria-checked={draft[trick.name]}
              checked={draft[trick.name]}
              onChange={(e) => changeField(trick.name, e.target.checked)}
            />{' '}
            {trick.label}
          </label>
          <TrickExplainer id={trick.name} />
        </Fragment>
      ))}
      <label className="toggle" title={FIELDS.policyDelay.description}>
        <input
          type="checkbox"
          role="switch"
          aria-label="Delayed policy updates"
          aria-checked={draft.policyDelay > 1}
          checked={draft.policyDelay > 1}
          onChange={(e) => changeField('policyDelay', e.target.checked ? 2 : 1)}
        />{' '}
        Delayed policy updates (d = {draft.policyDelay})
      </label>
      <TrickExplainer id="policyDelay" />
      <button
        type="button"
        onClick={() => {
          changeField('twinCritics', ddpg);
          changeField('policyDelay', ddpg ? 2 : 1);
          changeField('targetSmoothing', ddpg);
        }}
      >
        {ddpg ? 'All on (TD3)' : 'All off (DDPG)'}
      </button>
      <TrickExplainer id="ddpg" />
    </fieldset>
  );
}

/** Slider position ↔ value, linear or logarithmic as the schema says (a log range from 0 starts at 1). */
function sliderBounds(field: NumberField): [number, number] {
  return field.scale === 'log'
    ? [Math.log(field.min > 0 ? field.min : 1), Math.log(field.max)]
    : [field.min, field.max];
}
function toSlider(field: NumberField, value: number): number {
  const [lo, hi] = sliderBounds(field);
  if (field.scale === 'log') return value <= 0 ? 0 : Math.max(0, (Math.log(value) - lo) / (hi - lo));
  return (value - lo) / (hi - lo);
}
function fromSlider(field: NumberField, t: number): number {
  const [lo, hi] = sliderBounds(field);
  const raw =
    field.scale === 'log'
      ? t <= 0 && field.min <= 0
        ? 0
        : Math.exp(lo + t * (hi - lo))
      : lo + t * (hi - lo);
  const value = Math.min(field.max, Math.max(field.min, raw));
  return field.kind === 'integer' ? Math.round(value) : Number(value.toPrecision(3));
}

const GROUPS: { group: string; title: string }[] = [
  { group: 'tricks', title: 'Trick settings' },
  { group: 'optimizer', title: 'Learning' },
  { group: 'network', title: 'Networks' },
  { group: 'exploration', title: 'Exploration' },
  { group: 'evaluation', title: 'Evaluation and probe' },
  { group: 'run', title: 'Run' },
];

/** The field's name as the CLI (`--actor-lr`), the URL and files spell it, beside its label in words. */
function FieldKey({ name }: { name: string }) {
  return (
    <code className="field-name" title="the name in the URL, the command line and files">
      {name}
    </code>
  );
}

/** An on/off setting: a checkbox with its label, restart mark and description. */
function FlagControl({ name }: { name: FieldName }) {
  const field = FIELDS[name];
  const value = usePlayground((s) => s.draft[name]) as boolean;
  return (
    <div className="param" title={field.description}>
      <label>
        <input
          type="checkbox"
          checked={value}
          onChange={(e) => changeField(name, e.target.checked as Config[typeof name])}
        />{' '}
        <ParamName name={name} />
      </label>
    </div>
  );
}

/**
 * A setting's label in words, its field name, and whether it waits for a restart: marked ↺ if it cannot
 * change mid-run, and "restart to apply" once it differs from what the worker trains with.
 */
function ParamName({ name }: { name: FieldName }) {
  const field = FIELDS[name];
  const value = usePlayground((s) => s.draft[name]);
  const running = usePlayground((s) => s.status?.config?.[name]);
  const active = usePlayground((s) => isActive(s.status?.state));
  const needsRestart = active && !field.live && running !== undefined && running !== value;
  return (
    <>
      {field.label} <FieldKey name={name} />
      {needsRestart ? <span className="badge warn">restart to apply</span> : null}
      {!field.live ? (
        <span className="restart-mark" title="changes need a restart">
          {' '}
          ↺
        </span>
      ) : null}
    </>
  );
}

function NumberControl({ name }: { name: FieldName }) {
  const field = FIELDS[name] as NumberField;
  const value = usePlayground((s) => s.draft[name]) as number;
  return (
    <div className="param" title={`${field.description}. Default ${field.default}; ${allowedValues(field)}`}>
      <label htmlFor={`param-${name}`}>
        <ParamName name={name} />
      </label>
      <input
        type="range"
        min={0}
        max={1}
        step={0.001}
        value={toSlider(field, value)}
        aria-label={`${name} slider`}
        onChange={(e) => changeField(name, fromSlider(field, Number(e.target.value)) as Config[typeof name])}
      />
      <input
        id={`param-${name}`}
        type="number"
        value={value}
        min={field.min}
        max={field.max}
        step={field.kind === 'integer' ? 1 : 'any'}
        onChange={(e) => {
          const v = Number(e.target.value);
          const ok = e.target.value !== '' && Number.isFinite(v) && v >= field.min && v <= field.max;
          if (ok && (field.kind === 'number' || Number.isInteger(v)))
            changeField(name, v as Config[typeof name]);
        }}
      />
    </div>
  );
}

export function ParamControls() {
  const draft = usePlayground((s) => s.draft);
  return (
    <div className="params">
      {GROUPS.map(({ group, title }) => {
        // Every setting of the group in the schema's order, each with the control of its kind; the three
        // tricks' on/off switches are above, and env and seed at the top.
        const names = FIELD_NAMES.filter(
          (n) =>
            FIELDS[n].group === group &&
            n !== 'seed' &&
            n !== 'env' &&
            !(FIELDS[n].kind === 'boolean' && group === 'tricks'),
        );
        if (!names.length) return null;
        return (
          <details key={group} open={group === 'tricks' || group === 'optimizer'}>
            <summary>{title}</summary>
            {names.map((n) => {
              const field = FIELDS[n];
              if (field.kind === 'boolean') return <FlagControl key={n} name={n} />;
              if (field.kind !== 'choice') return <NumberControl key={n} name={n} />;
              return (
                <div className="param" key={n} title={field.description}>
                  <label htmlFor={`param-${n}`}>
                    <ParamName name={n} />
                  </label>
                  <select
                    id={`param-${n}`}
                    value={String(draft[n])}
                    onChange={(e) => changeField(n, e.target.value as never)}
                  >
                    {field.options.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                </div>
              );
            })}
          </details>
        );
      })}
    </div>
  );
}
