/**
 * The environments the product offers, grouped for the picker. Plain data with no physics imports, so the
 * page can list them without loading any simulator; a test keeps it equal to the registry in `index.ts`.
 */
export type EnvGroup = 'Classic control' | 'Box2D' | 'MuJoCo';

export interface CatalogEntry {
  id: string;
  group: EnvGroup;
}

export const ENV_CATALOG: readonly CatalogEntry[] = [
  { id: 'Pendulum-v1', group: 'Classic control' },
  { id: 'MountainCarContinuous-v0', group: 'Classic control' },
  { id: 'Reacher-v5', group: 'MuJoCo' },
  { id: 'InvertedPendulum-v5', group: 'MuJoCo' },
  { id: 'InvertedDoublePendulum-v5', group: 'MuJoCo' },
  { id: 'HalfCheetah-v5', group: 'MuJoCo' },
  { id: 'Hopper-v5', group: 'MuJoCo' },
  { id: 'Walker2d-v5', group: 'MuJoCo' },
  { id: 'Ant-v5', group: 'MuJoCo' },
  { id: 'Humanoid-v5', group: 'MuJoCo' },
  { id: 'LunarLanderContinuous-v3', group: 'Box2D' },
  { id: 'BipedalWalker-v3', group: 'Box2D' },
];

export const ENV_GROUPS: readonly EnvGroup[] = ['Classic control', 'Box2D', 'MuJoCo'];

export const catalogIds: readonly string[] = ENV_CATALOG.map((e) => e.id);
