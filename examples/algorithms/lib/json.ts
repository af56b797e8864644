// The JSON the algorithms write: the output kinds the owner's guard checks.
import { fail } from "./wasi"

/** A finite number as JSON; a NaN or an infinity fails (no JSON for them). */
export function jsonNumber(value: f64): string {
  if (!isFinite(value)) fail("a result is not a finite number", 3)
  if (value == Math.floor(value) && Math.abs(value) < 9007199254740992) return (<i64>value).toString()
  return value.toString()
}

/** {"kind":"vector","rows":N,"values":[…]} */
export function vectorJson(rows: i32, values: Array<f64>): string {
  const parts = new Array<string>()
  for (let i = 0; i < values.length; i++) parts.push(jsonNumber(values[i]))
  return '{"kind":"vector","rows":' + rows.toString() + ',"values":[' + parts.join(",") + "]}"
}

/** A JSON string literal. */
export function jsonString(text: string): string {
  let out = '"'
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c == 34) out += '\\"'
    else if (c == 92) out += "\\\\"
    else if (c < 32) out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16)
    else out += String.fromCharCode(c)
  }
  return out + '"'
}
