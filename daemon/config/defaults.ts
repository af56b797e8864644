import { homedir } from 'node:os'
import { join } from 'node:path'
import type { DaemonConfig } from './schema.ts'

export const DEFAULT_API_PORT = 7465
export const DEFAULT_P2P_PORT = 7464

/** `$XDG_DATA_HOME/agora`, else `~/.local/share/agora`. */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_DATA_HOME
  return xdg !== undefined && xdg !== '' ? join(xdg, 'agora') : join(homedir(), '.local', 'share', 'agora')
}

export function defaultConfig(env: NodeJS.ProcessEnv): DaemonConfig {
  return {
    dataDir: defaultDataDir(env),
    // The API holds the keys to the node's money: local only unless configured.
    api: { host: '127.0.0.1', port: DEFAULT_API_PORT },
    // Relaying spends the node's bandwidth on others' traffic, and UPnP opens
    // a port on the router: each only when the operator asks for it.
    net: { listen: [`/ip4/0.0.0.0/tcp/${DEFAULT_P2P_PORT}`], bootstrap: [], announce: [], relay: false, upnp: false, webrtc: true },
    keystore: { cost: 'standard' },
    log: { level: 'info' },
    modules: {}
  }
}
