import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { UsageBucket } from '../api/types';
import { bytes } from '../format';

/** Data up and down per bucket (uPlot: small and fast), with the same figures as a table for screen readers. */
export function UsageChart({ buckets, height = 220 }: { buckets: UsageBucket[]; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const data: uPlot.AlignedData = [
      buckets.map((b) => new Date(b.start).getTime() / 1000),
      buckets.map((b) => b.bytesUp),
      buckets.map((b) => b.bytesDown),
    ];
    const chart = new uPlot(
      {
        width: element.clientWidth || 600,
        height,
        series: [
          {},
          { label: 'Up', stroke: '#b3541e', fill: 'rgba(179,84,30,0.15)', value: (_u, v) => (v === null ? '—' : bytes(v)) },
          { label: 'Down', stroke: '#2456a6', fill: 'rgba(36,86,166,0.15)', value: (_u, v) => (v === null ? '—' : bytes(v)) },
        ],
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => bytes(t)), size: 70 }],
        scales: { x: { time: true } },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth || 600, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [buckets, height]);
  return <div ref={ref} className="chart" role="img" aria-label={`Data usage chart: ${buckets.length} periods, up and down`} />;
}
