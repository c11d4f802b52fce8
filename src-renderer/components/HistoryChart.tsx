import { memo, useMemo } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricsChart } from "../../src-shared/dashboard/metrics-history.js";
import { formatBytes, formatTime } from "../lib/format.js";

/** Fixed palette: the first lines are the theme's chart colours, the rest distinct hues. */
const COLORS = ["var(--chart-1)", "var(--chart-2)", "#d9822b", "#c23c7e", "#7a5af8", "#2b9fd9", "#8c9a2b", "#d94a4a", "#4aa39a", "#a36b2b", "#5b6b8c", "#b04fc2", "#3f8f3f", "#c2a13c", "#2b5fd9", "#8c2b4a"];

function formatValue(unit: MetricsChart["unit"], v: number): string {
  switch (unit) {
    case "percent":
      return `${v.toFixed(0)} %`;
    case "bytes":
      return formatBytes(v);
    case "ms":
      return `${v.toFixed(0)} ms`;
    case "celsius":
      return `${v.toFixed(0)} °C`;
    case "watts":
      return `${v.toFixed(0)} W`;
    default:
      return v >= 10 ? v.toFixed(0) : v.toFixed(2);
  }
}

/** One history chart: several named lines over the selected range; SVG, no animation. */
export const HistoryChart = memo(function HistoryChart({ chart, fromMs, toMs }: { chart: MetricsChart; fromMs: number; toMs: number }) {
  // recharts wants one row per timestamp with a key per line.
  const data = useMemo(() => {
    const rows = new Map<number, Record<string, number>>();
    for (const s of chart.series) for (const p of s.points) rows.set(p.t, { ...(rows.get(p.t) ?? { t: p.t }), [s.name]: p.v });
    return [...rows.values()].sort((a, b) => (a.t ?? 0) - (b.t ?? 0));
  }, [chart]);
  const span = toMs - fromMs;
  const ticks = [0, 1, 2, 3].map((i) => fromMs + (span * i) / 3);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={data} margin={{ top: 6, right: 8, bottom: 0, left: 0 }} accessibilityLayer>
        <title>{chart.title}</title>
        <CartesianGrid stroke="var(--border)" vertical={false} />
        <XAxis dataKey="t" type="number" domain={[fromMs, toMs]} ticks={ticks} tickFormatter={(v: number) => formatTime(v)} stroke="var(--text-3)" tick={{ fontSize: 11 }} tickLine={false} axisLine={false} />
        <YAxis stroke="var(--text-3)" tick={{ fontSize: 11 }} tickLine={false} axisLine={false} width={58} tickFormatter={(v: number) => formatValue(chart.unit, v)} domain={chart.unit === "percent" ? [0, 100] : [0, "auto"]} />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(v) => formatTime(Number(v))}
          formatter={(v, name) => [formatValue(chart.unit, Number(v)), String(name)]}
          contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6, fontSize: 12 }}
        />
        {chart.series.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} iconSize={8} />}
        {chart.series.map((s, i) => (
          <Line key={s.name} type="monotone" dataKey={s.name} stroke={COLORS[i % COLORS.length]} strokeWidth={1.6} dot={false} isAnimationActive={false} connectNulls />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
});
