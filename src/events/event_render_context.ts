/** Per-event facts shared by every line rendered for one input event. */

/**
 * Built once per input event; the renderers fill the two date caches on first use so
 * `%Date%` is formatted at most once per event.
 */
export interface EventRenderContext {
  /** Epoch ms used for `%Date%`. */
  readonly now: number;
  /** Epoch ms the event arrived, for `%EventReceivedDate%`. */
  readonly receivedAt: number;
  readonly sourceId: string;
  /** First value of each regex by slot (`CompiledSources.slotNames`); undefined renders empty. */
  readonly regexValues: readonly (string | undefined)[];
  /** A RetroScan detection (`%Retroscan%` renders `true`); `receivedAt` is then the original event's time. */
  readonly retroscan?: boolean;
  date?: string;
  receivedDate?: string;
}
