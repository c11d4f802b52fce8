import type { ReactNode } from "react";
import s from "./table.module.css";
import { cx } from "./ui.js";
import { tableMinWidth } from "./table-min-width.js";
import { useVirtualRows } from "./use-virtual-rows.js";

export interface Column<T> {
  id: string;
  header: ReactNode;
  /** A CSS grid track: fixed widths keep columns still while values stream. */
  width: string;
  align?: "left" | "right" | "center";
  render(row: T): ReactNode;
}

interface Props<T> {
  label: string;
  rows: readonly T[];
  rowKey(row: T): string;
  columns: Column<T>[];
  rowHeight?: number;
  empty?: ReactNode;
  footer?: ReactNode;
  selectedKey?: string | null;
  onRowClick?(row: T): void;
  testId?: string;
}

/** A virtualised, keyboard-friendly table (ARIA table roles; actions inside cells are real buttons and links). */
export function VirtualTable<T>({ label, rows, rowKey, columns, rowHeight = 44, empty, footer, selectedKey, onRowClick, testId }: Props<T>) {
  const { ref, start, end, padTop, totalHeight } = useVirtualRows(rows.length, rowHeight);
  const template = columns.map((c) => c.width).join(" ");
  const minWidth = tableMinWidth(columns.map((c) => c.width));
  return (
    <div className={s.wrap} data-testid={testId}>
      <div className={s.scroller} ref={ref} role="table" aria-label={label} aria-rowcount={rows.length + 1}>
        <div className={s.inner} style={{ minWidth }}>
          <div className={s.head} role="row" style={{ gridTemplateColumns: template }}>
            {columns.map((c) => (
              <div key={c.id} role="columnheader" className={cx(s.cell, c.align === "right" && s.right, c.align === "center" && s.center)}>
                {c.header}
              </div>
            ))}
          </div>
          {rows.length === 0 ? (
            <div className={s.empty}>{empty}</div>
          ) : (
            <div style={{ height: totalHeight, paddingTop: padTop }} role="rowgroup">
              {rows.slice(start, end).map((row, i) => {
                const key = rowKey(row);
                return (
                  <div
                    key={key}
                    role="row"
                    aria-rowindex={start + i + 2}
                    data-row-key={key}
                    className={cx(s.row, onRowClick && s.clickable, selectedKey === key && s.rowSelected)}
                    style={{ gridTemplateColumns: template, height: rowHeight }}
                    onClick={onRowClick ? (e) => {
                      if ((e.target as HTMLElement).closest("button, a, input, select")) return;
                      onRowClick(row);
                    } : undefined}
                  >
                    {columns.map((c) => (
                      <div key={c.id} role="cell" className={cx(s.cell, c.align === "right" && s.right, c.align === "center" && s.center)}>
                        {c.render(row)}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
      {footer !== undefined && <div className={s.footer}>{footer}</div>}
    </div>
  );
}
