/** Entry of the piscina pool's workers: runs one guest thread (or serve instance) per task. */
import { GuestOutcome, GuestTask, runGuestTask } from './guest-task';

export default function (task: GuestTask): GuestOutcome {
  return runGuestTask(task);
}
