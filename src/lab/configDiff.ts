/** What differs between two runs' configurations, field by field in the schema's order. */
import { type Config, FIELD_NAMES, type FieldName } from '../rl/hyperparameters';

export interface FieldDifference {
  field: FieldName;
  a: Config[FieldName];
  b: Config[FieldName];
}

export function diffConfigs(a: Config, b: Config): FieldDifference[] {
  return FIELD_NAMES.filter((field) => a[field] !== b[field]).map((field) => ({
    field,
    a: a[field],
    b: b[field],
  }));
}
