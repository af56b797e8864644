// One uPlot line chart over time: x in Unix seconds, one or more series.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Line {
  label: string
  stroke: string
}

/** The y axis's width: its longest tick text (about 7 px a character here) and room for the unit's label beside it. */
function yAxisSize(_plot: uPlot, values: string[] | null): number {
  const longest = (values ?? []).reduce((most, text) => Math.max(most, text.length), 4)
  return longest * 7 + 36
}

export function LineChart({
  times,
  lines,
  values,
  label,
  unit,
  height = 220
}: {
  times: number[]
  lines: Line[]
  values: number[][]
  label: string
  unit: string
  height?: number
}) {
  const box = useRef<HTMLDivElement>(null)
  const data = [times, ...values] as uPlot.AlignedData
  useEffect(() => {
    const element = box.current
    if (element === null) return
    const width = Math.max(280, Math.min(element.clientWidth, 1100))
    const plot = new uPlot(
      {
        width,
        height,
        series: [{}, ...lines.map(line => ({ label: line.label, stroke: line.stroke, width: 2 }))],
        // Amounts are small fractions of a token: three significant digits tell the ticks apart.
        axes: [{}, { label: unit, size: yAxisSize, values: (_plot, ticks) => ticks.map(tick => (tick === 0 ? '0' : tick.toPrecision(3))) }]
      },
      data,
      element
    )
    return () => plot.destroy()
  }, [JSON.stringify(data)])
  return <div ref={box} class="chart" role="img" aria-label={label} data-points={times.length} />
}
