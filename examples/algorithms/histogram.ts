// histogram <column> <edge1> … <edgeK> [--cells] [--min-count m]: counts of
// the column's values in the K+1 cells (−∞, e1), [e1, e2), …, [eK, +∞).
// /out/partial.json is the vector of the counts (the input of secure
// aggregation); with --cells also /out/histogram.json, the histogram kind with
// each cell's key, where counts below m (but above 0) are suppressed to 0.
import { CsvReader, numberArgument } from "./lib/csv"
import { jsonString, vectorJson } from "./lib/json"
import { close, commandArgs, fail, openForReading, writeFile } from "./lib/wasi"

const USAGE = "usage: histogram <column> <edge1> ... <edgeK> [--cells] [--min-count m]"
const args = commandArgs()
const positional = new Array<string>()
let cells = false
let minCount: f64 = 0
for (let i = 0; i < args.length; i++) {
  const arg = args[i]
  if (arg == "--cells") cells = true
  else if (arg == "--min-count") {
    if (i + 1 == args.length) fail(USAGE, 2)
    minCount = numberArgument(args[++i], "--min-count")
    if (minCount < 0 || minCount != Math.floor(minCount)) fail("--min-count must be a whole number ≥ 0", 2)
  } else positional.push(arg)
}
if (positional.length < 2) fail(USAGE, 2)
const edgeTexts = positional.slice(1)
const edges = new Array<f64>()
for (let i = 0; i < edgeTexts.length; i++) {
  const edge = numberArgument(edgeTexts[i], "an edge")
  if (i > 0 && edge <= edges[i - 1]) fail("the edges must increase", 2)
  edges.push(edge)
}

const fd = openForReading("/data", "data.csv")
const reader = new CsvReader(fd)
const column = reader.column(positional[0])
const counts = new Array<f64>(edges.length + 1).fill(0)
while (reader.row()) {
  const value = reader.number(column)
  if (reader.missing) continue
  // The cell is the number of edges at or below the value.
  let low = 0
  let high = edges.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (edges[middle] <= value) low = middle + 1
    else high = middle
  }
  counts[low] += 1
}
close(fd)
writeFile("/out", "partial.json", vectorJson(reader.rows, counts))

if (cells) {
  const parts = new Array<string>()
  for (let i = 0; i < counts.length; i++) {
    const key = i == 0 ? "<" + edgeTexts[0] : i == edges.length ? ">=" + edgeTexts[i - 1] : "[" + edgeTexts[i - 1] + "," + edgeTexts[i] + ")"
    const count = counts[i] > 0 && counts[i] < minCount ? 0 : counts[i]
    parts.push('{"key":' + jsonString(key) + ',"count":' + (<i64>count).toString() + "}")
  }
  writeFile("/out", "histogram.json", '{"kind":"histogram","cells":[' + parts.join(",") + "]}")
}
