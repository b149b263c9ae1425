/**
 * The one seam through which the library stops a guest process, so that the signals work (branch `signals`:
 * the addon's signalProcess) plugs in at a single place.
 */
import { native } from './native';

/**
 * `sig` > 0: delivers it to the process as a host signal to `wasmx run` would be (the guest's handler, or the
 * default action). Returns false when the addon has no signals API: the caller then applies the default action
 * itself. `sig` 0: the process is being torn down; wake every call still blocked in it.
 */
export function stopGuest(processId: number, sig: number): boolean {
  const addon = native();
  if (sig === 0) {
    addon.beginDrain(processId);
    return true;
  }
  if (!addon.signalProcess) return false;
  addon.signalProcess(processId, sig);
  return true;
}
