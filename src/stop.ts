/**
 * The one seam through which the library stops or signals a guest process (run()'s AbortSignal, run()'s end,
 * serve's stop and passed-on signals): the addon's signalProcess (guest_signals.h).
 */
import { native } from './native';

/**
 * `sig` > 0: delivers it to the process as a host signal to `wasmx run` would be: queued for the guest's handler
 * with every thread interrupted, or the default action (the process ends with 128+sig, its threads unwinding as
 * their blocking calls return). `sig` 0: the process is being torn down; wake every call still blocked in it.
 */
export function stopGuest(processId: number, sig: number): void {
  if (sig === 0) native().beginDrain(processId);
  else native().signalProcess(processId, sig);
}
