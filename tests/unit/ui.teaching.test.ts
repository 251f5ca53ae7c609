import { existsSync, readFileSync } from 'node:fs';
import { renderToString } from 'katex';
import { describe, expect, it } from 'vitest';
import {
  type AblationMethod,
  PAPER_ABLATION,
  PAPER_TASKS,
  TRICK_LESSONS,
  type TrickLessonId,
} from '../../src/ui/teaching/tricks';

/** The project's reference facts: shared/ beside the checkout, or inside it where a copy carries one. */
function referenceText(): string {
  const candidates = ['../../../shared/REFERENCE.md', '../../shared/REFERENCE.md'].map(
    (relative) => new URL(relative, import.meta.url),
  );
  const found = candidates.find((url) => existsSync(url));
  if (!found)
    throw new Error(`REFERENCE.md not found at ${candidates.map((url) => url.pathname).join(' or ')}`);
  return readFileSync(found, 'utf8');
}

/** The markdown table under the line that starts "Paper Table 2": method → task → number as printed. */
function referenceTable2(markdown: string): Record<string, Record<string, string>> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Paper Table 2'));
  if (start < 0) throw new Error('no "Paper Table 2" line in REFERENCE.md');
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  const [header, separator, ...body] = rows;
  expect(separator.every((cell) => /^-+$/.test(cell))).toBe(true);
  const tasks = header.slice(1);
  return Object.fromEntries(
    body.map(([method, ...cells]) => [method, Object.fromEntries(tasks.map((task, i) => [task, cells[i]]))]),
  );
}

const LESSON_IDS = Object.keys(TRICK_LESSONS) as TrickLessonId[];

describe('the trick explanations', () => {
  it('explain each of the three tricks and DDPG', () => {
    expect(LESSON_IDS.sort()).toEqual(['ddpg', 'policyDelay', 'targetSmoothing', 'twinCritics']);
  });

  it.each(LESSON_IDS)('%s: every TeX string renders with KaTeX without an error', (id) => {
    const html = renderToString(TRICK_LESSONS[id].tex, { throwOnError: true, output: 'html' });
    expect(html).toContain('class="katex"');
    expect(html).not.toContain('katex-error');
  });

  it.each(LESSON_IDS)('%s: has every part, each a real sentence or equation', (id) => {
    const lesson = TRICK_LESSONS[id];
    for (const part of [lesson.title, lesson.equationInWords, lesson.tex])
      expect(part.length).toBeGreaterThan(10);
    for (const part of [lesson.whatItDoes, lesson.symbols, lesson.lookFor, lesson.paperSays])
      expect(part.length).toBeGreaterThan(80);
    expect(Object.keys(PAPER_ABLATION)).toContain(lesson.paperRow);
  });

  it('set each trick beside the row of Table 2 that removes it', () => {
    const rows: Record<TrickLessonId, AblationMethod> = {
      twinCritics: 'TD3 − clipped double Q',
      policyDelay: 'TD3 − delayed policy',
      targetSmoothing: 'TD3 − target smoothing',
      ddpg: 'DDPG (original)',
    };
    for (const id of LESSON_IDS) expect(TRICK_LESSONS[id].paperRow).toBe(rows[id]);
  });

  it('point at charts that the page has', () => {
    const charts = ['Return', 'Q estimate vs true value', 'Overestimation bias', 'Losses', 'Q values'];
    for (const id of LESSON_IDS) {
      const named = [...TRICK_LESSONS[id].lookFor.matchAll(/“([^”]+)”/g)].map((match) => match[1]);
      expect(named.length).toBeGreaterThan(0);
      for (const name of named.filter((n) => !n.startsWith('bias of'))) expect(charts).toContain(name);
    }
  });

  it('match docs/tricks.md: one section per lesson, with the same rows of the paper’s table', () => {
    const docs = readFileSync(new URL('../../docs/tricks.md', import.meta.url), 'utf8');
    const sections = docs.split(/^## /m);
    for (const id of LESSON_IDS) {
      const lesson = TRICK_LESSONS[id];
      const section = sections.find((s) => s.startsWith(`${lesson.title}\n`));
      expect(section, `a "## ${lesson.title}" section`).toBeDefined();
      const cells = (section ?? '')
        .split('\n')
        .filter((line) => line.startsWith('|'))
        .map((line) =>
          line
            .split('|')
            .slice(1, 4)
            .map((cell) => cell.trim()),
        );
      expect(cells[0]).toEqual(['task', 'TD3', lesson.paperRow]);
      for (const task of PAPER_TASKS) {
        expect(cells).toContainEqual([task, PAPER_ABLATION.TD3[task], PAPER_ABLATION[lesson.paperRow][task]]);
      }
    }
  });

  it('quote the paper’s Table 2 exactly as the reference gives it', () => {
    const reference = referenceTable2(referenceText());
    expect(Object.keys(reference).sort()).toEqual(Object.keys(PAPER_ABLATION).sort());
    for (const [method, scores] of Object.entries(PAPER_ABLATION)) {
      expect(Object.keys(reference[method])).toEqual([...PAPER_TASKS]);
      expect({ method, ...scores }).toEqual({ method, ...reference[method] });
    }
  });
});
