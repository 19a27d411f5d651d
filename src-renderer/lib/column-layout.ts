/**
 * The administrator's arrangement of a list's columns: their order and widths, kept per
 * setup type in local storage so that the console opens as it was left. Anything stored that
 * no longer fits the columns (renamed, removed, nonsense) is ignored, never trusted.
 */

/** Narrowest and widest a column may be made, in pixels. */
export const MIN_COLUMN_WIDTH = 40;
export const MAX_COLUMN_WIDTH = 800;

/** Order (column ids) and widths (by column id) chosen by the administrator. */
export interface ColumnLayout {
  readonly order: readonly string[];
  readonly widths: Readonly<Record<string, number>>;
}

export const EMPTY_LAYOUT: ColumnLayout = { order: [], widths: {} };

/** A width within the limits, in whole pixels. */
export function clampWidth(width: number): number {
  return Math.round(Math.min(MAX_COLUMN_WIDTH, Math.max(MIN_COLUMN_WIDTH, width)));
}

/** Apply a layout to the default columns: known ids in the stored order, the rest after. */
export function arrangeColumns<C extends { readonly id: string; readonly width: number }>(
  columns: readonly C[],
  layout: ColumnLayout,
): C[] {
  const byId = new Map(columns.map((c) => [c.id, c]));
  const ordered: C[] = [];
  for (const id of layout.order) {
    const column = byId.get(id);
    if (column && !ordered.includes(column)) ordered.push(column);
  }
  for (const column of columns) if (!ordered.includes(column)) ordered.push(column);
  return ordered.map((c) => {
    // Own entries only: a column id such as `constructor` must not find Object's.
    if (!Object.hasOwn(layout.widths, c.id)) return c;
    return { ...c, width: clampWidth(layout.widths[c.id]!) };
  });
}

/** The layout with `id` moved to just before `beforeId` (or to the end when null). */
export function moveColumn(
  current: readonly string[],
  id: string,
  beforeId: string | null,
): string[] {
  if (id === beforeId) return [...current];
  const rest = current.filter((c) => c !== id);
  const at = beforeId === null ? rest.length : rest.indexOf(beforeId);
  rest.splice(at < 0 ? rest.length : at, 0, id);
  return rest;
}

/** Read a stored layout; anything malformed gives the empty layout. */
export function parseLayout(text: string | null): ColumnLayout {
  if (!text) return EMPTY_LAYOUT;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return EMPTY_LAYOUT;
    const { order, widths } = value as { order?: unknown; widths?: unknown };
    const cleanOrder = Array.isArray(order)
      ? order.filter((id): id is string => typeof id === 'string').slice(0, 64)
      : [];
    const cleanWidths: Record<string, number> = {};
    if (typeof widths === 'object' && widths !== null && !Array.isArray(widths)) {
      for (const [id, width] of Object.entries(widths as Record<string, unknown>).slice(0, 64)) {
        if (typeof width === 'number' && Number.isFinite(width))
          cleanWidths[id] = clampWidth(width);
      }
    }
    return { order: cleanOrder, widths: cleanWidths };
  } catch {
    return EMPTY_LAYOUT;
  }
}
