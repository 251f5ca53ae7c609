/** The playground page: controls on the left; the environment, the landscape and the live charts on the right. */
import { useEffect } from 'react';
import { Charts } from './Charts';
import { EnvAndPreset, ParamControls, RunBar, TrickToggles } from './Controls';
import { EnvView } from './EnvView';
import { Landscape } from './Landscape';
import { Notices, SmoothingControl, StatusBar } from './StatusBar';
import { usePlayground } from './store';
import { configFromHash, configToHash } from './urlState';

/** Reads the configuration (and `?backend=`) from the URL; called once, before the first render. */
export function loadConfigFromUrl(): void {
  const reading = configFromHash(window.location.hash);
  const store = usePlayground.getState();
  store.setDraft(reading.config, reading.preset);
  const backend = new URLSearchParams(window.location.search).get('backend') ?? reading.backend;
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
        if (state.draft !== previous.draft || state.preset !== previous.preset) {
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

export function App() {
  useUrlSync();
  return (
    <div className="app">
      <header>
        <h1>TD3 Playground</h1>
        <p className="tagline">
          Twin Delayed DDPG (Fujimoto, van Hoof &amp; Meger, 2018), training live in your browser. Switch the
          three tricks off and watch what happens.
        </p>
      </header>
      <aside className="sidebar">
        <EnvAndPreset />
        <TrickToggles />
        <ParamControls />
      </aside>
      <main>
        <RunBar />
        <StatusBar />
        <Notices />
        <section className="views">
          <EnvView />
          <Landscape />
        </section>
        <SmoothingControl />
        <Charts />
      </main>
    </div>
  );
}
