/**
 * A short tour for a first visit: a small card in the bottom-left corner, beside the page rather than over
 * it, so the page works as usual while it shows. Once closed or finished it stays closed (localStorage), and
 * a small "Tour" button brings it back.
 */
import { useState } from 'react';
import './teaching.css';

interface TourStep {
  title: string;
  text: string;
}

const TOUR_STEPS: TourStep[] = [
  {
    title: 'Pick an environment and a preset',
    text:
      'Pendulum-v1 with the quick preset learns in a few minutes on a laptop. A preset fills in every ' +
      'setting below it; hover over a setting to read what it does.',
  },
  {
    title: 'Press Start',
    text:
      'Start, at the top of the page, trains the agent in the background. Watch the blue evaluation line ' +
      'in “Return” climb as the policy improves.',
  },
  {
    title: 'Switch TD3’s three tricks',
    text:
      'Each switch in the blue box changes the running agent at once. Open “What does this do?” under a ' +
      'switch for the idea, its equation and what the paper measured without it.',
  },
  {
    title: 'Watch the overestimation bias',
    text:
      '“Overestimation bias” is the critic’s estimate minus the true value, measured by playing the policy ' +
      'out. Switch twin critics off and watch it rise above zero.',
  },
  {
    title: 'Compare over seeds',
    text:
      'One run is partly luck. The Ablation lab tab runs TD3 and its variants over several seeds and ' +
      'compares them, as the paper’s ablation did.',
  },
];

/** Set once the tour was closed or finished, so it does not come back on every visit. */
const TOUR_DONE_KEY = 'td3-playground.tourDone';

// Storage can be unavailable (private modes, blocked cookies); the tour then simply shows again next time.
function readTourDone(): boolean {
  try {
    return window.localStorage.getItem(TOUR_DONE_KEY) === 'true';
  } catch {
    return false;
  }
}
function writeTourDone(): void {
  try {
    window.localStorage.setItem(TOUR_DONE_KEY, 'true');
  } catch {
    // Nothing to do: without storage the tour is only closed for this visit.
  }
}

export function GuidedTour() {
  const [open, setOpen] = useState(() => !readTourDone());
  const [step, setStep] = useState(0);
  const close = () => {
    writeTourDone();
    setOpen(false);
  };

  if (!open) {
    return (
      <button
        type="button"
        className="tour-reopen"
        onClick={() => {
          setStep(0);
          setOpen(true);
        }}
      >
        Tour
      </button>
    );
  }

  const { title, text } = TOUR_STEPS[step];
  const last = step === TOUR_STEPS.length - 1;
  return (
    <aside className="guided-tour" aria-label="Guided tour">
      <p className="tour-progress">
        Tour · step {step + 1} of {TOUR_STEPS.length}
      </p>
      <h2>{title}</h2>
      <p>{text}</p>
      <div className="tour-buttons">
        <button type="button" onClick={() => setStep(step - 1)} disabled={step === 0}>
          Back
        </button>
        <button type="button" onClick={last ? close : () => setStep(step + 1)}>
          {last ? 'Finish' : 'Next'}
        </button>
        <button type="button" className="tour-close" onClick={close}>
          Close tour
        </button>
      </div>
    </aside>
  );
}
