/** The playground page: controls on the left; the environment, the landscape and the live charts on the right. */
import { useEffect, useState } from 'react';
import { Charts } from './Charts';
import { Checkpoints } from './Checkpoints';
import { EnvAndPreset, ParamControls, RunBar, TrickToggles } from './Controls';
import { EnvView } from './EnvView';
import { Landscape } from './Landscape';
import { LabPage } from './lab/LabPage';
import { PanelBoundary } from './PanelBoundary';
import { Notices, SmoothingControl, StatusBar } from './StatusBar';
import { usePlayground } from './store';
import { GuidedTour } from './teaching/GuidedTour';
import { configFromHash, configToHash } from './urlState';

/** The lab's address: `#lab` (the playground's hash holds its configuration). */
const LAB_HASH = '#lab';
type PageName = 'playground' | 'lab';

/** Reads the configuration (and `?backend=`) from the URL; called once, before the first render. */
export function loadConfigFromUrl(): void {
  const asked = new URLSearchParams(window.location.search).get('backend');
  // The lab's lanes train on it too.
  if (asked) usePlayground.setState({ backendRequest: asked });
  if (window.location.hash === LAB_HASH) return;
  const reading = configFromHash(window.location.hash);
  const store = usePlayground.getState();
  store.setDraft(reading.config, reading.preset);
  const backend = asked ?? reading.backend;
  if (backend) usePlayground.setState({ backendRequest: backend });
  for (const problem of reading.problems) {
    store.notify({ type: 'notice', level: 'warning', message: `Link: ${problem}` });
  }
}

/** Keeps the URL in step with the controls, and the seed control with the running seed. */
function useUrlSync(): void {
  useEffect(
    () =>
      usePlayground.subscribe((state, previous) => {
        if (
          window.location.hash !== LAB_HASH &&
          (state.draft !== previous.draft || state.preset !== previous.preset)
        ) {
          window.history.replaceState(null, '', configToHash(state.draft, state.preset));
        }
        // A restart with a new seed: show the seed the run uses.
        const seed = state.status?.config?.seed;
        if (seed !== undefined && seed !== previous.status?.config?.seed && seed !== state.draft.seed) {
          usePlayground.setState({ draft: { ...state.draft, seed } });
        }
      }),
    [],
  );
}

/** Playground or lab, from the address; both stay mounted state-wise (their stores live on). */
function usePage(): [PageName, (page: PageName) => void] {
  const [page, setPage] = useState<PageName>(() =>
    window.location.hash === LAB_HASH ? 'lab' : 'playground',
  );
  const go = (next: PageName) => {
    const { draft, preset } = usePlayground.getState();
    window.history.replaceState(null, '', next === 'lab' ? LAB_HASH : configToHash(draft, preset));
    setPage(next);
  };
  return [page, go];
}

export function App() {
  useUrlSync();
  const [page, go] = usePage();
  return (
    <div className="app">
      <header>
        <h1>TD3 Playground</h1>
        <p className="tagline">
          Twin Delayed DDPG (Fujimoto, van Hoof &amp; Meger, 2018), training live in your browser. Switch the
          three tricks off and watch what happens.
        </p>
        <nav className="tabs">
          <button
            type="button"
            className={page === 'playground' ? 'tab active' : 'tab'}
            aria-pressed={page === 'playground'}
            onClick={() => go('playground')}
          >
            Playground
          </button>
          <button
            type="button"
            className={page === 'lab' ? 'tab active' : 'tab'}
            aria-pressed={page === 'lab'}
            onClick={() => go('lab')}
          >
            Ablation lab
          </button>
        </nav>
      </header>
      {page === 'lab' ? <LabPage /> : <PlaygroundPage />}
      <GuidedTour />
    </div>
  );
}

function PlaygroundPage() {
  return (
    <>
      <aside className="sidebar">
        <EnvAndPreset />
        <Checkpoints />
        <TrickToggles />
        <ParamControls />
      </aside>
      <main>
        <RunBar />
        <StatusBar />
        <Notices />
        <section className="views">
          <PanelBoundary name="the environment">
            <EnvView />
          </PanelBoundary>
          <PanelBoundary name="the Q landscape">
            <Landscape />
          </PanelBoundary>
        </section>
        <SmoothingControl />
        <PanelBoundary name="the charts">
          <Charts />
        </PanelBoundary>
      </main>
    </>
  );
}
