// Accessibility checks of the page a browser test shows: every control
// (button, link, input, select, disclosure) has an accessible name, read from
// chromium's accessibility tree; and every visible piece of text meets WCAG AA
// contrast against its effective background (4.5:1, or 3:1 for large text:
// 24 px, or 18.66 px bold), computed in the page from getComputedStyle.
import type { Page, SerializedAXNode } from 'puppeteer-core'

const CONTROL_ROLES = new Set([
  'button',
  'link',
  'textbox',
  'searchbox',
  'combobox',
  'listbox',
  'checkbox',
  'radio',
  'spinbutton',
  'slider',
  'DisclosureTriangle'
])

/** The controls of the page without an accessible name, as `role` (with the value, when it has one). */
export async function unnamedControls(page: Page): Promise<string[]> {
  const root = await page.accessibility.snapshot({ interestingOnly: false })
  const unnamed: string[] = []
  const visit = (node: SerializedAXNode): void => {
    if (CONTROL_ROLES.has(node.role) && (node.name ?? '').trim() === '')
      unnamed.push(`${node.role}${node.value === undefined ? '' : ` (${String(node.value)})`}`)
    for (const child of node.children ?? []) visit(child)
  }
  if (root !== null) visit(root)
  return unnamed
}

export interface ContrastFailure {
  text: string
  ratio: number
  needed: number
  color: string
  background: string
}

// Runs in the page (given as text: the tests' TypeScript has no DOM types). Colours are read as
// rgb()/rgba(), which is how getComputedStyle answers; a translucent background is laid over the
// ones under it, down to the page's white canvas.
const CONTRAST_SCRIPT = `(() => {
  const parse = value => {
    const m = value.match(/rgba?\\(([^)]+)\\)/)
    if (m === null) return [0, 0, 0, 0]
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number)
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1]
  }
  const over = (top, under) => {
    const a = top[3] + under[3] * (1 - top[3])
    if (a === 0) return [0, 0, 0, 0]
    const mix = i => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a
    return [mix(0), mix(1), mix(2), a]
  }
  const background = element => {
    const layers = []
    for (let at = element; at !== null; at = at.parentElement) {
      const color = parse(getComputedStyle(at).backgroundColor)
      if (color[3] > 0) layers.push(color)
      if (color[3] >= 1) break
    }
    let result = [255, 255, 255, 1]
    for (const layer of layers.reverse()) result = over(layer, result)
    return result
  }
  const luminance = rgb => {
    const [r, g, b] = rgb.slice(0, 3).map(v => {
      const c = v / 255
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    })
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
  }
  const failures = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  const seen = new Set()
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    const element = node.parentElement
    if (element === null || seen.has(element) || node.textContent.trim() === '') continue
    seen.add(element)
    const style = getComputedStyle(element)
    const rect = element.getBoundingClientRect()
    // Hidden text, text kept for screen readers only (1 px boxes) and disabled controls (WCAG exempts them) are not read by eye.
    if (style.visibility !== 'visible' || Number(style.opacity) === 0 || rect.width <= 1 || rect.height <= 1) continue
    if (element.closest('[disabled], option, script, style') !== null) continue
    const back = background(element)
    const fore = over(parse(style.color), back)
    const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a)
    const ratio = (light + 0.05) / (dark + 0.05)
    const size = parseFloat(style.fontSize)
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
    const needed = large ? 3 : 4.5
    if (ratio + 1e-9 < needed) {
      failures.push({ text: node.textContent.trim().slice(0, 60), ratio: Math.round(ratio * 100) / 100, needed, color: style.color, background: 'rgb(' + back.slice(0, 3).map(Math.round).join(', ') + ')' })
    }
  }
  return failures
})()`

/** The visible texts of the page whose contrast is below WCAG AA. */
export async function lowContrastTexts(page: Page): Promise<ContrastFailure[]> {
  return (await page.evaluate(CONTRAST_SCRIPT)) as ContrastFailure[]
}
