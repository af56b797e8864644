// Bundles the dashboard (daemon/dashboard/ui) into dist/dashboard: one minified
// script and one stylesheet named by their content's hash, and the index.html
// that names them. No CDN and nothing fetched at run time: the daemon serves
// these files itself. esbuild takes well under a second, so every build
// rebuilds; the old hashed files are removed.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const ui = join(root, 'daemon/dashboard/ui')
const outDir = process.env.AGORA_DASHBOARD_OUT ?? join(root, 'dist/dashboard')

const result = await build({
  entryPoints: { app: join(ui, 'main.tsx'), style: join(ui, 'style.css') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: outDir,
  write: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning'
})

const files = result.outputFiles.map(file => ({ name: basename(file.path), contents: file.contents }))
const script = files.find(file => file.name.endsWith('.js'))?.name
const style = files.find(file => file.name.endsWith('.css'))?.name
if (script === undefined || style === undefined) throw new Error('esbuild gave no script or no stylesheet')

// The page has no inline script or style: the CSP allows only 'self'.
const index = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Agora dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/${style}">
<script type="module" src="/dashboard/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Agora dashboard needs JavaScript.</noscript>
</body>
</html>
`

await mkdir(outDir, { recursive: true })
const keep = new Set([...files.map(file => file.name), 'index.html'])
for (const old of await readdir(outDir)) if (!keep.has(old)) await rm(join(outDir, old), { force: true })
for (const file of files) await writeFile(join(outDir, file.name), file.contents)
await writeFile(join(outDir, 'index.html'), index)
