/** A table cell of a bench section. */
export type BenchCell = string | number | null;

/** What one section measured: rows for the printed table and for results/latest.json. */
export interface BenchSectionResult {
  /** One object per table row; every row has the same keys, in column order. */
  rows: Record<string, BenchCell>[];
  /** Lines printed under the table (method, caveats). */
  notes?: string[];
}

/**
 * One part of `pnpm bench`. To add one: write `src/<id>.ts` exporting a `BenchSection`, and add it
 * to the `sections` array in `src/main.ts`.
 *
 * @example
 * ```ts
 * export const mySection: BenchSection = {
 *   id: 'my-thing',
 *   title: 'My thing per second',
 *   async run() {
 *     return { rows: [{ name: 'a', perSecond: 123 }] };
 *   },
 * };
 * ```
 */
export interface BenchSection {
  /** Short id: the key in results/latest.json and the CLI filter (`pnpm bench verify`). */
  id: string;
  /** Heading printed above the table. */
  title: string;
  run(): Promise<BenchSectionResult>;
}
