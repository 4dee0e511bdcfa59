import type { ListenerCrop, ReadingAck } from "@emotion/protocol";
import type { CropTransport } from "./capture-loop";

/** Crops kept after sending: at 4/s with acks after a 200 ms commit, the reading shown is a few crops old; 64 covers a backlog of 16 s. */
export const SENT_CROPS_KEPT = 64;

/**
 * The last face crops sent, by seq, so that a correction can share the very crop of the reading shown.
 * The outbox drops a crop once it is acked; this small ring (about 150 kB) lives in the page only.
 */
export class SentCrops {
  private readonly crops = new Map<number, Uint8Array>();
  constructor(private readonly capacity = SENT_CROPS_KEPT) {}

  remember(seq: number, crop: Uint8Array): void {
    this.crops.delete(seq);
    this.crops.set(seq, crop);
    while (this.crops.size > this.capacity) this.crops.delete(this.crops.keys().next().value!);
  }

  /** The crop sent with `seq`, or null when it was not a face crop or is too old. */
  cropOf(seq: number): Uint8Array | null {
    return this.crops.get(seq) ?? null;
  }

  clear(): void {
    this.crops.clear();
  }
}

/** The transport, remembering every face crop it sends. */
export function rememberingCrops(transport: CropTransport, crops: SentCrops): CropTransport {
  return {
    canSend: () => transport.canSend(),
    send: (payload: ListenerCrop): Promise<ReadingAck> => {
      if (payload.kind === "face") crops.remember(payload.seq, payload.crop);
      return transport.send(payload);
    },
  };
}
