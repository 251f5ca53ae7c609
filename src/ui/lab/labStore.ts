/**
 * The ablation lab's state (zustand): what to compare (env, preset, budget, seeds, variants) and the runs,
 * queued, training or finished. Runs are updated in place as records arrive; `version` marks each change so
 * charts and the table recompute without deep comparisons.
 */
import { create } from 'zustand';
import type { LabRun } from '../../lab/runs';
import { ABLATION_VARIANTS, TABLE2_VARIANTS, type Variant } from '../../lab/variants';
import type { PresetName } from '../../rl/presets';

/** Gymnasium's reward thresholds where it defines one, and the zoo's "solved" level for Pendulum. */
export const DEFAULT_THRESHOLDS: Record<string, number> = {
  'Pendulum-v1': -200,
  'MountainCarContinuous-v0': 90,
  'InvertedPendulum-v5': 950,
  'InvertedDoublePendulum-v5': 9100,
  'HalfCheetah-v5': 4800,
  'Hopper-v5': 3800,
  'Reacher-v5': -3.75,
  'Ant-v5': 6000,
  'LunarLanderContinuous-v3': 200,
  'BipedalWalker-v3': 300,
};

export interface LabSettings {
  env: string;
  preset: PresetName;
  totalSteps: number;
  evalEvery: number;
  seeds: number;
  /** Runs trained side by side, each in its own worker. */
  parallel: number;
  threshold: number | null;
}

export interface LabNotice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface LabState {
  settings: LabSettings;
  /** The variants to compare, in table order. */
  variants: Variant[];
  runs: LabRun[];
  version: number;
  /** Bumped when the saved runs (IndexedDB) change. */
  historyVersion: number;
  notices: LabNotice[];
  setSettings: (change: Partial<LabSettings>) => void;
  setVariants: (variants: Variant[]) => void;
  /** Marks a change to the runs (made in place). */
  touch: () => void;
  historyChanged: () => void;
  notify: (level: LabNotice['level'], message: string) => void;
  dismiss: (id: number) => void;
}

const cores = typeof navigator === 'undefined' ? 2 : navigator.hardwareConcurrency || 2;

export const DEFAULT_LAB_SETTINGS: LabSettings = {
  env: 'Pendulum-v1',
  preset: 'quick',
  totalSteps: 20_000,
  evalEvery: 1_000,
  seeds: 5,
  parallel: Math.max(1, Math.min(4, cores)),
  threshold: -200,
};

let noticeId = 0;

export const useLab = create<LabState>((set) => ({
  settings: DEFAULT_LAB_SETTINGS,
  variants: TABLE2_VARIANTS.map((id) => ABLATION_VARIANTS[id]),
  runs: [],
  version: 0,
  historyVersion: 0,
  notices: [],
  setSettings: (change) => set((s) => ({ settings: { ...s.settings, ...change } })),
  setVariants: (variants) => set({ variants }),
  touch: () => set((s) => ({ version: s.version + 1 })),
  historyChanged: () => set((s) => ({ historyVersion: s.historyVersion + 1 })),
  notify: (level, message) =>
    set((s) => ({ notices: [...s.notices.slice(-4), { id: ++noticeId, level, message }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
