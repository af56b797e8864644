// The example algorithms as tests use them: the module built from source
// (dist/algorithms/<name>.wasm, built here when missing or stale) and its
// "sha3:<hex>", the hash an owner's policy allows and a task package names.
import { ALGORITHMS, type AlgorithmName, buildAlgorithm } from '../../scripts/build-algorithms.ts'

export { ALGORITHMS }
export type { AlgorithmName }

export interface AlgorithmModule {
  readonly path: string
  readonly hash: string
}

const built = new Map<AlgorithmName, Promise<AlgorithmModule>>()

/** The algorithm's module; a build can take half a minute on a loaded machine, so give the caller's hook a long timeout. */
export async function algorithm(name: AlgorithmName): Promise<AlgorithmModule> {
  let module = built.get(name)
  if (module === undefined) {
    module = buildAlgorithm(name).then(({ path, hash }) => ({ path, hash }))
    built.set(name, module)
    module.catch(() => built.delete(name))
  }
  return await module
}
