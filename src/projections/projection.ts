import type { RecordedEvent } from '../infra/eventStore/index.ts';
import type { ProjectedTable, ReadModels } from './schema.ts';

/** A full row of a projected table. */
export type RowOf<T extends ProjectedTable> = ReadModels[T];

/** The primary-key part of a row. */
export type KeyOf<T extends ProjectedTable> = Partial<ReadModels[T]>;

/** One row change a projection asks for: write the whole row, or delete it by key. */
export type RowChange = {
  [T in ProjectedTable]: { op: 'put'; table: T; row: RowOf<T> } | { op: 'delete'; table: T; key: KeyOf<T> };
}[ProjectedTable];

/** Read access to rows as they stand, including changes earlier in the same batch. */
export type RowReader = {
  get<T extends ProjectedTable>(table: T, key: KeyOf<T>): RowOf<T> | undefined;
};

/**
 * A read model: a pure fold from events to row changes. It never touches SQL; the runner does.
 * Bumping `version` rebuilds the read models from sequence 1 (blue/green).
 */
export type Projection = {
  readonly name: string;
  readonly version: number;
  apply(event: RecordedEvent, rows: RowReader): RowChange[];
};

/** Builds a put change (keeps projections short and typed). */
export const put = <T extends ProjectedTable>(table: T, row: RowOf<T>): RowChange =>
  ({ op: 'put', table, row }) as RowChange;

/** Builds a delete change. */
export const del = <T extends ProjectedTable>(table: T, key: KeyOf<T>): RowChange =>
  ({ op: 'delete', table, key }) as RowChange;
