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
];

export const ENV_GROUPS: readonly EnvGroup[] = ['Classic control', 'Box2D', 'MuJoCo'];

export const catalogIds: readonly string[] = ENV_CATALOG.map((e) => e.id);
