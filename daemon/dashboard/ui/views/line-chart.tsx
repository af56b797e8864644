// One uPlot line chart over time: x in Unix seconds, one or more series.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Line {
  label: string
  stroke: string
}

export function LineChart({ times, lines, values, label, unit }: { times: number[]; lines: Line[]; values: number[][]; label: string; unit: string }) {
  const box = useRef<HTMLDivElement>(null)
  const data = [times, ...values] as uPlot.AlignedData
  useEffect(() => {
    const element = box.current
    if (element === null) return
    const width = Math.max(280, Math.min(element.clientWidth, 1100))
    const plot = new uPlot(
      {
        width,
        height: 220,
        series: [{}, ...lines.map(line => ({ label: line.label, stroke: line.stroke, width: 2 }))],
        // Amounts are small fractions of a token: three significant digits tell the ticks apart.
        axes: [{}, { label: unit, size: 70, values: (_plot, ticks) => ticks.map(tick => (tick === 0 ? '0' : tick.toPrecision(3))) }]
      },
      data,
      element
    )
    return () => plot.destroy()
  }, [JSON.stringify(data)])
  return <div ref={box} class="chart" role="img" aria-label={label} data-points={times.length} />
}
