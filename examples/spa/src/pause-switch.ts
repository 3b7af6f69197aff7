/** Pausing one upload: the page's Pause and Resume button sets the switch, the upload follows it. */

/** Whether an upload should wait; fires `change` when that changes. */
export class PauseSwitch extends EventTarget {
  #paused = false;

  /** The upload should wait. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Pauses (`true`) or resumes (`false`) the upload; a change fires `change`. */
  set(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    this.dispatchEvent(new Event("change"));
  }
}
