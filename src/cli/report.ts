/**
 * `npm run report -- [--threshold R] runs/*.jsonl`: a markdown table of finished runs, one row per file: the
 * env steps at which the eval return first reached R, the final and best eval, and the wall time.
 */
import { readFileSync } from 'node:fs';
import type { EvalRecord } from '../train/metrics';
import { isScript } from './script';
import type { RunSummary } from './train';

interface Row {
  file: string;
  seed: number;
  firstReached: number | null;
  finalEval: number | null;
  bestEval: number | null;
  wallSeconds: number | null;
}

export function summarizeRun(file: string, text: string, threshold: number | null): Row {
  const records = text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { type: string });
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  const summary = records.find((r): r is RunSummary => r.type === 'summary');
  const config = records.find((r) => r.type === 'config') as { config?: { seed: number } } | undefined;
  const reached = threshold === null ? undefined : evals.find((e) => e.mean >= threshold);
  return {
    file,
    seed: config?.config?.seed ?? Number.NaN,
    firstReached: reached?.step ?? null,
    finalEval: evals.at(-1)?.mean ?? null,
    bestEval: evals.length ? Math.max(...evals.map((e) => e.mean)) : null,
    wallSeconds: summary?.wallSeconds ?? null,
  };
}

const fmt = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits));

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function reportTable(rows: Row[], threshold: number | null): string {
  const lines = [
    `| seed | first eval ≥ ${threshold ?? '—'} at step | final eval | best eval | wall time |`,
    '|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.seed} | ${r.firstReached ?? 'not reached'} | ${fmt(r.finalEval)} | ${fmt(r.bestEval)} | ${r.wallSeconds === null ? '—' : `${r.wallSeconds.toFixed(0)} s`} |`,
    );
  }
  const reached = rows.flatMap((r) => (r.firstReached === null ? [] : [r.firstReached]));
  const finals = rows.flatMap((r) => (r.finalEval === null ? [] : [r.finalEval]));
  const walls = rows.flatMap((r) => (r.wallSeconds === null ? [] : [r.wallSeconds]));
  lines.push(
    `| median | ${median(reached) ?? '—'} (${reached.length}/${rows.length} reached) | ${fmt(median(finals))} | | ${fmt(median(walls), 0)} s |`,
  );
  return lines.join('\n');
}

function main(argv: string[]): number {
  let threshold: number | null = null;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threshold') threshold = Number(argv[++i]);
    else files.push(argv[i]);
  }
  if (!files.length || (threshold !== null && !Number.isFinite(threshold))) {
    console.error('Usage: npm run report -- [--threshold R] runs/a.jsonl runs/b.jsonl ...');
    return 2;
  }
  const rows = files.map((f) => summarizeRun(f, readFileSync(f, 'utf8'), threshold));
  console.log(reportTable(rows, threshold));
  return 0;
}

// Run only as a script (`npm run report`), not when a test imports the functions above.
if (isScript(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
