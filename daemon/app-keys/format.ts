// What app-key names and app-key texts may look like.

export const APP_KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Returns what is wrong with a name, or null. */
export function checkAppKeyName(name: unknown): string | null {
  if (typeof name !== 'string') return 'an app-key name must be a string'
  if (!APP_KEY_NAME_PATTERN.test(name)) {
    return `bad app-key name ${JSON.stringify(name.slice(0, 80))}: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`
  }
  return null
}

// Imported keys (AGORA_APPKEY) travel in headers and URLs: URL-safe and long
// enough not to be guessed.
const APP_KEY_TEXT_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/

/** Returns what is wrong with a given key text, or null. */
export function checkAppKeyText(key: string): string | null {
  return APP_KEY_TEXT_PATTERN.test(key) ? null : 'an app-key must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ -'
}
