/** A fold-out lesson under a trick's switch: what it does, its equation, what to watch and the paper's numbers. */
import { renderToString } from 'katex';
import 'katex/dist/katex.min.css';
import { memo, useMemo } from 'react';
import './teaching.css';
import {
  PAPER_ABLATION,
  PAPER_ABLATION_CAPTION,
  PAPER_TASKS,
  TRICK_LESSONS,
  type TrickLessonId,
} from './tricks';

/** The change from TD3's score, as a signed percentage. */
function changeFromTd3(td3: string, without: string): string {
  const change = (Number(without) / Number(td3) - 1) * 100;
  const size = Math.abs(change);
  return `${change > 0 ? '+' : change < 0 ? '−' : ''}${size.toFixed(size < 10 ? 1 : 0)} %`;
}

function PaperTable({ id }: { id: TrickLessonId }) {
  const row = TRICK_LESSONS[id].paperRow;
  const td3 = PAPER_ABLATION.TD3;
  const without = PAPER_ABLATION[row];
  return (
    <table className="paper-table">
      <caption>{PAPER_ABLATION_CAPTION}</caption>
      <thead>
        <tr>
          <th scope="col">task</th>
          <th scope="col">TD3</th>
          <th scope="col">{row}</th>
          <th scope="col">change</th>
        </tr>
      </thead>
      <tbody>
        {PAPER_TASKS.map((task) => (
          <tr key={task}>
            <th scope="row">{task}</th>
            <td>{td3[task]}</td>
            <td>{without[task]}</td>
            <td>{changeFromTd3(td3[task], without[task])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const TrickExplainer = memo(function TrickExplainer({ id }: { id: TrickLessonId }) {
  const lesson = TRICK_LESSONS[id];
  // The TeX is one of our own constants (tricks.ts), never user or URL input, so its HTML is safe to insert.
  const equation = useMemo(
    () => renderToString(lesson.tex, { throwOnError: true, output: 'html' }),
    [lesson.tex],
  );
  return (
    <details className="trick-explainer">
      <summary>What does this do?</summary>
      <h3>{lesson.title}</h3>
      <p>{lesson.whatItDoes}</p>
      <div className="equation" role="img" aria-label={lesson.equationInWords}>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: KaTeX's HTML for a constant TeX string of ours */}
        <span dangerouslySetInnerHTML={{ __html: equation }} />
      </div>
      <p className="symbols">{lesson.symbols}</p>
      <h4>What to look for in the charts</h4>
      <p>{lesson.lookFor}</p>
      <h4>What the paper measured</h4>
      <PaperTable id={id} />
      <p>{lesson.paperSays}</p>
    </details>
  );
});
