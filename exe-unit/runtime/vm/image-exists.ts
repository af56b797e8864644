// Whether the engine holds an image: an inspect that fails means it does not
// (or not any more: images can be removed behind the runtime's back).
import type Docker from 'dockerode'

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return await docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false
    )
}
