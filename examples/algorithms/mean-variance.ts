// mean-variance <column>: one owner's local step of a federated mean and
// variance. /out/partial.json is {"kind":"vector","rows":N,"values":[count,
// sum, sum of squares]} over the column's non-empty cells; summed over the
// owners (in the clear or securely) it gives the pooled mean and variance.
import { CsvReader } from "./lib/csv"
import { vectorJson } from "./lib/json"
import { close, commandArgs, fail, openForReading, writeFile } from "./lib/wasi"

const args = commandArgs()
if (args.length != 1) fail("usage: mean-variance <column>", 2)
const fd = openForReading("/data", "data.csv")
const reader = new CsvReader(fd)
const column = reader.column(args[0])
let count: f64 = 0
let sum: f64 = 0
let squares: f64 = 0
while (reader.row()) {
  const value = reader.number(column)
  if (reader.missing) continue
  count += 1
  sum += value
  squares += value * value
}
close(fd)
writeFile("/out", "partial.json", vectorJson(reader.rows, [count, sum, squares]))
