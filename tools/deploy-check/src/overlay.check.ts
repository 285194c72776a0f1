import { checkKubernetesSchemas } from './kubernetes-schema.check';
import { type Overlay, kustomizeBuild } from './kustomize';
import { checkManifests } from './manifests.check';
import { type Violation, violation } from './violation';

/** One overlay end to end: it builds, every object matches its schema, and the output keeps the manifest rules. */
export function checkOverlay(overlay: Overlay, cwd: string): Violation[] {
  const build = kustomizeBuild(overlay.directory, cwd);
  if (!build.ok)
    return [violation('kustomize/build', overlay.directory, `kubectl kustomize fails: ${build.error}`)];
  return [
    ...checkKubernetesSchemas(overlay.directory, build.objects),
    ...checkManifests(overlay.directory, build.objects, overlay),
  ];
}
