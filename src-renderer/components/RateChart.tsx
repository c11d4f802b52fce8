import { memo } from "react";
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatTime } from "../lib/format.js";

/** One cluster rate over the last 15 minutes: SVG, no animation, at most ~300 points. */
export const RateChart = memo(function RateChart({ data, color, unit, label }: { data: { at_ms: number; value: number }[]; color: string; unit: string; label: string }) {
  const end = data.at(-1)?.at_ms ?? Date.now();
  return (
    <ResponsiveContainer width="100%" height="100%">
      <AreaChart data={data} margin={{ top: 6, right: 8, bottom: 0, left: -12 }} accessibilityLayer>
        <title>{label}</title>
        <CartesianGrid stroke="var(--border)" vertical={false} />
        <XAxis
          dataKey="at_ms"
          type="number"
          domain={[end - 15 * 60_000, end]}
          ticks={[end - 15 * 60_000, end - 10 * 60_000, end - 5 * 60_000, end]}
          tickFormatter={(v: number) => (v === end ? "now" : `−${Math.round((end - v) / 60_000)} m`)}
          stroke="var(--text-3)"
          tick={{ fontSize: 11 }}
          tickLine={false}
          axisLine={false}
        />
        <YAxis stroke="var(--text-3)" tick={{ fontSize: 11 }} tickLine={false} axisLine={false} width={44} allowDecimals={false} domain={[0, (max: number) => Math.max(1, Math.ceil(max * 1.15))]} />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(v) => formatTime(Number(v))}
          formatter={(v) => [`${Number(v).toFixed(1)} ${unit}`, label]}
          contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6, fontSize: 12 }}
        />
        <Area type="monotone" dataKey="value" stroke={color} strokeWidth={1.6} fill={color} fillOpacity={0.14} isAnimationActive={false} dot={false} />
      </AreaChart>
    </ResponsiveContainer>
  );
});
