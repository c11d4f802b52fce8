import { useCallback, useLayoutEffect, useRef, useState } from "react";

export interface VirtualWindow {
  start: number;
  end: number;
  padTop: number;
  totalHeight: number;
}

/** Which rows of a fixed-row-height list are visible (plus overscan) for a scroll position. */
export function virtualWindow(count: number, rowHeight: number, scrollTop: number, viewportHeight: number, overscan = 6): VirtualWindow {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end, padTop: start * rowHeight, totalHeight: count * rowHeight };
}

/**
 * Fixed-height row virtualisation for a scroll container: renders only what is on screen, so a
 * table of 1000 nodes or 5000 log lines costs the same as one of 30.
 */
export function useVirtualRows(count: number, rowHeight: number) {
  const ref = useRef<HTMLDivElement | null>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 600 });
  const frame = useRef<number | null>(null);

  const measure = useCallback(() => {
    const el = ref.current;
    if (el === null) return;
    setViewport((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el === null) return;
    measure();
    const onScroll = () => {
      if (frame.current !== null) return;
      frame.current = requestAnimationFrame(() => {
        frame.current = null;
        measure();
      });
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      el.removeEventListener("scroll", onScroll);
      ro.disconnect();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [measure]);

  return { ref, ...virtualWindow(count, rowHeight, viewport.top, viewport.height) };
}
