// logreg-gradient <label column> <feature column…> --weights w0,w1,…: one
// owner's local step of federated logistic regression. For the weights given
// (bias first), /out/partial.json is the vector of the gradient of the log
// loss summed over the rows (bias first), followed by the summed loss; rows
// with an empty cell are left out. The requester sums the owners' vectors and
// takes the next step.
import { CsvReader, numberArgument } from "./lib/csv"
import { vectorJson } from "./lib/json"
import { close, commandArgs, fail, openForReading, writeFile } from "./lib/wasi"

const USAGE = "usage: logreg-gradient <label column> <feature column>... --weights w0,w1,..."
const args = commandArgs()
const names = new Array<string>()
let weightsText: string | null = null
for (let i = 0; i < args.length; i++) {
  if (args[i] == "--weights") {
    if (i + 1 == args.length) fail(USAGE, 2)
    weightsText = args[++i]
  } else names.push(args[i])
}
if (names.length < 2 || weightsText === null) fail(USAGE, 2)
const features = names.length - 1
const weightParts = (<string>weightsText).split(",")
if (weightParts.length != features + 1) fail("--weights needs " + (features + 1).toString() + " values (the bias first)", 2)
const weights = new Array<f64>()
for (let i = 0; i < weightParts.length; i++) weights.push(numberArgument(weightParts[i], "a weight"))

const fd = openForReading("/data", "data.csv")
const reader = new CsvReader(fd)
const label = reader.column(names[0])
const columns = new Array<i32>()
for (let j = 1; j < names.length; j++) columns.push(reader.column(names[j]))
const gradient = new Array<f64>(features + 2).fill(0)
const x = new Array<f64>(features).fill(0)
while (reader.row()) {
  const y = reader.number(label)
  if (reader.missing) continue
  if (y != 0 && y != 1) fail("row " + reader.rows.toString() + ": the label must be 0 or 1", 2)
  let complete = true
  let z = weights[0]
  for (let j = 0; j < features; j++) {
    const value = reader.number(columns[j])
    if (reader.missing) {
      complete = false
      break
    }
    x[j] = value
    z += weights[j + 1] * value
  }
  if (!complete) continue
  const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))
  const error = p - y
  gradient[0] += error
  for (let j = 0; j < features; j++) gradient[j + 1] += error * x[j]
  // log(1 + e^z) − y·z, without overflow
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
  gradient[features + 1] += softplus - y * z
}
close(fd)
writeFile("/out", "partial.json", vectorJson(reader.rows, gradient))
