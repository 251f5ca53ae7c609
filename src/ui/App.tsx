/** The playground page. For now: what the product is and the configurations it knows. */
import { FIELD_NAMES, FIELDS } from '../rl/hyperparameters';
import { PRESET_DESCRIPTIONS, PRESET_NAMES } from '../rl/presets';

export function App() {
  const tricks = FIELD_NAMES.filter((name) => FIELDS[name].group === 'tricks');
  return (
    <main>
      <h1>TD3 Playground</h1>
      <p>
        Train TD3 (Fujimoto, van Hoof &amp; Meger, 2018) on physics environments in your browser, and switch
        its three tricks on and off to see what each one does.
      </p>
      <section aria-label="presets">
        <h2>Presets</h2>
        <ul>
          {PRESET_NAMES.map((name) => (
            <li key={name}>
              <strong>{name}</strong>: {PRESET_DESCRIPTIONS[name]}
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="tricks">
        <h2>The three tricks</h2>
        <ul>
          {tricks.map((name) => (
            <li key={name}>
              <code>{name}</code>: {FIELDS[name].description}
            </li>
          ))}
        </ul>
      </section>
      <p className="note">
        Training in the page is on its way; today <code>npm run train</code> runs the same algorithm in Node.
      </p>
    </main>
  );
}
